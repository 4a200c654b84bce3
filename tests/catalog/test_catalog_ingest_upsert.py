"""Ingest is strict about types, isolates bad rows, upserts by id and reports progress."""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from ingest_rows import PROJECT_ID, label_of, labelled_row

from rowport import Client
from rowport._ids import new_id
from rowport.catalog import IngestProgress

OLD = "2020-01-02T03:04:05.000+00:00"
Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """A mutation setting the value at a dotted path (``label`` is the first label)."""

    def mutate(row: dict[str, Any]) -> None:
        keys = path.split(".")
        node: Any = label_of(row) if keys[0] == "label" else row
        for key in keys[1:-1] if keys[0] == "label" else keys[:-1]:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[keys[-1]] = value

    return mutate


WRONG_TYPES: dict[str, tuple[Mutation, str]] = {
    "bounding_box as a string": (
        _set("label.annotations.objects.0.bounding_box", "1,2,3,4"),
        f"$.projects.{PROJECT_ID}.labels[0].annotations.objects[0].bounding_box: expected an"
        ' object, got "1,2,3,4"',
    ),
    "bounding_box.top as a string": (
        _set("label.annotations.objects.0.bounding_box.top", "1"),
        "objects[0].bounding_box.top: expected a number",
    ),
    "media_attributes.width as a list": (
        _set("media_attributes.width", [200]),
        "$.media_attributes.width: expected an integer",
    ),
    "performance seconds as strings": (
        _set("label.performance_details.seconds_to_create", "3"),
        f"$.projects.{PROJECT_ID}.labels[0].performance_details.seconds_to_create: expected a"
        ' number, got "3"',
    ),
    "priority of 2**63": (
        _set(f"projects.{PROJECT_ID}.project_details.priority", 2**63),
        "project_details.priority: expected an integer from -2**63 to 2**63-1, got"
        " 9223372036854775808",
    ),
    "label_kind as a list": (
        _set("label.label_kind", ["x"]),
        'labels[0].label_kind: expected a non-empty string, got ["x"]',
    ),
    "annotation_kind as a list": (
        _set("label.annotations.objects.0.annotation_kind", ["ImageBoundingBox"]),
        "objects[0].annotation_kind: expected one of ImageBoundingBox",
    ),
    "unknown workflow status": (
        _set(f"projects.{PROJECT_ID}.project_details.workflow_status", "FINISHED"),
        "project_details.workflow_status: unknown workflow status 'FINISHED'; allowed:",
    ),
    "attachment type": (
        _set("attachments.0.type", "PICTURE"),
        "$.attachments[0].type: expected one of IMAGE, VIDEO",
    ),
}


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def _dump(client: Client) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(client.home / "catalog.db")
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        conn.close()


def _export(client: Client, **params: bool) -> list[dict[str, Any]]:
    task = client.get_catalog().export(params={"all_projects": True, **params})
    task.wait_till_done()
    return [out.json for out in task.get_buffered_stream()]


@pytest.mark.parametrize("case", WRONG_TYPES)
def test_a_wrong_type_is_refused_with_its_path_value_and_what_is_allowed(
    client: Client, case: str
) -> None:
    mutate, expected = WRONG_TYPES[case]
    bad = labelled_row(1)
    mutate(bad)
    report = client.import_rows([labelled_row(0), bad])
    assert (report.loaded, report.failed) == (1, 1)
    (error,) = report.errors
    assert error.line == 2
    assert expected in error.reason


def test_a_bad_row_does_not_take_the_valid_rows_of_its_batch_down(client: Client) -> None:
    bad = labelled_row(1)
    bad["projects"][PROJECT_ID]["project_details"]["priority"] = 2**63
    report = client.import_rows([labelled_row(0), bad, labelled_row(2)], batch_size=10)
    assert (report.loaded, report.failed) == (2, 1)
    assert client.get_data_row_by_global_key("labelled-2").global_key == "labelled-2"


def test_an_attachment_id_of_another_row_is_refused_and_both_keep_their_data(
    client: Client,
) -> None:
    first, second = labelled_row(0), labelled_row(1)
    second["attachments"][0]["id"] = first["attachments"][0]["id"]
    report = client.import_rows([first, second])
    assert report.loaded == 1
    (error,) = report.errors
    assert error.line == 2
    attachment_id = first["attachments"][0]["id"]
    assert f"$.attachments[0].id: attachment id {attachment_id!r} already belongs to" in (
        error.reason
    )
    (row,) = _export(client, attachments=True)
    assert row["attachments"] == first["attachments"]


def test_a_label_id_of_another_row_is_refused(client: Client) -> None:
    first, second = labelled_row(0), labelled_row(1)
    client.import_rows([first])
    label_of(second)["id"] = label_of(first)["id"]
    report = client.import_rows([second])
    assert report.failed == 1
    assert "label id" in report.errors[0].reason
    assert "already belongs to" in report.errors[0].reason
    assert client.get_project(PROJECT_ID).labels()[0].data_row_id == first["data_row"]["id"]


