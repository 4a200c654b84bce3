"""The video plugin inside real exports: interpolated frames, key_frame_feature_map, one ERRORS
line per bad annotation, and media attributes parsed from MP4/MOV files built box by box."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from media_video_support import (
    CAR,
    MP4_ATTRIBUTES,
    PERSON,
    PLUGIN,
    STORED,
    annotations_of,
    box,
    color,
    make_project,
    mvhd,
    obj,
    run_export,
    sound_trak,
    video_label,
    video_trak,
    write_mp4,
)

import rowport
from rowport_plugins._formats.mp4 import parse_mp4
from rowport_plugins._media import MediaError

INTERPOLATE = {"params": {"interpolated_frames": True}}
A = (10.0, 20.0, 30.0, 40.0)
B = (30.5, 61.0, 50.25, 80.0)


def _stored_row(client: rowport.Client) -> tuple[Any, Any]:
    project, rows = make_project(
        client,
        [{"row_data": "https://example.com/v.mp4", "global_key": "v", "media_attributes": STORED}],
    )
    return project, rows[0]


# -- interpolation -------------------------------------------------------------------------------


def test_linear_box_is_exact_at_every_frame(client: rowport.Client) -> None:
    project, row = _stored_row(client)
    project.import_labels(
        [
            video_label(
                row,
                {
                    "1": {CAR: obj("car", A, classifications=color("red"))},
                    "11": {CAR: obj("car", B, classifications=color("blue"))},
                },
                {CAR: [[1, 11]]},
            )
        ]
    )

    (exported,), errors = run_export(project, **INTERPOLATE)

    assert errors == []
    frames = annotations_of(exported)["frames"]
    assert list(frames) == [str(n) for n in range(1, 12)]
    for n in range(1, 12):
        got = frames[str(n)]["objects"][CAR]
        t = (n - 1) / 10
        for key, a, b in zip(("top", "left", "height", "width"), A, B, strict=True):
            assert got["bounding_box"][key] == pytest.approx(a + (b - a) * t, abs=1e-6)
        assert got["feature_id"] == CAR
        assert got["name"] == "car"
        # object classifications come from the keyframe before
        answer = got["classifications"][0]["radio_answer"]["name"]
        assert answer == ("blue" if n == 11 else "red")
        assert frames[str(n)]["classifications"] == []
    assert annotations_of(exported)["key_frame_feature_map"] == {CAR: [1, 11]}


def test_segment_gaps_produce_no_frames_and_edges_carry_the_nearest_keyframe(
    client: rowport.Client,
) -> None:
    project, row = _stored_row(client)
    project.import_labels(
        [
            video_label(
                row,
                {
                    "3": {CAR: obj("car", A), PERSON: obj("person", B)},
                    "8": {CAR: obj("car", A)},
                    "10": {CAR: obj("car", B)},
                },
                {CAR: [[1, 5], [8, 10]], PERSON: [[3, 4]]},
            )
        ]
    )

    (exported,), errors = run_export(project, **INTERPOLATE)

    assert errors == []
    frames = annotations_of(exported)["frames"]
    assert list(frames) == ["1", "2", "3", "4", "5", "8", "9", "10"]
    boxes = {n: frames[n]["objects"][CAR]["bounding_box"] for n in frames}
    a = dict(zip(("top", "left", "height", "width"), A, strict=True))
    for n in ("1", "2", "4", "5"):  # one keyframe (3) in [1, 5]: carried both ways
        assert boxes[n] == a
    assert boxes["9"] == pytest.approx({k: (a[k] + v) / 2 for k, v in zip(a, B, strict=True)})
    assert set(frames["3"]["objects"]) == {CAR, PERSON}
    assert set(frames["4"]["objects"]) == {CAR, PERSON}
    assert set(frames["5"]["objects"]) == {CAR}
    assert annotations_of(exported)["key_frame_feature_map"] == {CAR: [3, 8, 10], PERSON: [3]}


def test_without_the_param_frames_are_keyframes_only(client: rowport.Client) -> None:
    project, row = _stored_row(client)
    project.import_labels(
        [
            video_label(
                row,
                {"11": {CAR: obj("car", B)}, "1": {CAR: obj("car", A)}},
                {CAR: [[1, 11]]},
                key_frame_feature_map={CAR: {"1": True, "11": True}},  # the reference's shape
            )
        ]
    )

    (exported,), errors = run_export(project)

    assert errors == []
    ann = annotations_of(exported)
    assert list(ann["frames"]) == ["11", "1"]  # unchanged, order included
    assert ann["key_frame_feature_map"] == {CAR: [1, 11]}


def test_a_correct_label_is_byte_identical(client: rowport.Client) -> None:
    project, row = _stored_row(client)
    project.import_labels(
        [
            video_label(
                row,
                {"1": {CAR: obj("car", A)}, "4": {CAR: obj("car", B), PERSON: obj("person", A)}},
                {CAR: [[1, 6]], PERSON: [[4, 4]]},
                key_frame_feature_map={CAR: [1, 4], PERSON: [4]},
            )
        ]
    )
    (blocked,), _ = run_export(project, plugin_options={"media": {"fetch": False}})
    (exported,), errors = run_export(project)
    assert errors == []
    assert exported == blocked
    assert annotations_of(exported)["key_frame_feature_map"] == {CAR: [1, 4], PERSON: [4]}


# -- one ERRORS line per bad annotation ----------------------------------------------------------


def _good() -> tuple[dict[str, Any], dict[str, Any]]:
    frames = {
        "1": {CAR: obj("car", A)},
        "5": {CAR: obj("car", B)},
        "10": {PERSON: obj("person", A)},
    }
    return frames, {CAR: [[1, 5]], PERSON: [[10, 12]]}


def _frame(key: str, name: str = "person", box_: Any = A) -> Any:
    def change(frames: dict[str, Any], segments: dict[str, Any]) -> None:
        frames[key] = {PERSON if name == "person" else CAR: obj(name, box_)}

    return change


def _segments(feature: str, value: Any) -> Any:
    def change(frames: dict[str, Any], segments: dict[str, Any]) -> None:
        segments[feature] = value

    return change


BAD: list[tuple[str, Any, str]] = [
    ("FRAME_OUT_OF_RANGE", _frame("0"), "frames.0"),
    ("FRAME_OUT_OF_RANGE", _frame("21"), "frames.21"),
    ("FRAME_OUT_OF_RANGE", _frame("abc"), "frames.abc"),
    ("FRAME_OUT_OF_RANGE", _segments(PERSON, [[10, 25]]), f"segments.{PERSON}"),
    ("SEGMENT_INVALID", _segments(PERSON, [[12, 10]]), f"segments.{PERSON}"),
    ("SEGMENT_INVALID", _segments(PERSON, [[10, "12"]]), f"segments.{PERSON}"),
    ("SEGMENTS_OVERLAP", _segments(PERSON, [[10, 12], [12, 14]]), f"segments.{PERSON}"),
    ("SEGMENTS_UNSORTED", _segments(PERSON, [[15, 16], [10, 12]]), f"segments.{PERSON}"),
    ("KEYFRAME_OUTSIDE_SEGMENT", _frame("9", "car", A), f"frames.9.objects.{CAR}"),
    ("BBOX_OUT_OF_BOUNDS", _frame("11", "person", (0, 300, 10, 40)), f"frames.11.objects.{PERSON}"),
    ("BBOX_INVALID", _frame("11", "person", (0, 3, 0, 40)), f"frames.11.objects.{PERSON}"),
    ("GEOMETRY_MALFORMED", _frame("11", "person", {"top": 1}), f"frames.11.objects.{PERSON}"),
]


@pytest.mark.parametrize(
    ("code", "change", "where"), BAD, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BAD)]
)
def test_each_bad_video_annotation_is_exactly_one_errors_line(
    client: rowport.Client, code: str, change: Any, where: str
) -> None:
    project, row = _stored_row(client)
    frames, segments = _good()
    change(frames, segments)
    (label,) = project.import_labels([video_label(row, frames, segments)])

    exported, errors = run_export(project, **INTERPOLATE)

    assert len(exported) == 1  # kept, and the transform copes with the bad annotation
    assert len(errors) == 1, errors
    (error,) = errors
    assert (error["code"], error["plugin"], error["stage"]) == (code, PLUGIN, "validate")
    assert error["data_row"] == {"id": row.uid, "global_key": "v"}
    path = f"projects.{project.uid}.labels[0].annotations.{where}"
    assert error["details"]["path"] == path
    assert path in error["message"]
    assert error["details"]["label_id"] == label.uid
    if "objects" in where or "segments" in where:
        assert error["details"]["feature_id"] in (CAR, PERSON)
    if "objects" in where:
        assert repr(error["details"]["name"]) in error["message"]


def test_tolerance_option(client: rowport.Client) -> None:
    project, row = _stored_row(client)
    frames, segments = _good()
    frames["11"] = {PERSON: obj("person", (0, 280, 240.4, 40.3))}
    project.import_labels([video_label(row, frames, segments)])
    _, errors = run_export(project)
    assert errors == []
    _, errors = run_export(project, plugin_options={"video": {"tolerance": 0}})
    assert [e["code"] for e in errors] == ["BBOX_OUT_OF_BOUNDS"]


# -- MP4 / MOV -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant", ["faststart", "moov-last", "version-1", "large-mdat", "file-url"]
)
def test_mp4_attributes_are_parsed_and_cached(
    client: rowport.Client, tmp_path: Path, variant: str
) -> None:
    path = write_mp4(
        tmp_path / "clip.mp4",
        moov_last=variant == "moov-last",
        version=1 if variant == "version-1" else 0,
        large_mdat=variant == "large-mdat",
    )
    source = path.as_uri() if variant == "file-url" else str(path)
    project, rows = make_project(client, [{"row_data": source}])

    (row,), errors = run_export(project, media_fetch="missing")

    assert errors == []
    assert row["media_attributes"] == MP4_ATTRIBUTES
    assert list(row["media_attributes"]) == list(MP4_ATTRIBUTES)
    assert client.get_data_row(rows[0].uid).media_attributes == MP4_ATTRIBUTES
    path.unlink()
    (again,), errors = run_export(project, media_fetch="missing")
    assert errors == [] and again["media_attributes"] == MP4_ATTRIBUTES


def test_mov_is_quicktime(client: rowport.Client, tmp_path: Path) -> None:
    path = write_mp4(tmp_path / "clip.mov", brand=b"qt  ")
    project, _ = make_project(client, [{"row_data": str(path)}])
    (row,), errors = run_export(project, media_fetch="missing")
    assert errors == []
    assert row["media_attributes"] == {**MP4_ATTRIBUTES, "mime_type": "video/quicktime"}


def test_rows_with_stored_attributes_or_remote_sources_never_touch_media(
    client: rowport.Client, tmp_path: Path
) -> None:
    project, _ = make_project(
        client,
        [
            {
                "row_data": str(tmp_path / "absent.mp4"),
                "media_attributes": STORED,
                "global_key": "a",
            },
            {"row_data": "https://example.invalid/x.mp4", "global_key": "b"},
            {"row_data": str(tmp_path / "absent.webm"), "global_key": "c"},
        ],
    )
    exported, errors = run_export(project)
    assert errors == []
    got = {r["data_row"]["global_key"]: r["media_attributes"] for r in exported}
    assert got == {"a": STORED, "b": {}, "c": {}}


def test_broken_and_missing_files(client: rowport.Client, tmp_path: Path) -> None:
    (tmp_path / "text.mp4").write_text("hello, not a video")
    good = write_mp4(tmp_path / "good.mp4").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(good[:60])
    audio_only = write_mp4(tmp_path / "audio.mp4", traks=[sound_trak()])
    project, _ = make_project(
        client,
        [
            {"row_data": str(tmp_path / "text.mp4"), "global_key": "text"},
            {"row_data": str(tmp_path / "cut.mp4"), "global_key": "cut"},
            {"row_data": str(audio_only), "global_key": "audio"},
            {"row_data": str(tmp_path / "gone.mp4"), "global_key": "gone"},
        ],
    )
    exported, errors = run_export(project, media_fetch="missing")
    assert len(exported) == 4
    assert {e["data_row"]["global_key"]: e["code"] for e in errors} == {
        "text": "MEDIA_UNREADABLE",
        "cut": "MEDIA_UNREADABLE",
        "audio": "MEDIA_UNREADABLE",
        "gone": "MEDIA_NOT_FOUND",
    }
    assert all(e["plugin"] == PLUGIN and e["stage"] == "transform" for e in errors)


def test_parsed_attributes_enable_checks_once(client: rowport.Client, tmp_path: Path) -> None:
    path = write_mp4(tmp_path / "clip.mp4")  # 50 frames, 320 x 240
    project, rows = make_project(client, [{"row_data": str(path)}])
    project.import_labels(
        [
            video_label(
                rows[0],
                {
                    "1": {CAR: obj("car", A)},
                    "60": {CAR: obj("car", A)},  # past frame 50
                    "2": {CAR: obj("car", (0, 300, 10, 40))},  # past x 320
                    "3": {CAR: obj("car", (0, 3, 0, 40))},  # invalid: validate
                },
                {CAR: [[1, 70]]},  # past frame 50
            )
        ]
    )
    _, errors = run_export(project, media_fetch="missing")
    got = sorted(
        (e["stage"], e["code"], e["details"]["path"].split("annotations.")[1]) for e in errors
    )
    assert got == [
        ("transform", "BBOX_OUT_OF_BOUNDS", f"frames.2.objects.{CAR}"),
        ("transform", "FRAME_OUT_OF_RANGE", "frames.60"),
        ("transform", "FRAME_OUT_OF_RANGE", f"segments.{CAR}"),
        ("validate", "BBOX_INVALID", f"frames.3.objects.{CAR}"),
    ]


def test_a_media_probe_parses_the_mp4_and_the_next_default_export_checks_against_it(
    client: rowport.Client, tmp_path: Path
) -> None:
    path = write_mp4(tmp_path / "clip.mp4")  # 50 frames, 320 x 240
    project, rows = make_project(client, [{"row_data": str(path)}])
    project.import_labels([video_label(rows[0], {"60": {CAR: obj("car", A)}}, {CAR: [[60, 60]]})])
    _, errors = run_export(project)
    assert errors == []  # frame_count unknown: nothing to check against

    task = project.probe_media()
    task.wait_till_done(timeout_seconds=60)
    assert task.status == "COMPLETE"
    stored = client.get_data_row(rows[0].uid).media_attributes
    assert (stored["frame_count"], stored["width"], stored["height"]) == (50, 320, 240)

    _, errors = run_export(project)
    assert sorted((e["stage"], e["code"]) for e in errors) == [
        ("validate", "FRAME_OUT_OF_RANGE"),
        ("validate", "FRAME_OUT_OF_RANGE"),
    ]


def test_parser_edges() -> None:
    # the stsd sample entry gives the size when tkhd has none
    moov = mvhd(600, 1200) + video_trak(width=64, height=32, tkhd_size=(0, 0), codec=b"hvc1")
    got = parse_mp4(moov)
    assert (got.width, got.height, got.codec) == (64, 32, "hvc1")
    # NTSC rates stay exact enough
    moov = mvhd(30000, 30030) + video_trak(timescale=30000, entries=[(30, 1001)])
    assert parse_mp4(moov).frame_rate == pytest.approx(29.97003, abs=1e-5)
    with pytest.raises(MediaError) as no_mvhd:
        parse_mp4(video_trak())
    assert no_mvhd.value.code == "MEDIA_UNREADABLE"
    with pytest.raises(MediaError) as broken:
        parse_mp4(mvhd(1, 1) + box(b"trak")[:-1] + b"\xff\xff\xff\xff")
    assert broken.value.code == "MEDIA_UNREADABLE"


def test_interpolation_leaves_the_stored_catalog_alone(client: rowport.Client) -> None:
    project, row = _stored_row(client)
    frames = {"1": {CAR: obj("car", A)}, "3": {CAR: obj("car", B)}}
    project.import_labels([video_label(row, copy.deepcopy(frames), {CAR: [[1, 3]]})])
    (first,), _ = run_export(project, **INTERPOLATE)
    assert list(annotations_of(first)["frames"]) == ["1", "2", "3"]
    (second,), _ = run_export(project)
    assert list(annotations_of(second)["frames"]) == ["1", "3"]
