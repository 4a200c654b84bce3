"""The media probe task: reads media outside exports, stores what it finds, reports what it
could not reach; runs like an export task (persisted, progress, cancel, streams)."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_probe_support import (
    PNG_ATTRIBUTES,
    box,
    gated_server,
    image_project,
    stream_lines,
    unreachable_url,
)

import rowport
from rowport.errors import InvalidExportRequest, NotFound
from rowport.testing import MediaServer, by_global_key, export_rows


def test_probe_fills_attributes_and_the_next_default_export_shows_them_and_checks(
    client: rowport.Client, server: MediaServer
) -> None:
    dataset, project, rows = image_project(
        client, [{"row_data": server.url("a.png"), "global_key": "a"}]
    )
    project.import_labels(
        [{"data_row_id": rows[0].uid, "annotations": {"objects": [box(0, 0, 500, 500)]}}]
    )
    _, errors = export_rows(project)
    assert errors == []  # the size is unknown: bounds are not checked

    task = dataset.probe_media()
    task.wait_till_done(timeout_seconds=60)

    assert task.status == "COMPLETE"
    assert task.type == "probe-media"
    assert task.completion_percentage == 100.0
    assert stream_lines(task) == [
        {
            "data_row": {"id": rows[0].uid, "global_key": "a", "row_data": server.url("a.png")},
            "media_type": "image",
            "outcome": "updated",
            "media_attributes": PNG_ATTRIBUTES,
        }
    ]
    assert stream_lines(task, errors=True) == []
    assert client.get_data_row(rows[0].uid).media_attributes == PNG_ATTRIBUTES
    read = len(server.requests)
    assert read >= 1

    (row,), errors = export_rows(project)

    assert len(server.requests) == read  # the export read nothing
    assert row["media_attributes"] == PNG_ATTRIBUTES
    assert [e["code"] for e in errors] == ["BBOX_OUT_OF_BOUNDS"]


def test_probe_reads_only_rows_lacking_attributes_unless_asked_for_all(
    client: rowport.Client, server: MediaServer
) -> None:
    stale = {**PNG_ATTRIBUTES, "width": 1, "height": 1}
    dataset, _, rows = image_project(
        client,
        [
            {"row_data": server.url("a.png"), "global_key": "stale", "media_attributes": stale},
            {"row_data": server.url("b.png"), "global_key": "new"},
        ],
    )
    task = dataset.probe_media()
    task.wait_till_done(timeout_seconds=60)
    assert {p for p, _ in server.requests} == {"/b.png"}
    outcomes = {line["data_row"]["global_key"]: line["outcome"] for line in stream_lines(task)}
    assert outcomes == {"stale": "unchanged", "new": "updated"}
    assert client.get_data_row(rows[0].uid).media_attributes == stale

    again = dataset.probe_media(only_missing=False)
    again.wait_till_done(timeout_seconds=60)
    assert {p for p, _ in server.requests} == {"/a.png", "/b.png"}
    outcomes = {line["data_row"]["global_key"]: line["outcome"] for line in stream_lines(again)}
    assert outcomes == {"stale": "updated", "new": "unchanged"}
    assert client.get_data_row(rows[0].uid).media_attributes == PNG_ATTRIBUTES
    assert again.metadata["probe"] == {"only_missing": False}


def test_an_unreachable_host_is_a_probe_errors_line_and_never_an_export_one(
    client: rowport.Client, media_dir: Path
) -> None:
    url = unreachable_url("doc.pdf")
    dataset = client.create_dataset("documents")
    rows = dataset.create_data_rows(
        [
            {"row_data": url, "global_key": "gone", "media_type": "document"},
            {
                "row_data": str(media_dir / "doc.pdf"),
                "global_key": "here",
                "media_type": "document",
            },
        ]
    )

    task = dataset.probe_media()
    task.wait_till_done(timeout_seconds=60)

    assert task.status == "COMPLETE"
    (error,) = stream_lines(task, errors=True)
    assert error["data_row"] == {"id": rows[0].uid, "global_key": "gone"}
    assert error["code"] == "MEDIA_UNREACHABLE"
    assert error["stage"] == "probe"
    assert error["plugin"] == "rowport_plugins.document"
    assert error["details"] == {"source": url}
    assert url in error["message"]
    outcomes = {line["data_row"]["global_key"]: line for line in stream_lines(task)}
    assert outcomes["gone"]["outcome"] == "failed"
    assert outcomes["here"]["outcome"] == "updated"
    assert outcomes["here"]["media_attributes"] == {
        "asset_type": "pdf",
        "mime_type": "application/pdf",
        "page_count": 2,
    }

    for _ in range(2):
        exported, errors = export_rows(dataset)
        assert errors == []
        assert by_global_key(exported)["here"]["media_attributes"]["page_count"] == 2


def test_project_and_catalog_probes_cover_their_scope(
    client: rowport.Client, server: MediaServer
) -> None:
    _, project, _ = image_project(client, [{"row_data": server.url("a.png"), "global_key": "p"}])
    other = client.create_dataset("outside the project")
    other.create_data_rows([{"row_data": server.url("b.png"), "global_key": "o"}])

    task = project.probe_media()
    task.wait_till_done(timeout_seconds=60)
    assert [line["data_row"]["global_key"] for line in stream_lines(task)] == ["p"]

    everything = client.get_catalog().probe_media()
    everything.wait_till_done(timeout_seconds=60)
    outcomes = {
        line["data_row"]["global_key"]: line["outcome"] for line in stream_lines(everything)
    }
    assert outcomes == {"p": "unchanged", "o": "updated"}
    assert client.get_task(everything.uid).type == "probe-media"
    assert {t.uid for t in client.get_tasks()} == {task.uid, everything.uid}


def test_probe_without_a_probing_plugin_leaves_rows_unchanged(client: rowport.Client) -> None:
    dataset = client.create_dataset("videos")
    dataset.create_data_rows(
        [{"row_data": "https://example.com/v.mp4", "global_key": "v", "media_type": "video"}]
    )
    task = dataset.probe_media()
    task.wait_till_done(timeout_seconds=60)
    assert [line["outcome"] for line in stream_lines(task)] == ["unchanged"]
    assert stream_lines(task, errors=True) == []


def test_offline_mode_is_reported_by_the_probe(client: rowport.Client) -> None:
    dataset = client.create_dataset("remote")
    dataset.create_data_rows([{"row_data": "https://example.com/a.png", "global_key": "r"}])
    task = dataset.probe_media()
    task.wait_till_done(timeout_seconds=60)
    (error,) = stream_lines(task, errors=True)
    assert error["code"] == "MEDIA_OFFLINE"
    assert "ROWPORT_OFFLINE" in error["message"]


def test_cancel_stops_a_probe_between_batches(client: rowport.Client) -> None:
    with gated_server() as server:
        dataset = client.create_dataset("many")
        dataset.create_data_rows(
            [{"row_data": server.url(f"{i}.png"), "global_key": f"k{i}"} for i in range(150)]
        )
        task = dataset.probe_media()
        assert server.arrived.wait(60)  # the first batch is being read
        assert task.cancel() is True
        server.gate.set()
        task.wait_till_done(timeout_seconds=60)

        assert task.status == "CANCELED"
        lines = stream_lines(task)
        assert len(lines) == 100  # the first batch, then the runner stopped
        assert server.hits == 100
        assert {line["outcome"] for line in lines} == {"updated"}
        stored = [row.media_attributes for row in dataset.data_rows()]
        assert sum(1 for attributes in stored if attributes) == 100


def test_bad_probe_requests_are_refused_before_any_task(client: rowport.Client) -> None:
    dataset = client.create_dataset("rows")
    with pytest.raises(InvalidExportRequest, match=r"drop plugin_options\['media'\]\['fetch'\]"):
        dataset.probe_media(plugin_options={"media": {"fetch": "always"}})
    with pytest.raises(InvalidExportRequest, match=r"media\.timeout"):
        dataset.probe_media(plugin_options={"media": {"timeout": 0}})
    with pytest.raises(InvalidExportRequest, match="only_missing must be True or False"):
        dataset.probe_media(only_missing="yes")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        client.get_dataset("nope").probe_media()
    assert client.get_tasks() == []


def test_every_media_type_probe_finds_what_the_files_say(
    client: rowport.Client, tmp_path: Path
) -> None:
    from rowport.demo._media import make_media
    from rowport.demo._media import probe_media as read_back

    paths = make_media(tmp_path / "demo-media")
    expected = read_back(paths)
    kinds = {
        "street_jpg": "image",
        "speech_wav": "audio",
        "invoice_pdf": "document",
        "article_txt": "text",
        "policy_html": "html",
        "conversation_json": "conversational",
    }
    dataset = client.create_dataset("every kind")
    rows = dataset.create_data_rows(
        [
            {"row_data": str(paths[key]), "media_type": media_type, "global_key": key}
            for key, media_type in kinds.items()
        ]
        + [
            {
                "row_data": paths["tile_layer_json"].read_text(),
                "media_type": "geospatial",
                "global_key": "tile_layer_json",
            }
        ]
    )

    task = dataset.probe_media()
    task.wait_till_done(timeout_seconds=60)

    assert task.status == "COMPLETE"
    assert stream_lines(task, errors=True) == []
    assert {line["outcome"] for line in stream_lines(task)} == {"updated"}
    stored = {row.global_key: row.media_attributes for row in dataset.data_rows()}
    for key in kinds:
        found = stored[key]
        assert {k: found[k] for k in expected[key]} == expected[key], key
    assert stored["policy_html"]["size"] == paths["policy_html"].stat().st_size
    assert stored["tile_layer_json"]["mime_type"] == "application/x-tms-geo"
    assert len(rows) == 7
