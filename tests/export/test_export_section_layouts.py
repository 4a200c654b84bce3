"""The SQL of every export read and the assembler agree on each declared row layout.

Each read selects its columns ``AS`` the names of its layout (``rowport.request.QUEUE_ROW`` ...),
and each named column holds the value of that name: a row imported with a distinct value in
every field reads back, column by column, by name.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
from export_support import cuid, generated_row

import rowport
from rowport.catalog import SQLiteExportSource
from rowport.catalog._section_sql import SECTION_COLUMN_SQL, select_list
from rowport.request import (
    HISTORY_ROW,
    LABEL_ROW,
    PLAN_SECTIONS,
    QUEUE_ROW,
    RUN_ANNOTATION_ROW,
    RUN_ROW,
    SECTION_LAYOUTS,
    ExportKind,
    PlanLayout,
    ProjectInfo,
    RowLayout,
    build_request,
)

PROJECT = cuid("clayoutproject", 1)
RUN = cuid("clayoutrun", 1)
MODEL = cuid("clayoutmodel", 1)
ROW = cuid("cgenrow", 0)
LABEL = cuid("cgenlabel", 0)
BATCH = cuid("clayoutbatch", 1)
ONTOLOGY = cuid("clayoutontology", 1)
CREATED = "2024-01-01T00:00:00.000+00:00"
DETAILS = {
    "ontology_id": ONTOLOGY,
    "task_id": cuid("clayouttask", 1),
    "task_name": "Review",
    "batch_id": BATCH,
    "batch_name": "the batch",
    "workflow_status": "IN_REVIEW",
    "priority": 7,
    "selected_label_id": LABEL,
    "consensus_expected_label_count": 3,
    "workflow_history": [
        {
            "action": "MOVED",
            "created_at": CREATED,
            "created_by": "mover@example.com",
            "previous_task_id": cuid("clayouttask", 2),
            "previous_task_name": "Label",
            "next_task_id": cuid("clayouttask", 1),
            "next_task_name": "Review",
        }
    ],
}


class RecordingConnection:
    """A connection that keeps the column names of each cursor it opens."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.columns: list[tuple[str, ...]] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        cursor = self.conn.execute(sql, params)
        self.columns.append(tuple(d[0] for d in cursor.description or ()))
        return cursor


class RecordingDatabase:
    """The catalog's database, seen through a :class:`RecordingConnection`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = RecordingConnection(conn)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[rowport.Client]:
    """A catalog of one row with every section filled with distinct values."""
    row = generated_row(0, project_id=PROJECT, run_ids=[RUN], model_id=MODEL)
    row["projects"][PROJECT]["project_details"] = DETAILS
    run = row["experiments"][MODEL]["runs"][RUN]
    run["labels"] = [{**run["predictions"][0], "id": cuid("clayoutrunlabel", 1)}]
    with rowport.Client(Path(tmp_path_factory.mktemp("layouts")) / "home") as c:
        report = c.import_rows([row], strict=True)
        assert report.ok, report.errors
        yield c


@pytest.fixture
def recorded(client: rowport.Client) -> tuple[SQLiteExportSource, RecordingConnection]:
    """An export source over the catalog whose reads record their cursors' column names."""
    catalog = client.catalog
    db = RecordingDatabase(catalog.db.conn)
    source = SQLiteExportSource(
        db,  # type: ignore[arg-type]
        catalog.actor,
        catalog.rows,
        catalog.projects,
        catalog.models,
    )
    return source, db.conn


def _section_reads(source: SQLiteExportSource) -> dict[str, Callable[[], list[Any]]]:
    """Each section read of :data:`SECTION_LAYOUTS`, of the one row, by method name."""
    ids = [ROW]
    return {
        "read_queue": lambda: source.read_queue(ids, None),
        "read_history": lambda: source.read_history(ids, None),
        "read_labels": lambda: source.read_labels(ids, None, reviews=True),
        "read_run_rows": lambda: source.read_run_rows(ids, None),
        "read_run_annotations": lambda: source.read_run_annotations(
            ids, None, ["label", "prediction"]
        ),
    }


def _named(layout: RowLayout, rows: Sequence[tuple[Any, ...]]) -> list[dict[str, Any]]:
    assert all(len(r) == len(layout.columns) for r in rows), layout.name
    return [dict(zip(layout.columns, r, strict=True)) for r in rows]


def test_every_section_read_selects_the_columns_of_its_layout_by_name(
    recorded: tuple[SQLiteExportSource, RecordingConnection],
) -> None:
    source, conn = recorded
    reads = _section_reads(source)
    assert set(reads) == set(SECTION_LAYOUTS)
    for method, layout in SECTION_LAYOUTS.items():
        rows = reads[method]()
        assert rows, f"{method} read nothing"
        assert conn.columns[-1] == layout.columns, method
        assert {len(r) for r in rows} == {len(layout.columns)}, method
    source.read_labels([ROW], None, reviews=False)
    assert conn.columns[-1] == LABEL_ROW.columns


def test_every_section_layout_has_the_sql_of_each_of_its_columns() -> None:
    assert set(SECTION_COLUMN_SQL) == {layout.name for layout in SECTION_LAYOUTS.values()}
    for layout in SECTION_LAYOUTS.values():
        assert set(SECTION_COLUMN_SQL[layout.name]) == set(layout.columns), layout.name
    with pytest.raises(ValueError, match="the labels layout has no column"):
        select_list(LABEL_ROW, review="NULL")


