"""Built-in plugin for ``geospatial`` rows (tiled imagery): reads the tile layer, checks every geo
annotation against it, and gives every geo annotation a closed ``geojson`` geometry.

A geospatial row's ``row_data`` is the tile-layer JSON, inline::

    {"tileLayerUrl": "https://tiles.example/{z}/{x}/{y}.png",
     "bounds": [[lng_sw, lat_sw], [lng_ne, lat_ne]],
     "minZoom": 12, "maxZoom": 19, "epsg": "EPSG4326" | "EPSG3857" | "simple"}

(``tile_layer_url``, ``min_zoom``, ``max_zoom`` are accepted too). A bare tile URL template
(``https://.../{z}/{x}/{y}.png``) is a layer without bounds: nothing is outside it.

Annotations (``GeoPoint``, ``GeoLine``, ``GeoPolygon``, ``GeoBoundingBox``) carry ``geojson``
(``Point``/``LineString``/``Polygon``) with ``[longitude, latitude]`` positions; one without
``geojson`` may give a ``point``, ``line``, ``polygon`` or ``bounding_box`` instead, from which
the geojson is derived (see ``docs/media/geospatial.md``).

Codes: ``TILE_LAYER_INVALID`` (one per row), ``GEOMETRY_INVALID``, ``COORDINATE_OUT_OF_RANGE``,
``POLYGON_RING_INVALID``, ``BBOX_RING_ORDER``, ``POLYGON_SELF_INTERSECTING``, ``OUTSIDE_BOUNDS``.
Exactly one problem per bad annotation (the first check it fails, in that order).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from rowport import hookimpl
from rowport.plugins import ExportContext, Problem
from rowport_plugins._formats.tiles import LayerError, TileLayer, parse_tile_layer
from rowport_plugins._media import (
    MediaError,
    MediaFetcher,
    declarations,
    fill_media_attributes,
    is_number,
    iter_objects,
    plugin_options,
    probe_media_attributes,
)

__all__ = [
    "GEO_KINDS",
    "check_annotation",
    "rowport_declare_media_types",
    "rowport_declare_sections",
    "rowport_probe_media",
    "rowport_transform_rows",
    "rowport_validate_rows",
]

NAME = "geospatial"
GEO_KINDS = {
    "GeoPoint": "Point",
    "GeoLine": "LineString",
    "GeoPolygon": "Polygon",
    "GeoBoundingBox": "Polygon",
}
Position = list[float]


# -- geometry ----------------------------------------------------------------------------------


class _Bad(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _position(value: Any) -> Position:
    """``[lng, lat]`` from ``[lng, lat]`` (extra values such as altitude kept), ``{x, y}`` or
    ``{lng, lat}`` / ``{lon, lat}`` / ``{longitude, latitude}``."""
    if isinstance(value, list) and len(value) >= 2 and all(is_number(v) for v in value):
        return value
    if isinstance(value, Mapping):
        for lng_key, lat_key in (
            ("x", "y"),
            ("lng", "lat"),
            ("lon", "lat"),
            ("longitude", "latitude"),
        ):
            lng: Any = value.get(lng_key)
            lat: Any = value.get(lat_key)
            if is_number(lng) and is_number(lat):
                return [lng, lat]
    raise _Bad("GEOMETRY_INVALID", f"{_short(value)} is not a [longitude, latitude] position")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:80] + "..."


def _positions(value: Any, at_least: int, what: str) -> list[Position]:
    if not isinstance(value, list):
        raise _Bad("GEOMETRY_INVALID", f"{what} must be a list of positions")
    out = [_position(v) for v in value]
    if len(out) < at_least:
        raise _Bad("GEOMETRY_INVALID", f"{what} needs at least {at_least} positions")
    return out


def _derive(obj: Mapping[str, Any], expected: str | None) -> dict[str, Any]:
    """A geojson geometry from a ``point`` / ``line`` / ``polygon`` / ``bounding_box`` field."""
    if "point" in obj and expected in (None, "Point"):
        return {"type": "Point", "coordinates": _position(obj["point"])}
    if "line" in obj and expected in (None, "LineString"):
        return {"type": "LineString", "coordinates": _positions(obj["line"], 2, "line")}
    if "polygon" in obj and expected in (None, "Polygon"):
        ring = _positions(obj["polygon"], 3, "polygon")
        return {"type": "Polygon", "coordinates": [ring]}
    if "bounding_box" in obj and expected in (None, "Polygon"):
        box = obj["bounding_box"]
        if isinstance(box, Mapping) and all(
            is_number(box.get(k)) for k in ("top", "left", "height", "width")
        ):
            north, west = box["top"], box["left"]
            south, east = north - box["height"], west + box["width"]
        elif isinstance(box, Mapping) and all(
            is_number(box.get(k)) for k in ("west", "south", "east", "north")
        ):
            west, south, east, north = (box[k] for k in ("west", "south", "east", "north"))
        elif isinstance(box, list) and len(box) == 2:
            (west, south), (east, north) = _position(box[0])[:2], _position(box[1])[:2]
        else:
            raise _Bad(
                "GEOMETRY_INVALID",
                "bounding_box must be {top, left, height, width}, {west, south, east, north}"
                " or [[lng_sw, lat_sw], [lng_ne, lat_ne]]",
            )
        if not (west < east and south < north):
            raise _Bad(
                "BBOX_RING_ORDER",
                f"bounding_box has no area or runs the wrong way (west {west}, east {east},"
                f" south {south}, north {north})",
            )
        ring = [[west, south], [west, north], [east, north], [east, south], [west, south]]
        return {"type": "Polygon", "coordinates": [ring]}
    raise _Bad(
        "GEOMETRY_INVALID",
        "a geo annotation needs a geojson geometry (or a point, line, polygon or bounding_box)",
    )


def _geometry(obj: Mapping[str, Any], expected: str | None) -> tuple[str, list[Any]]:
    """``(type, coordinates)`` of the object, coordinates validated as positions."""
    geojson = obj.get("geojson")
    if geojson is None:
        geojson = _derive(obj, expected)
    if not isinstance(geojson, Mapping):
        raise _Bad("GEOMETRY_INVALID", "geojson must be a GeoJSON geometry object")
    kind = geojson.get("type")
    if kind not in ("Point", "LineString", "Polygon"):
        raise _Bad(
            "GEOMETRY_INVALID",
            f"geojson type must be Point, LineString or Polygon, got {_short(kind)}",
        )
    if expected is not None and kind != expected:
        raise _Bad("GEOMETRY_INVALID", f"geojson type is {kind}, expected {expected}")
    coords = geojson.get("coordinates")
    if kind == "Point":
        return kind, [_position(coords)]
    if kind == "LineString":
        return kind, _positions(coords, 2, "a LineString")
    if not isinstance(coords, list) or not coords:
        raise _Bad("GEOMETRY_INVALID", "a Polygon's coordinates must be a non-empty list of rings")
    return kind, [_positions(ring, 0, f"ring {i}") for i, ring in enumerate(coords)]


def _closed(ring: list[Position]) -> bool:
    return len(ring) >= 2 and ring[0][:2] == ring[-1][:2]


@attrs.frozen
class Checked:
    """A valid annotation's geojson: ``geojson`` when it must be written (None: leave it)."""

    geojson: dict[str, Any] | None


