"""Helpers for the geospatial plugin tests: a tile-layer project, geo annotations, exports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

import rowport
from rowport.testing import by_global_key as by_key  # noqa: F401 (re-exported)
from rowport.testing import export_rows as run_export  # noqa: F401 (re-exported)

PLUGIN = "rowport_plugins.geospatial"
BOUNDS = [[-122.4310, 37.7620], [-122.4100, 37.7790]]
LAYER: dict[str, Any] = {
    "tileLayerUrl": "https://tile.example/{z}/{x}/{y}.png",
    "bounds": BOUNDS,
    "minZoom": 12,
    "maxZoom": 19,
    "epsg": "EPSG4326",
}
TOOLS = [
    {"tool": "point", "name": "tree"},
    {"tool": "line", "name": "road"},
    {"tool": "polygon", "name": "building"},
    {"tool": "bbox", "name": "parking lot"},
]
CLASSIFICATIONS = [
    {"type": "radio", "name": "land use", "options": [{"name": "residential"}, {"name": "park"}]},
]


def lnglat(u: float, v: float, bounds: Sequence[Sequence[float]] = BOUNDS) -> list[float]:
    """A position at fractions ``u`` (west to east) and ``v`` (south to north) of ``bounds``."""
    (west, south), (east, north) = bounds
    return [round(west + u * (east - west), 6), round(south + v * (north - south), 6)]


def point(u: float, v: float, name: str = "tree") -> dict[str, Any]:
    return {
        "name": name,
        "annotation_kind": "GeoPoint",
        "geojson": {"type": "Point", "coordinates": lnglat(u, v)},
    }


def line(*uv: tuple[float, float]) -> dict[str, Any]:
    return {
        "name": "road",
        "annotation_kind": "GeoLine",
        "geojson": {"type": "LineString", "coordinates": [lnglat(u, v) for u, v in uv]},
    }


def polygon(*rings: Sequence[Sequence[float]], name: str = "building") -> dict[str, Any]:
    return {
        "name": name,
        "annotation_kind": "GeoPolygon",
        "geojson": {"type": "Polygon", "coordinates": [[list(p) for p in r] for r in rings]},
    }


def ring(*uv: tuple[float, float]) -> list[list[float]]:
    return [lnglat(u, v) for u, v in uv]


def bbox(u0: float, v0: float, u1: float, v1: float) -> dict[str, Any]:
    corners = ring((u0, v0), (u0, v1), (u1, v1), (u1, v0), (u0, v0))
    return {
        "name": "parking lot",
        "annotation_kind": "GeoBoundingBox",
        "geojson": {"type": "Polygon", "coordinates": [corners]},
    }


def make_project(
    client: rowport.Client, specs: Sequence[Mapping[str, Any]]
) -> tuple[Any, list[Any]]:
    """A geospatial dataset holding ``specs`` (row_data defaults to the layer JSON)."""
    dataset = client.create_dataset("tiles")
    rows = dataset.create_data_rows(
        [
            {"media_type": "geospatial", "row_data": orjson.dumps(LAYER).decode(), **spec}
            for spec in specs
        ]
    )
    ontology = client.create_ontology("geo", tools=TOOLS, classifications=CLASSIFICATIONS)
    project = client.create_project("geo project", "geospatial", ontology)
    project.create_batch("batch", data_rows=rows)
    return project, rows


def label(data_row: Any, *objects: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "data_row_id": data_row.uid,
        "annotations": {"objects": list(objects), "classifications": [], "relationships": []},
    }


def objects_of(row: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    (section,) = row["projects"].values()
    return [obj for lab in section["labels"] for obj in lab["annotations"].get("objects", [])]
