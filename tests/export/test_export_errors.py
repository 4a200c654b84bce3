"""What lands in the ERRORS stream, and exports that have nothing to say."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import orjson
import pytest
from export_support import IMAGE_ATTRIBUTES, error_rows, finish, ids_of, result_rows

import rowport
from rowport import DataRow
from rowport.tasks import StreamType

ERROR_KEYS = ["data_row", "stage", "plugin", "code", "message", "details"]
STAGES = {"validate", "transform", "assemble", "sink", "task"}


@attrs.frozen(kw_only=True)
class Labelled:
    client: rowport.Client
    rows: list[DataRow]
    project: rowport.Project


@pytest.fixture
def labelled(tmp_path: Path) -> Iterator[Labelled]:
    """Three image rows queued and labelled in one project."""
    with rowport.Client(tmp_path / "home") as client:
        dataset = client.create_dataset("d")
        rows = dataset.create_data_rows(
            [
                {
                    "row_data": f"https://example.com/{i}.jpg",
                    "global_key": f"k{i}",
                    "media_attributes": IMAGE_ATTRIBUTES,
                }
                for i in range(3)
            ]
        )
        ontology = client.create_ontology("o", tools=[{"tool": "bbox", "name": "box"}])
        project = client.create_project("p", "image", ontology)
        project.create_batch("b", data_rows=rows)
        project.import_labels([{"data_row_id": r.uid} for r in rows])
        yield Labelled(client=client, rows=rows, project=project)


def test_unknown_data_row_error_has_the_documented_shape(labelled: Labelled) -> None:
    (error,) = error_rows(DataRow.export(labelled.client, global_keys=["nope"]))
    assert list(error) == ERROR_KEYS
    assert error["data_row"] is None
    assert error["stage"] in STAGES
    assert error["plugin"] is None
    assert (error["code"], error["details"]) == ("DATA_ROW_NOT_FOUND", {"global_key": "nope"})
    assert "nope" in error["message"]


def test_export_of_an_empty_project_completes_with_nothing(labelled: Labelled) -> None:
    empty = labelled.client.create_project("empty", "image")
    task = finish(empty.export(params={"label_details": True}))
    assert (task.has_result(), task.has_errors()) == (False, False)
    assert task.get_total_lines(StreamType.RESULT) is None
    assert task.completion_percentage == 100.0


def test_clean_export_has_no_errors(labelled: Labelled) -> None:
    task = labelled.project.export(params={"label_details": True})
    assert len(result_rows(task)) == 3
    assert not task.has_errors()


def test_interpolated_frames_change_nothing_in_image_rows(labelled: Labelled) -> None:
    plain = result_rows(labelled.project.export())
    assert result_rows(labelled.project.export(params={"interpolated_frames": True})) == plain


def _corrupt(client: rowport.Client, sql: str, *args: object) -> None:
    with client.catalog.db.transaction() as conn:  # either backend, as raw SQL
        conn.execute(sql, args)


@pytest.mark.parametrize(
    ("sql", "row"),
    [
        ("UPDATE data_rows SET media_attributes = '{broken' WHERE id = ?", 1),
        ("UPDATE labels SET annotations = '{\"objects\": [' WHERE data_row_id = ?", 2),
    ],
    ids=["media_attributes", "annotations"],
)
def test_corrupt_stored_json_becomes_an_error_not_a_broken_line(
    labelled: Labelled, sql: str, row: int
) -> None:
    bad = labelled.rows[row].uid
    _corrupt(labelled.client, sql, bad)
    task = finish(labelled.project.export())
    lines = [out.json_str for out in task.get_stream()]
    for line in lines:
        orjson.loads(line)  # every RESULT line is JSON
    assert bad not in ids_of([orjson.loads(line) for line in lines])
    errors = error_rows(task)
    assert [(e["code"], e["data_row"]["id"]) for e in errors] == [("ROW_ASSEMBLY_FAILED", bad)]