def check_annotation(
    obj: Mapping[str, Any],
    layer: TileLayer,
    *,
    tolerance: float = 0.0,
    require_closed: bool = False,
) -> tuple[str, str] | Checked:
    """``(code, message)`` for the first problem of a geo annotation, else :class:`Checked`
    with the geojson to write (derived or with rings closed), or None when it is already right."""
    kind = obj.get("annotation_kind")
    expected = GEO_KINDS.get(kind) if isinstance(kind, str) else None
    try:
        gtype, parts = _geometry(obj, expected)
        positions = [p for ring in parts for p in ring] if gtype == "Polygon" else list(parts)
        if layer.geographic:
            for lng, lat in (p[:2] for p in positions):
                if not (-180 <= lng <= 180 and -90 <= lat <= 90):
                    raise _Bad(
                        "COORDINATE_OUT_OF_RANGE",
                        f"position [{lng}, {lat}] is not a [longitude, latitude]: longitude must"
                        " be in [-180, 180] and latitude in [-90, 90]",
                    )
        rings: list[list[Position]] = []
        changed = "geojson" not in obj
        if gtype == "Polygon":
            for i, ring in enumerate(parts):
                if not _closed(ring):
                    if require_closed:
                        raise _Bad("POLYGON_RING_INVALID", f"ring {i} is not closed")
                    ring = [*ring, list(ring[0])] if ring else ring
                    changed = True
                if len(ring) < 4:
                    raise _Bad(
                        "POLYGON_RING_INVALID",
                        f"ring {i} has {len(ring)} positions once closed; a ring needs at least 4"
                        " (3 distinct corners and the first repeated last)",
                    )
                rings.append(ring)
            if kind == "GeoBoundingBox":
                _check_bbox_ring(rings)
            else:
                # here, not at the top: only geospatial rows need shapely (and numpy)
                from shapely.geometry import Polygon  # type: ignore[import-untyped]
                from shapely.validation import explain_validity  # type: ignore[import-untyped]

                shape = Polygon([p[:2] for p in rings[0]], [[p[:2] for p in r] for r in rings[1:]])
                if not shape.is_valid:
                    raise _Bad(
                        "POLYGON_SELF_INTERSECTING",
                        f"the polygon is not valid: {explain_validity(shape)}",
                    )
        if layer.bounds is not None:
            west, south, east, north = layer.bounds
            for lng, lat in (p[:2] for p in positions):
                if not (
                    west - tolerance <= lng <= east + tolerance
                    and south - tolerance <= lat <= north + tolerance
                ):
                    raise _Bad(
                        "OUTSIDE_BOUNDS",
                        f"position [{lng}, {lat}] is outside the tile layer's bounds"
                        f" [[{west}, {south}], [{east}, {north}]]",
                    )
    except _Bad as bad:
        return bad.code, bad.message
    if not changed:
        return Checked(None)
    coordinates: Any = parts[0] if gtype == "Point" else rings if gtype == "Polygon" else parts
    return Checked({"type": gtype, "coordinates": coordinates})


