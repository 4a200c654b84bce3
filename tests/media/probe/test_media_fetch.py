"""Exports read no media by default: stored attributes are used, checks that need absent ones
are skipped; ``media.fetch`` = ``"missing"`` / ``"always"`` reads media during the export."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_probe_support import PNG_ATTRIBUTES, box, image_project, unreachable_url

import rowport
from rowport.errors import InvalidExportRequest
from rowport.testing import MediaServer, by_global_key, export_rows


def test_a_default_export_makes_no_media_request_and_skips_bounds_checks(
    client: rowport.Client, server: MediaServer
) -> None:
    _, project, rows = image_project(
        client,
        [
            {"row_data": server.url("a.png"), "global_key": "a"},
            {"row_data": server.url("b.png"), "global_key": "b"},
        ],
    )
    # far outside a 64 x 48 image: only checkable once the size is known
    project.import_labels(
        [{"data_row_id": rows[0].uid, "annotations": {"objects": [box(0, 0, 500, 500)]}}]
    )

    exported, errors = export_rows(project)

    assert server.requests == []
    assert errors == []
    assert [row["media_attributes"] for row in exported] == [{}, {}]
    assert client.get_data_row(rows[0].uid).media_attributes in ({}, None)


def test_stored_attributes_are_used_without_reading_the_media(
    client: rowport.Client, server: MediaServer
) -> None:
    _, project, rows = image_project(
        client,
        [{"row_data": server.url("a.png"), "global_key": "a", "media_attributes": PNG_ATTRIBUTES}],
    )
    project.import_labels(
        [{"data_row_id": rows[0].uid, "annotations": {"objects": [box(0, 0, 500, 500)]}}]
    )

    (row,), errors = export_rows(project)

    assert server.requests == []
    assert row["media_attributes"] == PNG_ATTRIBUTES
    assert [e["code"] for e in errors] == ["BBOX_OUT_OF_BOUNDS"]


def test_fetch_missing_reads_only_rows_lacking_attributes_and_stores_them(
    client: rowport.Client, server: MediaServer
) -> None:
    stored = {**PNG_ATTRIBUTES, "width": 32, "height": 24}
    _, project, rows = image_project(
        client,
        [
            {"row_data": server.url("a.png"), "global_key": "lacking"},
            {"row_data": server.url("b.png"), "global_key": "stored", "media_attributes": stored},
        ],
    )

    exported, errors = export_rows(project, media_fetch="missing")

    assert errors == []
    assert [path for path, _ in server.requests] == ["/a.png"]
    found = by_global_key(exported)
    assert found["lacking"]["media_attributes"] == PNG_ATTRIBUTES
    assert found["stored"]["media_attributes"] == stored
    assert client.get_data_row(rows[0].uid).media_attributes == PNG_ATTRIBUTES
    # stored now: the next export reads nothing, whatever the mode
    export_rows(project, media_fetch="missing")
    assert [path for path, _ in server.requests] == ["/a.png"]


def test_fetch_always_rereads_every_row_and_replaces_what_it_computes(
    client: rowport.Client, server: MediaServer
) -> None:
    wrong = {"width": 1000, "height": 1000, "mime_type": "image/png", "note": "kept"}
    _, project, rows = image_project(
        client, [{"row_data": server.url("a.png"), "global_key": "a", "media_attributes": wrong}]
    )

    (row,), errors = export_rows(project, media_fetch="always")

    assert errors == []
    assert [path for path, _ in server.requests] == ["/a.png"]
    assert row["media_attributes"] == {**PNG_ATTRIBUTES, "note": "kept"}
    assert client.get_data_row(rows[0].uid).media_attributes == {**PNG_ATTRIBUTES, "note": "kept"}


def test_an_unreachable_pdf_host_gives_no_errors_line_on_any_default_export(
    client: rowport.Client,
) -> None:
    dataset = client.create_dataset("documents")
    dataset.create_data_rows(
        [{"row_data": unreachable_url("doc.pdf"), "global_key": "d", "media_type": "document"}]
    )
    for _ in range(2):
        (row,), errors = export_rows(dataset)
        assert errors == []
        assert row["media_attributes"] == {}
    # asked for, the export still reports it
    _, errors = export_rows(dataset, media_fetch="missing")
    assert [e["code"] for e in errors] == ["MEDIA_UNREACHABLE"]


@pytest.mark.parametrize("value", ["sometimes", True, 1, None, ["missing"]])
def test_a_bad_media_fetch_value_is_refused_before_any_task(
    client: rowport.Client, value: object
) -> None:
    dataset = client.create_dataset("rows")
    with pytest.raises(InvalidExportRequest) as caught:
        dataset.export(plugin_options={"media": {"fetch": value}})
    message = str(caught.value)
    assert "media.fetch" in message
    assert "'off', 'missing', 'always'" in message
    assert repr(value) in message
    assert client.get_tasks() == []


def test_other_bad_media_options_and_dotted_names_are_refused(client: rowport.Client) -> None:
    dataset = client.create_dataset("rows")
    with pytest.raises(InvalidExportRequest, match=r"media\.timeout must be a number"):
        dataset.export(plugin_options={"media": {"timeout": -1}})
    with pytest.raises(InvalidExportRequest, match=r"media\.max_bytes must be a positive"):
        dataset.export(plugin_options={"media": {"max_bytes": "big"}})
    with pytest.raises(InvalidExportRequest, match=r"'media\.fetch' is a dotted name"):
        dataset.export(plugin_options={"media.fetch": "missing"})
    assert client.get_tasks() == []


def test_fetch_false_still_reads_nothing_and_adds_no_attributes(
    client: rowport.Client, tmp_path: Path
) -> None:
    dataset = client.create_dataset("texts")
    dataset.create_data_rows([{"row_data": "inline text", "global_key": "t", "media_type": "text"}])
    (row,), _ = export_rows(dataset, plugin_options={"media": {"fetch": False}})
    assert row["media_attributes"] == {}
    # off (the default) still adds what needs no reading
    (row,), _ = export_rows(dataset)
    assert row["media_attributes"] == {"mime_type": "text/plain"}


def test_offline_mode_keeps_remote_hosts_unread_even_when_fetching(
    client: rowport.Client,
) -> None:
    dataset = client.create_dataset("remote")
    dataset.create_data_rows([{"row_data": "https://example.com/a.png", "global_key": "r"}])
    (row,), errors = export_rows(dataset, media_fetch="always")
    assert errors == []
    assert row["media_attributes"] == {}


def test_the_readme_rows_export_without_media_errors_even_online(
    client: rowport.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROWPORT_OFFLINE", raising=False)
    dataset = client.create_dataset("street scenes")
    rows = dataset.create_data_rows(
        [
            {"row_data": "https://example.com/a.jpg", "global_key": "a"},
            {"row_data": "https://example.com/b.jpg", "global_key": "b"},
        ]
    )
    ontology = client.create_ontology("boxes", tools=[{"tool": "bbox", "name": "car"}])
    project = client.create_project("cars", "image", ontology)
    project.create_batch("first", data_rows=rows)
    box_object = {**box(10, 20, 30, 40), "name": "car"}
    project.import_labels([{"data_row_id": rows[0].uid, "annotations": {"objects": [box_object]}}])

    exported, errors = export_rows(project, params={"label_details": True})

    assert errors == []
    assert len(exported) == 2