def test_a_changed_row_is_updated_and_its_content_replaced(client: Client) -> None:
    row = labelled_row(0)
    row["data_row"]["details"] = {"created_at": OLD, "updated_at": OLD, "last_activity_at": OLD}
    client.import_rows([row])
    changed = copy.deepcopy(row)
    del changed["data_row"]["details"]
    changed["data_row"]["row_data"] = "https://example.com/new.jpg"
    label_of(changed)["annotations"]["objects"][0]["bounding_box"]["top"] = 50.0
    report = client.import_rows([changed])
    assert (report.loaded, report.updated, report.unchanged) == (0, 1, 0)
    assert "1 updated" in report.summary()
    stored = client.get_data_row(row["data_row"]["id"])
    assert stored.row_data == "https://example.com/new.jpg"
    (exported,) = _export(client, data_row_details=True)
    details = exported["data_row"]["details"]
    assert details["created_at"] == OLD
    assert details["updated_at"] != OLD and details["last_activity_at"] != OLD
    (label,) = exported["projects"][PROJECT_ID]["labels"]
    assert label["annotations"]["objects"][0]["bounding_box"]["top"] == 50.0


def test_a_row_imported_again_unchanged_writes_nothing(client: Client) -> None:
    rows = [labelled_row(i) for i in range(3)]
    client.import_rows(rows)
    before = _dump(client)
    report = client.import_rows(rows)
    assert (report.loaded, report.updated, report.unchanged) == (0, 0, 3)
    assert _dump(client) == before


def test_the_same_row_twice_in_one_file_merges_its_projects(client: Client) -> None:
    first = labelled_row(0)
    again = copy.deepcopy(first)
    other = new_id()
    again["projects"] = {other: copy.deepcopy(first["projects"][PROJECT_ID])}
    label_of(again)["id"] = new_id()
    report = client.import_rows([first, again])
    assert (report.loaded, report.updated, report.failed) == (1, 1, 0)
    (row,) = _export(client)
    assert set(row["projects"]) == {PROJECT_ID, other}


def test_a_metadata_name_stored_under_another_id_resolves_to_it(client: Client) -> None:
    schema = client.create_metadata_schema("camera", "string")
    row = labelled_row(0)
    row["metadata_fields"] = [{"schema_id": new_id(), "schema_name": "camera", "value": "x"}]
    report = client.import_rows([row, labelled_row(1)])
    assert (report.loaded, report.failed) == (2, 0)
    exported = _export(client, metadata_fields=True)
    assert exported[0]["metadata_fields"] == [
        {"schema_id": schema["id"], "schema_name": "camera", "value": "x"}
    ]


def test_a_metadata_name_of_another_kind_names_the_schema_it_conflicts_with(
    client: Client,
) -> None:
    schema = client.create_metadata_schema("speed", "number")
    row = labelled_row(0)
    given = new_id()
    row["metadata_fields"] = [{"schema_id": given, "schema_name": "speed", "value": "fast"}]
    report = client.import_rows([row])
    (error,) = report.errors
    assert error.reason == (
        f"$.metadata_fields[0].schema_name: the name 'speed' is already used by metadata schema"
        f" {schema['id']} (number values); schema {given} of this row holds string values"
    )


def test_progress_is_reported_after_every_batch(client: Client, tmp_path: Path) -> None:
    path = _write(tmp_path / "rows.ndjson", [labelled_row(i) for i in range(5)])
    seen: list[IngestProgress] = []
    report = client.import_file(path, batch_size=2, progress=seen.append)
    assert report.loaded == 5
    assert [p.lines for p in seen] == [2, 4, 5]
    assert seen[-1].bytes_read == seen[-1].total_bytes == path.stat().st_size
    assert {p.phase for p in seen} == {"write"}


def test_a_strict_import_checks_every_line_before_writing(client: Client, tmp_path: Path) -> None:
    path = _write(tmp_path / "rows.ndjson", [labelled_row(i) for i in range(3)])
    phases: list[str] = []
    report = client.import_file(path, strict=True, progress=lambda p: phases.append(p.phase))
    assert (report.loaded, report.committed) == (3, True)
    assert phases == ["check", "write"]


def test_a_strict_import_that_fails_on_a_later_batch_writes_nothing(client: Client) -> None:
    # the clash with line 1 shows only once line 1 is written: the strict write rolls back
    first, clash = labelled_row(0), labelled_row(1)
    clash["data_row"]["global_key"] = first["data_row"]["global_key"]
    before = _dump(client)
    report = client.import_rows([first, clash], strict=True, batch_size=1)
    assert (report.loaded, report.failed, report.committed) == (0, 1, False)
    assert report.errors[0].line == 2
    assert _dump(client) == before


def test_an_imported_label_is_stored_in_the_reference_shape(client: Client) -> None:
    row = labelled_row(0)
    annotations = label_of(row)["annotations"]
    del annotations["classifications"], annotations["relationships"]
    (box,) = annotations["objects"]
    box["bounding_box"] = {"width": 4.0, "height": 3.0, "left": 2.0, "top": 1.0}
    label_of(row)["annotations"]["objects"] = [dict(reversed(list(box.items())))]
    client.import_rows([row])
    (exported,) = _export(client)
    (label,) = exported["projects"][PROJECT_ID]["labels"]
    assert list(label["annotations"]) == ["objects", "classifications", "relationships"]
    (obj,) = label["annotations"]["objects"]
    keys = ["feature_id", "name", "value", "annotation_kind", "classifications", "bounding_box"]
    assert list(obj) == keys
    assert list(obj["bounding_box"]) == ["top", "left", "height", "width"]
    assert client.import_rows([row]).unchanged == 1