def _check_bbox_ring(rings: list[list[Position]]) -> None:
    ring = [p[:2] for p in rings[0]]
    if len(rings) != 1 or len(ring) != 5:
        raise _Bad(
            "BBOX_RING_ORDER",
            "a bounding box is one ring of 5 positions: bottom-left, top-left, top-right,"
            " bottom-right, bottom-left",
        )
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = ring[:4]
    west, south, east, north = x0, y0, x2, y2
    ok = x1 == west and y1 == north and x3 == east and y3 == south and west < east and south < north
    if not ok:
        raise _Bad(
            "BBOX_RING_ORDER",
            f"the bounding box ring {ring} does not run bottom-left, top-left, top-right,"
            " bottom-right, bottom-left",
        )


# -- rows --------------------------------------------------------------------------------------


def _geo_objects(row: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], str, dict[str, Any]]]:
    def geo(obj: dict[str, Any]) -> bool:
        kind = obj.get("annotation_kind")
        return (isinstance(kind, str) and kind.startswith("Geo")) or (
            kind is None and "geojson" in obj
        )

    return iter_objects(row, geo)


def _layer(row: Mapping[str, Any]) -> TileLayer | LayerError:
    try:
        return parse_tile_layer(row["data_row"]["row_data"])
    except LayerError as exc:
        return exc


def _options(context: ExportContext) -> tuple[float, bool]:
    options = plugin_options(context, NAME)
    tolerance = options.get("tolerance", 0.0)
    if not is_number(tolerance) or tolerance < 0:
        tolerance = 0.0
    return float(tolerance), options.get("require_closed_rings") is True


rowport_declare_media_types, rowport_declare_sections = declarations(NAME)


@hookimpl(trylast=True)
def rowport_validate_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Check each row's tile layer, then every geo annotation against it."""
    tolerance, require_closed = _options(context)
    problems: list[Problem] = []
    for index, row in enumerate(rows):
        layer = _layer(row)
        if isinstance(layer, LayerError):
            problems.append(
                Problem(
                    index=index,
                    code="TILE_LAYER_INVALID",
                    message=f"the row's tile layer is not valid: {layer}",
                    details={"row_data": _short(row["data_row"]["row_data"])},
                )
            )
            continue
        for label, where, obj in _geo_objects(row):
            found = check_annotation(obj, layer, tolerance=tolerance, require_closed=require_closed)
            if isinstance(found, Checked):
                continue
            code, message = found
            name = obj.get("name")
            problems.append(
                Problem(
                    index=index,
                    code=code,
                    message=f"{where} ({name}): {message}" if name else f"{where}: {message}",
                    details={
                        "label_id": label.get("id"),
                        "feature_id": obj.get("feature_id"),
                        "name": name,
                        "annotation_kind": obj.get("annotation_kind"),
                        "path": where,
                    },
                )
            )
    return problems


@hookimpl(trylast=True)
def rowport_transform_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Write ``geojson`` on valid geo annotations that lack it or have an unclosed ring, and add
    ``{mime_type, bounds, min_zoom, max_zoom}`` to rows without a ``mime_type``."""
    tolerance, require_closed = _options(context)
    readable: list[dict[str, Any]] = []
    layers: dict[int, TileLayer] = {}
    for row in rows:
        layer = _layer(row)
        if isinstance(layer, LayerError):
            continue  # reported by validation
        readable.append(row)
        layers[id(row)] = layer
        for _, _, obj in _geo_objects(row):
            found = check_annotation(obj, layer, tolerance=tolerance, require_closed=require_closed)
            if isinstance(found, Checked) and found.geojson is not None:
                present = obj.get("geojson")
                if isinstance(present, Mapping):  # keep its other members, close the rings
                    obj["geojson"] = {**present, "coordinates": found.geojson["coordinates"]}
                else:
                    obj["geojson"] = found.geojson

    def attributes(row: dict[str, Any], _media: MediaFetcher) -> dict[str, Any]:
        return layers[id(row)].attributes()

    position = {id(row): i for i, row in enumerate(rows)}
    # derived from row_data alone: nothing is read, whatever media.fetch says
    found_problems = fill_media_attributes(
        readable, context, attributes, required=["mime_type"], mode="missing"
    )
    return [attrs.evolve(p, index=position[id(readable[p.index])]) for p in found_problems]


@hookimpl(trylast=True)
def rowport_probe_media(
    rows: list[dict[str, Any]], context: ExportContext, only_missing: bool
) -> list[Problem]:
    """Give each row the attributes of its tile layer (nothing is read: the layer is the
    ``row_data``); a layer that does not parse is ``TILE_LAYER_INVALID``."""

    def attributes(row: dict[str, Any], _media: MediaFetcher) -> dict[str, Any]:
        layer = _layer(row)
        if isinstance(layer, LayerError):
            raise MediaError("TILE_LAYER_INVALID", f"the row's tile layer is not valid: {layer}")
        return layer.attributes()

    return probe_media_attributes(
        rows, context, attributes, required=["mime_type"], only_missing=only_missing
    )