def test_each_queue_column_holds_the_value_of_its_name(client: rowport.Client) -> None:
    (queue,) = _named(QUEUE_ROW, client.catalog.reads.read_queue([ROW], [PROJECT]))
    expected = {k: v for k, v in DETAILS.items() if k != "workflow_history"}
    expected["consensus_count"] = expected.pop("consensus_expected_label_count")
    assert queue == {"data_row_id": ROW, "project_id": PROJECT, **expected}


def test_each_history_column_holds_the_value_of_its_name(client: rowport.Client) -> None:
    (event,) = _named(HISTORY_ROW, client.catalog.reads.read_history([ROW], [PROJECT]))
    assert event == {"data_row_id": ROW, "project_id": PROJECT, **DETAILS["workflow_history"][0]}


def test_each_label_column_holds_the_value_of_its_name(client: rowport.Client) -> None:
    reads = client.catalog.reads
    (label,) = _named(LABEL_ROW, reads.read_labels([ROW], [PROJECT], reviews=True))
    imported = generated_row(0, project_id=PROJECT)["projects"][PROJECT]["labels"][0]
    details = imported["label_details"]
    assert {k: label[k] for k in ("data_row_id", "project_id", "id", "label_kind", "version")} == {
        "data_row_id": ROW,
        "project_id": PROJECT,
        "id": LABEL,
        "label_kind": "Default",
        "version": "1.0.0",
    }
    for name in ("created_at", "updated_at", "created_by", "content_last_updated_at"):
        assert label[name] == details[name], name
    assert orjson.loads(label["annotations"])["objects"][0]["feature_id"] == cuid("cgenbox", 0)
    assert orjson.loads(label["performance"]) == imported["performance_details"]
    assert label["json_valid"] == 1
    assert [r["id"] for r in orjson.loads(label["reviews"])] == [cuid("cgenreview", 0)]
    (without,) = _named(LABEL_ROW, reads.read_labels([ROW], [PROJECT]))
    assert without == {**label, "reviews": None}


def test_each_run_row_column_holds_the_value_of_its_name(client: rowport.Client) -> None:
    (run,) = _named(RUN_ROW, client.catalog.reads.read_run_rows([ROW], [RUN]))
    assert run == {
        "data_row_id": ROW,
        "model_id": MODEL,
        "model_name": "gen model",
        "run_id": RUN,
        "run_name": "run 0",
        "run_data_row_id": cuid("cgenrdr0", 0),
        "split": "training",
    }


def test_each_run_annotation_column_holds_the_value_of_its_name(client: rowport.Client) -> None:
    rows = client.catalog.reads.read_run_annotations([ROW], [RUN], ["label", "prediction"])
    named = _named(RUN_ANNOTATION_ROW, rows)
    assert {(a["kind"], a["id"]) for a in named} == {
        ("label", cuid("clayoutrunlabel", 1)),
        ("prediction", cuid("cgenpred0", 0)),
    }
    for annotation in named:
        assert annotation["data_row_id"] == ROW and annotation["run_id"] == RUN
        assert (annotation["label_kind"], annotation["version"]) == ("Default", "1.0.0")
        assert orjson.loads(annotation["annotations"])["objects"]
        assert annotation["json_valid"] == 1


def test_each_plan_column_holds_the_value_of_its_name(client: rowport.Client) -> None:
    request = build_request(ExportKind.PROJECT, scope_ids=(PROJECT,))
    layout = PlanLayout(queue=True, sections=PLAN_SECTIONS)
    reads = client.catalog.reads
    ((row,),) = list(reads.iter_batches(reads.plan(request), 10, layout))
    assert len(row) == len(layout.columns)
    plan = dict(zip(layout.columns, row, strict=True))
    assert (plan["id"], plan["global_key"]) == (ROW, "gen-0")
    assert plan["row_data"] == "https://example.com/gen/0.jpg"
    assert plan["attributes_valid"] == 1
    queue = {k: v for k, v in DETAILS.items() if k != "workflow_history"}
    queue["consensus_count"] = queue.pop("consensus_expected_label_count")
    assert {name: plan[name] for name in queue} == queue
    assert orjson.loads(plan["workflow_history"]) == DETAILS["workflow_history"]
    assert [a["id"] for a in orjson.loads(plan["attachments"])] == [
        cuid(f"cgenatt{i}", 0) for i in range(2)
    ]
    assert [m["schema_name"] for m in orjson.loads(plan["metadata_fields"])] == [
        "camera",
        "speed",
    ]
    assert [e["name"] for e in orjson.loads(plan["embeddings"])] == ["vec"]


def test_project_names_and_tags_are_named_project_infos(client: rowport.Client) -> None:
    found = client.catalog.reads.project_names_and_tags([PROJECT, cuid("cnoproject", 1)])
    assert found == {PROJECT: ProjectInfo(name="generated", tags=[])}
    assert found[PROJECT].name == "generated"


def test_a_layout_that_names_a_column_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="the queue layout names the column 'id' twice"):
        RowLayout("queue", ("id", "project_id", "id"))
