"""The image plugin inside real exports: attributes read from local files, file:// URLs and
HTTP servers (with and without Range), cached in the catalog; one ERRORS line per bad
annotation; the clip option."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from media_image_support import (
    HEIGHT,
    PLUGIN,
    WIDTH,
    Server,
    attributes,
    box,
    by_key,
    good_objects,
    label,
    line,
    make_project,
    mask,
    point,
    polygon,
    run_export,
    serving,
)

import rowport
import rowport_plugins.image
from rowport.testing import make_context, make_row, objects_of, run_plugin

STORED = {"height": HEIGHT, "width": WIDTH, "asset_type": "image", "mime_type": "image/jpeg"}


# -- media attributes ----------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["path", "file_url"])
def test_local_image_attributes_by_path_and_file_url(
    client: rowport.Client, media_dir: Path, how: str
) -> None:
    photo = media_dir / "photo.jpg"
    source = str(photo) if how == "path" else photo.as_uri()
    project, rows = make_project(client, [{"row_data": source, "global_key": "a"}])

    (row,), errors = run_export(project, media_fetch="missing")

    assert errors == []
    assert row["media_attributes"] == attributes()
    assert list(row["media_attributes"]) == list(attributes())  # the reference's key order
    assert client.get_data_row(rows[0].uid).media_attributes == attributes()


@pytest.mark.parametrize("honour_range", [True, False])
def test_http_image_attributes_are_cached_in_the_catalog(
    client: rowport.Client, media_dir: Path, honour_range: bool
) -> None:
    with serving(media_dir, honour_range=honour_range) as server:
        project, rows = make_project(
            client,
            [
                {"row_data": server.url("photo.jpg"), "global_key": "jpeg"},
                {"row_data": server.url("plain.png"), "global_key": "png"},
            ],
        )
        exported, errors = run_export(project, media_fetch="missing")
        assert errors == []
        got = by_key(exported)
        assert got["jpeg"]["media_attributes"] == attributes()
        assert got["png"]["media_attributes"] == attributes(mime="image/png", rotation="1")
        # only the head was asked for, once per image
        assert sorted(server.requests) == [
            ("/photo.jpg", "bytes=0-65535"),
            ("/plain.png", "bytes=0-65535"),
        ]

    # the server is gone: the second export reads the attributes from the catalog
    again, errors = run_export(project, media_fetch="missing")
    assert errors == []
    assert by_key(again)["jpeg"]["media_attributes"] == attributes()
    assert client.get_data_row(rows[1].uid).media_attributes == attributes(
        mime="image/png", rotation="1"
    )


def test_head_too_short_falls_back_to_a_full_read(
    client: rowport.Client, range_server: Server
) -> None:
    project, _ = make_project(client, [{"row_data": range_server.url("big-icc.jpg")}])

    (row,), errors = run_export(project, media_fetch="missing")

    assert errors == []
    assert row["media_attributes"] == attributes(30, 20, rotation="3")
    assert range_server.requests == [("/big-icc.jpg", "bytes=0-65535"), ("/big-icc.jpg", None)]


def test_stored_attributes_win_and_the_media_is_not_read(
    client: rowport.Client, range_server: Server
) -> None:
    stored = {**STORED, "exif_rotation": "1"}
    project, _ = make_project(
        client, [{"row_data": range_server.url("photo.jpg"), "media_attributes": stored}]
    )
    (row,), errors = run_export(project)
    assert errors == []
    assert row["media_attributes"] == stored
    assert range_server.requests == []


def test_unreadable_media_codes(
    client: rowport.Client, media_dir: Path, range_server: Server
) -> None:
    project, rows = make_project(
        client,
        [
            {"row_data": range_server.url("gone.jpg"), "global_key": "404"},
            {"row_data": str(media_dir / "missing.jpg"), "global_key": "missing"},
            {"row_data": str(media_dir / "notes.txt"), "global_key": "text"},
            {"row_data": str(media_dir / "photo.jpg"), "global_key": "fine"},
        ],
    )
    exported, errors = run_export(project, media_fetch="missing")

    assert len(exported) == 4  # keep: rows stay in RESULT
    codes = {e["data_row"]["global_key"]: e["code"] for e in errors}
    assert codes == {
        "404": "MEDIA_NOT_FOUND",
        "missing": "MEDIA_NOT_FOUND",
        "text": "MEDIA_UNREADABLE",
    }
    assert all(e["plugin"] == PLUGIN and e["stage"] == "transform" for e in errors)
    assert {e["data_row"]["id"] for e in errors} == {r.uid for r in rows[:3]}
    assert by_key(exported)["fine"]["media_attributes"] == attributes()


def test_fetch_off_leaves_rows_alone(client: rowport.Client, media_dir: Path) -> None:
    project, rows = make_project(client, [{"row_data": str(media_dir / "photo.jpg")}])
    project.import_labels([label(rows[0], [box(0, 0, 500, 500)])])
    (row,), errors = run_export(project, plugin_options={"media": {"fetch": False}})
    # no size known: no bounds check at all
    assert errors == []
    assert row["media_attributes"] == {}


# -- geometry ------------------------------------------------------------------------------------


def test_good_label_passes_unchanged_but_for_the_attributes(
    client: rowport.Client, media_dir: Path
) -> None:
    project, rows = make_project(client, [{"row_data": str(media_dir / "photo.jpg")}])
    project.import_labels([label(rows[0], good_objects())])
    (before,), _ = run_export(project, plugin_options={"media": {"fetch": False}})

    (row,), errors = run_export(project, media_fetch="missing")

    assert errors == []
    assert row["media_attributes"] == attributes()
    assert {**row, "media_attributes": {}} == {**before, "media_attributes": {}}


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("BBOX_OUT_OF_BOUNDS", box(10, 30, 10, 40), "box"),  # right edge 70 > 64
    ("BBOX_OUT_OF_BOUNDS", box(-3, 0, 10, 10), "box"),
    ("BBOX_INVALID", box(1, 1, 0, 10), "box"),
    ("BBOX_INVALID", box(1, 1, 10, -5), "box"),
    ("GEOMETRY_MALFORMED", box("1", 1, 10, 10), "box"),
    ("GEOMETRY_MALFORMED", {**box(1, 1, 1, 1), "bounding_box": [1, 2]}, "box"),
    ("POLYGON_TOO_FEW_POINTS", polygon([(1, 1), (5, 5), (1, 1), (5, 5)]), "area"),
    ("POLYGON_OUT_OF_BOUNDS", polygon([(1, 1), (100, 1), (10, 10)]), "area"),
    ("GEOMETRY_MALFORMED", polygon([(1, 1), (2, None), (3, 3)]), "area"),
    ("POLYLINE_TOO_FEW_POINTS", line([(1, 1)]), "path"),
    ("POLYLINE_OUT_OF_BOUNDS", line([(1, 1), (10, 49)]), "path"),
    ("POINT_OUT_OF_BOUNDS", point(65, 1), "spot"),
    ("POINT_OUT_OF_BOUNDS", point(1, -1), "spot"),
    ("MASK_INVALID", mask(color=(255, 0, 256)), "paint"),
    ("MASK_INVALID", mask(color=(255, 0)), "paint"),
    ("MASK_INVALID", mask(url=None), "paint"),
]


@pytest.mark.parametrize("stored", [True, False], ids=["stored-size", "computed-size"])
@pytest.mark.parametrize(
    ("code", "bad", "name"), BAD, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BAD)]
)
def test_each_bad_annotation_is_exactly_one_errors_line(
    client: rowport.Client,
    media_dir: Path,
    code: str,
    bad: dict[str, Any],
    name: str,
    stored: bool,
) -> None:
    spec: dict[str, Any] = {"row_data": str(media_dir / "photo.jpg"), "global_key": "row"}
    if stored:
        spec["media_attributes"] = STORED
    project, rows = make_project(client, [spec])
    (imported,) = project.import_labels([label(rows[0], [*good_objects(), bad])])

    exported, errors = run_export(project, media_fetch="missing")

    assert len(exported) == 1
    assert len(errors) == 1, errors
    (error,) = errors
    assert error["code"] == code
    assert error["plugin"] == PLUGIN
    assert error["data_row"] == {"id": rows[0].uid, "global_key": "row"}
    # bounds against a size read by the plugin are checked after it is read
    bounds = code.endswith("OUT_OF_BOUNDS")
    assert error["stage"] == ("transform" if bounds and not stored else "validate")
    assert repr(name) in error["message"]
    path = f"projects.{project.uid}.labels[0].annotations.objects[5]"
    assert path in error["message"]
    assert error["details"]["path"] == path
    assert error["details"]["label_id"] == imported.uid
    assert error["details"]["feature_id"] == objects_of(exported[0])[5]["feature_id"]
    assert error["details"]["name"] == name
    if bounds:
        assert "allowed x in [0, 64], y in [0, 48]" in error["message"]


def test_many_bad_annotations_in_one_label_give_one_line_each(
    client: rowport.Client, media_dir: Path
) -> None:
    project, rows = make_project(client, [{"row_data": str(media_dir / "photo.jpg")}])
    project.import_labels([label(rows[0], [bad for _, bad, _ in BAD])])
    _, errors = run_export(project, media_fetch="missing")
    assert sorted(e["code"] for e in errors) == sorted(code for code, _, _ in BAD)
    assert len({e["details"]["path"] for e in errors}) == len(BAD)


def test_tolerance(client: rowport.Client) -> None:
    project, rows = make_project(
        client, [{"row_data": "https://example.com/x.jpg", "media_attributes": STORED}]
    )
    project.import_labels([label(rows[0], [box(0, 0, 48.4, 64.4), point(-0.4, 48.5)])])
    _, errors = run_export(project)
    assert errors == []
    _, errors = run_export(project, plugin_options={"image": {"tolerance": 0}})
    assert sorted(e["code"] for e in errors) == ["BBOX_OUT_OF_BOUNDS", "POINT_OUT_OF_BOUNDS"]


@pytest.mark.parametrize("stored", [True, False], ids=["stored-size", "computed-size"])
def test_clip_clips_instead_of_reporting(
    client: rowport.Client, media_dir: Path, stored: bool
) -> None:
    spec: dict[str, Any] = {"row_data": str(media_dir / "photo.jpg")}
    if stored:
        spec["media_attributes"] = STORED
    project, rows = make_project(client, [spec])
    objects = [
        box(-5, 50, 20, 30),  # x 50..80, y -5..15
        polygon([(-10, 5), (70, 5), (30, 60)]),
        line([(1, 1), (10, 49)]),
        point(80, -2),
        box(100, 100, 5, 5),  # wholly outside: cannot be clipped
        box(1, 1, 0, 5),  # invalid, not a bounds problem: still reported (validate)
        box(1.0, 2.0, 3.0, 4.0),  # fine: untouched
    ]
    project.import_labels([label(rows[0], objects)])

    (row,), errors = run_export(
        project, plugin_options={"image": {"clip": True}}, media_fetch="missing"
    )

    assert sorted((e["code"], e["stage"]) for e in errors) == [
        ("BBOX_INVALID", "validate"),
        ("BBOX_OUT_OF_BOUNDS", "transform"),
    ]
    got = objects_of(row)
    assert got[0]["bounding_box"] == {"top": 0.0, "left": 50.0, "height": 15.0, "width": 14.0}
    assert got[1]["polygon"] == [
        {"x": 0.0, "y": 5.0},
        {"x": 64.0, "y": 5.0},
        {"x": 30.0, "y": 48.0},
    ]
    assert got[2]["line"] == [{"x": 1.0, "y": 1.0}, {"x": 10.0, "y": 48.0}]
    assert got[3]["point"] == {"x": 64.0, "y": 0.0}
    assert got[4]["bounding_box"] == {"top": 100, "left": 100, "height": 5, "width": 5}
    assert got[6]["bounding_box"] == {"top": 1.0, "left": 2.0, "height": 3.0, "width": 4.0}


def test_model_run_predictions_are_checked_too() -> None:
    row = make_row(
        "image",
        media_attributes=dict(STORED),
        experiments={
            "m1": {
                "name": "model",
                "runs": {
                    "r1": {
                        "name": "run",
                        "labels": [],
                        "predictions": [{"id": "p1", "annotations": {"objects": [point(100, 1)]}}],
                    }
                },
            }
        },
    )
    run = run_plugin(rowport_plugins.image, [row], context=make_context())
    assert run.codes == ["POINT_OUT_OF_BOUNDS"]
    details = run.problems[0].problem.details
    assert details["path"] == "experiments.m1.runs.r1.predictions[0].annotations.objects[0]"
    assert details["label_id"] == "p1"
