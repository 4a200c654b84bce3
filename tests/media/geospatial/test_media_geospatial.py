"""The geospatial plugin inside real exports: tile layers, geo annotation checks (one ERRORS line
per bad annotation), geojson normalisation, media attributes, and the demo catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from media_geospatial_support import (
    BOUNDS,
    LAYER,
    PLUGIN,
    bbox,
    by_key,
    label,
    line,
    lnglat,
    make_project,
    point,
    polygon,
    ring,
    run_export,
)

import rowport
import rowport_plugins.geospatial
from rowport.demo import build_demo
from rowport.testing import make_client, objects_of

ATTRIBUTES = {
    "mime_type": "application/x-tms-geo",
    "bounds": BOUNDS,
    "min_zoom": 12,
    "max_zoom": 19,
}


def _good_objects() -> list[dict[str, Any]]:
    return [
        point(0.3, 0.6),
        line((0.05, 0.1), (0.9, 0.8)),
        polygon(ring((0.5, 0.5), (0.5, 0.58), (0.61, 0.6), (0.62, 0.51), (0.5, 0.5))),
        # a polygon with a hole
        polygon(
            ring((0.1, 0.1), (0.1, 0.4), (0.4, 0.4), (0.4, 0.1), (0.1, 0.1)),
            ring((0.2, 0.2), (0.3, 0.2), (0.3, 0.3), (0.2, 0.2)),
        ),
        bbox(0.2, 0.2, 0.35, 0.3),
    ]


def test_good_row_passes_with_only_the_layer_attributes_added(client: rowport.Client) -> None:
    project, rows = make_project(client, [{"global_key": "good"}])
    project.import_labels([label(rows[0], *_good_objects())])
    (before,), _ = run_export(project, plugin_options={"media": {"fetch": False}})

    (row,), errors = run_export(project)

    assert errors == []
    assert row["media_attributes"] == ATTRIBUTES
    # nothing else changed: annotations stay byte-identical
    assert orjson.dumps({**row, "media_attributes": {}}) == orjson.dumps(
        {**before, "media_attributes": {}}
    )
    assert client.get_data_row(rows[0].uid).media_attributes == ATTRIBUTES


def test_stored_mime_type_is_kept_and_the_row_is_byte_identical(client: rowport.Client) -> None:
    stored = {"mime_type": "application/x-tms-geo"}
    project, rows = make_project(client, [{"global_key": "g", "media_attributes": stored}])
    project.import_labels([label(rows[0], *_good_objects())])
    (before,), _ = run_export(project, plugin_options={"media": {"fetch": False}})
    (row,), errors = run_export(project)
    assert errors == []
    assert orjson.dumps(row) == orjson.dumps(before)
    assert row["media_attributes"] == stored


BAD_CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "bowtie",
        polygon(ring((0.1, 0.1), (0.5, 0.5), (0.5, 0.1), (0.1, 0.5), (0.1, 0.1))),
        "POLYGON_SELF_INTERSECTING",
    ),
    ("east-of-bounds", point(1.4, 0.5), "OUTSIDE_BOUNDS"),
    (
        "line-leaves-bounds",
        line((0.5, 0.5), (0.5, -0.2)),
        "OUTSIDE_BOUNDS",
    ),
    (
        "swapped-lat-lng",
        {
            "name": "tree",
            "annotation_kind": "GeoPoint",
            "geojson": {"type": "Point", "coordinates": [37.77, -122.42]},
        },
        "COORDINATE_OUT_OF_RANGE",
    ),
    (
        "too-short-ring",
        polygon(ring((0.1, 0.1), (0.2, 0.2), (0.1, 0.1))),
        "POLYGON_RING_INVALID",
    ),
    (
        "bbox-clockwise-from-top-left",
        {
            "name": "parking lot",
            "annotation_kind": "GeoBoundingBox",
            "geojson": {
                "type": "Polygon",
                "coordinates": [ring((0.2, 0.3), (0.35, 0.3), (0.35, 0.2), (0.2, 0.2), (0.2, 0.3))],
            },
        },
        "BBOX_RING_ORDER",
    ),
    (
        "point-as-polygon",
        {
            "name": "tree",
            "annotation_kind": "GeoPoint",
            "geojson": {"type": "Polygon", "coordinates": [ring((0.1, 0.1))]},
        },
        "GEOMETRY_INVALID",
    ),
]


def test_each_bad_annotation_is_exactly_one_errors_line(client: rowport.Client) -> None:
    specs = [{"global_key": key} for key, _, _ in BAD_CASES] + [{"global_key": "mixed"}]
    project, rows = make_project(client, specs)
    labels = [label(row, obj) for row, (_, obj, _) in zip(rows, BAD_CASES, strict=False)]
    # one row with a good point, a bad point and a self-intersecting polygon
    labels.append(label(rows[-1], point(0.5, 0.5), point(-0.5, 0.5), BAD_CASES[0][1]))
    project.import_labels(labels)

    exported, errors = run_export(project)

    assert len(exported) == len(rows)  # on_row_error="keep"
    ids = {row.uid: key for row, key in zip(rows, [s["global_key"] for s in specs], strict=True)}
    got = sorted((ids[e["data_row"]["id"]], e["code"]) for e in errors)
    expected = sorted(
        [(key, code) for key, _, code in BAD_CASES]
        + [("mixed", "OUTSIDE_BOUNDS"), ("mixed", "POLYGON_SELF_INTERSECTING")]
    )
    assert got == expected
    for error in errors:
        assert error["plugin"] == PLUGIN
        assert error["stage"] == "validate"
        assert error["data_row"]["global_key"] == ids[error["data_row"]["id"]]
        assert error["details"]["name"] in error["message"]
        assert error["details"]["feature_id"]
    bowtie = next(e for e in errors if ids[e["data_row"]["id"]] == "bowtie")
    assert "Self-intersection" in bowtie["message"]
    mixed = [e for e in errors if ids[e["data_row"]["id"]] == "mixed"]
    assert {e["details"]["path"].rsplit(".", 1)[-1] for e in mixed} == {
        "objects[1]",
        "objects[2]",
    }


def test_transform_closes_rings_and_derives_geojson(client: rowport.Client) -> None:
    (west, south), (east, north) = BOUNDS
    open_ring = ring((0.5, 0.5), (0.5, 0.58), (0.61, 0.6), (0.62, 0.51))
    derived_box = {
        "name": "parking lot",
        "annotation_kind": "GeoBoundingBox",
        "bounding_box": {
            "top": lnglat(0, 0.3)[1],
            "left": lnglat(0.2, 0)[0],
            "height": 0.001,
            "width": 0.002,
        },
    }
    objects = [
        polygon(open_ring),
        {
            "name": "tree",
            "annotation_kind": "GeoPoint",
            "point": {"x": lnglat(0.3, 0)[0], "y": lnglat(0, 0.6)[1]},
        },
        derived_box,
        {
            "name": "building",
            "annotation_kind": "GeoPolygon",
            "polygon": [{"x": x, "y": y} for x, y in open_ring],
        },
        {
            "name": "road",
            "annotation_kind": "GeoLine",
            "line": [lnglat(0.1, 0.1), lnglat(0.2, 0.2)],
        },
    ]
    project, rows = make_project(client, [{"global_key": "t"}])
    project.import_labels([label(rows[0], *objects)])

    (row,), errors = run_export(project)

    assert errors == []
    got = objects_of(row)
    assert got[0]["geojson"] == {"type": "Polygon", "coordinates": [[*open_ring, open_ring[0]]]}
    assert got[1]["geojson"] == {"type": "Point", "coordinates": lnglat(0.3, 0.6)}
    assert got[1]["point"] == {"x": lnglat(0.3, 0)[0], "y": lnglat(0, 0.6)[1]}  # kept
    top, left = derived_box["bounding_box"]["top"], derived_box["bounding_box"]["left"]
    (box_ring,) = got[2]["geojson"]["coordinates"]
    bottom, right = top - 0.001, left + 0.002
    expected = [[left, bottom], [left, top], [right, top], [right, bottom], [left, bottom]]
    assert [c for p in box_ring for c in p] == pytest.approx([c for p in expected for c in p])
    assert got[3]["geojson"] == {"type": "Polygon", "coordinates": [[*open_ring, open_ring[0]]]}
    assert got[4]["geojson"]["type"] == "LineString"
    assert west < box_ring[0][0] < east and south < box_ring[0][1] < north


def test_require_closed_rings_option_flags_an_open_ring(client: rowport.Client) -> None:
    open_ring = ring((0.5, 0.5), (0.5, 0.58), (0.61, 0.6))
    project, rows = make_project(client, [{"global_key": "o"}])
    project.import_labels([label(rows[0], polygon(open_ring))])
    (row,), errors = run_export(
        project, plugin_options={"geospatial": {"require_closed_rings": True}}
    )
    assert [e["code"] for e in errors] == ["POLYGON_RING_INVALID"]
    assert len(objects_of(row)[0]["geojson"]["coordinates"][0]) == 3  # left as it was


def test_tolerance_option_accepts_a_point_just_outside(client: rowport.Client) -> None:
    (west, south), _ = BOUNDS
    project, rows = make_project(client, [{"global_key": "edge"}])
    just_out = {
        "name": "tree",
        "annotation_kind": "GeoPoint",
        "geojson": {"type": "Point", "coordinates": [west - 1e-5, south]},
    }
    project.import_labels([label(rows[0], just_out)])
    _, errors = run_export(project)
    assert [e["code"] for e in errors] == ["OUTSIDE_BOUNDS"]
    _, errors = run_export(project, plugin_options={"geospatial": {"tolerance": 1e-4}})
    assert errors == []


def test_tile_layers_snake_case_simple_template_and_invalid(client: rowport.Client) -> None:
    snake = {
        "tile_layer_url": "https://t.example/{z}/{x}/{y}.png",
        "bounds": BOUNDS,
        "min_zoom": 3,
        "max_zoom": 5,
        "epsg": "EPSG3857",
    }
    simple = {
        "tileLayerUrl": "https://t.example/{z}/{x}/{y}.png",
        "bounds": [[0, 0], [4000, 3000]],
        "epsg": "simple",
    }
    specs = [
        {"global_key": "snake", "row_data": orjson.dumps(snake).decode()},
        {"global_key": "simple", "row_data": orjson.dumps(simple).decode()},
        {"global_key": "template", "row_data": "https://t.example/{z}/{x}/{y}.png"},
        {"global_key": "not-json", "row_data": "{not json"},
        {
            "global_key": "bad-bounds",
            "row_data": orjson.dumps({**LAYER, "bounds": [[1, 2]]}).decode(),
        },
        {
            "global_key": "bad-epsg",
            "row_data": orjson.dumps({**LAYER, "epsg": "EPSG27700"}).decode(),
        },
    ]
    project, rows = make_project(client, specs)
    pixel_point = {
        "name": "tree",
        "annotation_kind": "GeoPoint",
        "geojson": {"type": "Point", "coordinates": [3500, 2500]},  # pixels, not degrees
    }
    project.import_labels(
        [
            label(rows[0], point(0.5, 0.5)),
            label(rows[1], pixel_point),
            label(rows[2], point(0.5, 0.5)),
            label(rows[4], point(0.5, 0.5)),
        ]
    )

    exported, errors = run_export(project)

    rows_by_key = by_key(exported)
    assert rows_by_key["snake"]["media_attributes"] == {
        "mime_type": "application/x-tms-geo",
        "bounds": BOUNDS,
        "min_zoom": 3,
        "max_zoom": 5,
    }
    assert rows_by_key["simple"]["media_attributes"] == {
        "mime_type": "application/x-tms-simple",
        "bounds": [[0, 0], [4000, 3000]],
    }
    assert rows_by_key["template"]["media_attributes"] == {"mime_type": "application/x-tms-geo"}
    assert sorted((e["data_row"]["global_key"], e["code"]) for e in errors) == [
        ("bad-bounds", "TILE_LAYER_INVALID"),
        ("bad-epsg", "TILE_LAYER_INVALID"),
        ("not-json", "TILE_LAYER_INVALID"),
    ]
    assert all(e["plugin"] == PLUGIN for e in errors)
    assert rows_by_key["not-json"]["media_attributes"] == {}


def test_the_demo_geospatial_project_is_clean_and_its_broken_row_is_caught(
    tmp_path: Path,
) -> None:
    with make_client(tmp_path, plugins=[rowport_plugins.geospatial]) as client:
        demo = build_demo(client, tmp_path / "media", bulk_rows=0)
        project = client.get_project(demo.project_ids["geospatial"])
        exported, errors = run_export(project)
        assert errors == []
        assert len(exported) == demo.row_counts["geospatial"]
        for row in exported:  # stored mime_type: nothing to add
            assert row["media_attributes"] == {"mime_type": "application/x-tms-geo"}

        broken = demo.broken["geospatial_point_outside_bounds"]
        project = client.get_project(demo.broken_project_ids["geospatial"])
        _, errors = run_export(project)
        assert [(e["data_row"]["id"], e["code"], e["plugin"]) for e in errors] == [
            (broken.data_row_id, "OUTSIDE_BOUNDS", PLUGIN)
        ]
