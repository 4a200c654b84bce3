"""The audio plugin inside real exports: WAV headers read from paths, file:// and HTTP (with and
without Range), exact attributes, and one ERRORS line per bad timestamp entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from media_audio_support import (
    PLUGIN,
    Server,
    attributes,
    by_key,
    label,
    make_project,
    run_export,
    turn,
)

import rowport
import rowport_plugins._formats.wav
import rowport_plugins.audio
from rowport.demo import build_demo
from rowport.testing import make_client
from rowport_plugins._media import MediaFetcher

MONO = attributes(1500, 16000, 1)
STEREO = attributes(750, 8000, 2)


def _source(how: str, media_dir: Path, name: str, range_server: Server, plain: Server) -> str:
    return {
        "path": lambda: str(media_dir / name),
        "file_url": lambda: (media_dir / name).as_uri(),
        "http_range": lambda: range_server.url(name),
        "http_plain": lambda: plain.url(name),
    }[how]()


@pytest.mark.parametrize("how", ["path", "file_url", "http_range", "http_plain"])
def test_wav_attributes_are_read_exactly_from_every_kind_of_source(
    client: rowport.Client,
    media_dir: Path,
    range_server: Server,
    plain_server: Server,
    how: str,
) -> None:
    mono = _source(how, media_dir, "mono.wav", range_server, plain_server)
    stereo = _source(how, media_dir, "stereo.wav", range_server, plain_server)
    project, rows, _ = make_project(
        client,
        [
            {"row_data": mono, "global_key": "mono"},
            {"row_data": stereo, "global_key": "stereo"},
            {"row_data": mono, "global_key": "mono-again"},
        ],
    )
    project.import_labels(
        [
            label(rows[0], {"f1": [turn(0, 750), turn(750, 1500, "speaker b")]}),
            label(rows[1], {"f2": [turn(0, 750)]}),
            label(rows[2]),
        ]
    )

    exported, errors = run_export(project, media_fetch="missing")

    assert errors == []
    found = by_key(exported)
    assert found["mono"]["media_attributes"] == MONO
    assert found["mono-again"]["media_attributes"] == MONO
    assert found["stereo"]["media_attributes"] == STEREO
    # cached in the catalog for the next export
    assert client.get_data_row(rows[1].uid).media_attributes == STEREO
    if how == "http_range":
        # one header read per file (the second mono row hit the per-export cache)
        assert range_server.ranges == ["bytes=0-65535", "bytes=0-65535"]
    if how == "http_plain":
        assert len(plain_server.ranges) == 2


@pytest.mark.parametrize("server_kind", ["range", "plain"])
def test_a_short_head_is_extended_until_the_data_chunk(
    client: rowport.Client,
    range_server: Server,
    plain_server: Server,
    server_kind: str,
) -> None:
    server = range_server if server_kind == "range" else plain_server
    project, _rows, _ = make_project(
        client, [{"row_data": server.url("stereo.wav"), "global_key": "s"}]
    )
    (row,), errors = run_export(
        project, plugin_options={"audio": {"head_bytes": 16}}, media_fetch="missing"
    )
    assert errors == []
    assert row["media_attributes"] == STEREO
    assert len(server.ranges) >= 2
    if server_kind == "range":
        assert server.ranges[0] == "bytes=0-15"


def test_a_timestamp_past_the_end_is_one_errors_line(
    client: rowport.Client, media_dir: Path
) -> None:
    project, rows, _ = make_project(
        client, [{"row_data": str(media_dir / "mono.wav"), "global_key": "k"}]
    )
    (imported,) = project.import_labels(
        [label(rows[0], {"feat-1": [turn(0, 1500), turn(1000, 3500, "speaker b")]})]
    )

    exported, errors = run_export(project, media_fetch="missing")

    assert len(exported) == 1  # the default policy keeps the row
    (error,) = errors
    assert error["plugin"] == PLUGIN
    assert error["stage"] == "validate"
    assert error["code"] == "TIMESTAMP_OUT_OF_RANGE"
    assert error["data_row"]["id"] == rows[0].uid
    path = f"projects.{project.uid}.labels[0].annotations.timestamp.feat-1[1]"
    assert path in error["message"]
    assert "speaker" in error["message"]
    assert "1500" in error["message"]
    details = error["details"]
    assert details["label_id"] == imported.uid
    assert details["feature_id"] == "feat-1"
    assert (details["start_ms"], details["end_ms"]) == (1000, 3500)
    assert details["duration_ms"] == 1500
    assert details["path"] == path


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (900, 100, "TIMESTAMP_INVALID"),
        ("0", 100, "TIMESTAMP_INVALID"),
        (0, None, "TIMESTAMP_INVALID"),
        (True, 100, "TIMESTAMP_INVALID"),
        (-5, 100, "TIMESTAMP_OUT_OF_RANGE"),
        (0, 750.5, "TIMESTAMP_OUT_OF_RANGE"),
    ],
)
def test_bad_timestamp_entries_are_caught(
    client: rowport.Client, media_dir: Path, start: Any, end: Any, code: str
) -> None:
    project, rows, _ = make_project(
        client, [{"row_data": (media_dir / "stereo.wav").as_uri(), "global_key": "k"}]
    )
    project.import_labels([label(rows[0], {"f": [turn(start, end), turn(0, 750.0)]})])
    _, errors = run_export(project, media_fetch="missing")
    assert [(e["code"], e["details"]["start_ms"], e["details"]["end_ms"]) for e in errors] == [
        (code, start, end)
    ]
    assert errors[0]["details"]["duration_ms"] == 750


def test_each_bad_entry_is_its_own_line_and_skip_drops_the_row(
    client: rowport.Client, media_dir: Path
) -> None:
    project, rows, _ = make_project(
        client,
        [
            {"row_data": str(media_dir / "mono.wav"), "global_key": "bad"},
            {"row_data": str(media_dir / "mono.wav"), "global_key": "good"},
        ],
    )
    project.import_labels(
        [
            label(rows[0], {"a": [turn(0, 2000), turn(10, 5)], "b": [turn(1400, 1600)]}),
            label(rows[1], {"a": [turn(0, 1500)]}),
        ]
    )
    exported, errors = run_export(project, on_row_error="skip", media_fetch="missing")
    assert sorted((e["code"], e["details"]["feature_id"]) for e in errors) == [
        ("TIMESTAMP_INVALID", "a"),
        ("TIMESTAMP_OUT_OF_RANGE", "a"),
        ("TIMESTAMP_OUT_OF_RANGE", "b"),
    ]
    assert {e["data_row"]["id"] for e in errors} == {rows[0].uid}
    assert list(by_key(exported)) == ["good"]


def test_stored_attributes_are_used_without_reading_the_media(client: rowport.Client) -> None:
    stored = attributes(2000, 44100, 2) | {"mime_type": "audio/mpeg"}
    project, rows, _ = make_project(
        client,
        [
            {
                "row_data": "https://storage.invalid/clip.mp3",
                "global_key": "k",
                "media_attributes": stored,
            }
        ],
    )
    project.import_labels([label(rows[0], {"f": [turn(0, 2000), turn(1500, 2001)]})])
    (row,), errors = run_export(project)
    assert [(e["code"], e["details"]["duration_ms"]) for e in errors] == [
        ("TIMESTAMP_OUT_OF_RANGE", 2000)
    ]
    assert row["media_attributes"] == stored


def test_other_formats_and_missing_files_are_one_line_per_row(
    client: rowport.Client, media_dir: Path
) -> None:
    (media_dir / "clip.mp3").write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 500)
    (media_dir / "noise.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk" * 3)
    project, rows, _ = make_project(
        client,
        [
            {"row_data": str(media_dir / "clip.mp3"), "global_key": "mp3"},
            {"row_data": str(media_dir / "gone.wav"), "global_key": "gone"},
            {"row_data": str(media_dir / "noise.wav"), "global_key": "noise"},
        ],
    )
    project.import_labels([label(row, {"f": [turn(0, 100)]}) for row in rows])
    exported, errors = run_export(project, media_fetch="missing")
    codes = {e["data_row"]["id"]: e["code"] for e in errors}
    assert len(errors) == 3
    assert codes == {
        rows[0].uid: "MEDIA_UNSUPPORTED_FORMAT",
        rows[1].uid: "MEDIA_NOT_FOUND",
        rows[2].uid: "MEDIA_UNREADABLE",
    }
    assert "MP3" in next(e["message"] for e in errors if e["data_row"]["id"] == rows[0].uid)
    assert all(row["media_attributes"] == {} for row in exported)


def test_without_fetching_only_the_shape_is_checked(
    client: rowport.Client, media_dir: Path
) -> None:
    project, rows, _ = make_project(
        client, [{"row_data": str(media_dir / "mono.wav"), "global_key": "k"}]
    )
    project.import_labels([label(rows[0], {"f": [turn(0, 99999), turn(5, 1)]})])
    (row,), errors = run_export(project, plugin_options={"media": {"fetch": False}})
    assert [e["code"] for e in errors] == ["TIMESTAMP_INVALID"]
    assert row["media_attributes"] == {}


def test_parse_wav_reads_a_header_without_samples(media_dir: Path) -> None:
    data = (media_dir / "mono.wav").read_bytes()
    info = rowport_plugins._formats.wav.parse_wav(data[:44], len(data))
    assert info.attributes() == MONO
    with pytest.raises(rowport_plugins._formats.wav.NeedMore):
        rowport_plugins._formats.wav.parse_wav(data[:30], len(data))


def test_the_demo_audio_project_is_clean_and_its_broken_row_is_caught(tmp_path: Path) -> None:
    with make_client(tmp_path, plugins=[rowport_plugins.audio]) as client:
        demo = build_demo(client, tmp_path / "media", bulk_rows=0)
        project = client.get_project(demo.project_ids["audio"])
        exported, errors = run_export(project)
        assert errors == []
        assert len(exported) == demo.row_counts["audio"]
        # the demo's stored attributes are what the plugin reads from its files
        media = MediaFetcher()
        for row in exported:
            read = rowport_plugins.audio.read_wav(media, row["data_row"]["row_data"], 65536)
            assert read.attributes() == row["media_attributes"]

        broken = demo.broken["audio_timestamp_past_end"]
        fixtures = client.get_project(demo.broken_project_ids["audio"])
        _, errors = run_export(fixtures)
        mine = [e for e in errors if e["plugin"] == PLUGIN]
        assert [(e["code"], e["data_row"]["id"]) for e in mine] == [
            ("TIMESTAMP_OUT_OF_RANGE", broken.data_row_id)
        ]
        assert mine[0]["details"]["label_id"] == broken.label_id
        assert mine[0]["details"]["end_ms"] == mine[0]["details"]["duration_ms"] + 2000
