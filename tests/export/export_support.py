"""Helpers of the export tests: running exports, and the catalogs the fixtures build.

Two catalogs serve most tests (fixtures in ``conftest.py``), built once per session and then
only read:

- :func:`build_rich_catalog` (fixture ``rich``) goes through the public API and fills every
  section an export can show: data row details, attachments, metadata of every kind,
  embeddings, two projects (batches, workflow moves and history, labels with reviews and
  timings, tags), two models with three runs (ground truth, predictions, splits) and a slice.
- :data:`TIMED_ROWS` (fixture ``timed``) are loaded with ``client.import_rows`` so that every
  timestamp a filter looks at (``last_activity_at``, label ``created_at``) is fixed; API writes
  would stamp "now".

:func:`generated_row` makes export-format rows in bulk, for tests that need many rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

import rowport
from rowport import DataRow, Dataset, ExportTask, FileConverter, Model, ModelRun, Project, Slice
from rowport.tasks import StreamType

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SAMPLES = SHARED / "reference" / "labelbox-samples"

EXPORT_TIMEOUT = 60.0

IMAGE_ATTRIBUTES = {
    "height": 480,
    "width": 640,
    "asset_type": "image",
    "mime_type": "image/jpeg",
    "exif_rotation": "1",
}
TEXT_ATTRIBUTES = {"asset_type": "text", "mime_type": "text/plain"}

TOOLS: list[dict[str, Any]] = [
    {
        "tool": "bbox",
        "name": "box",
        "classifications": [
            {"type": "radio", "name": "occluded", "options": [{"name": "yes"}, {"name": "no"}]}
        ],
    },
    {"tool": "polygon", "name": "outline"},
]
CLASSIFICATIONS: list[dict[str, Any]] = [
    {"type": "radio", "name": "quality", "options": [{"name": "good"}, {"name": "bad"}]},
    {"type": "checklist", "name": "tags", "options": ["day", "night"]},
    {"type": "text", "name": "note"},
]

# Params that switch on one section, per kind of export (the reference's tables).
ROW_PARAMS = ("attachments", "metadata_fields", "embeddings", "data_row_details")
PROJECT_SECTION_PARAMS = ("project_details", "label_details", "performance_details")
RUN_SECTION_PARAMS = ("predictions", "model_run_details")
CATALOG_SCOPE_PARAMS = ("project_ids", "model_run_ids", "all_projects", "all_model_runs")
CATALOG_KINDS = ("dataset", "slice", "catalog", "data_rows")


# -- running exports ------------------------------------------------------------------------


def finish(task: ExportTask) -> ExportTask:
    """Wait for ``task`` and check it completed."""
    task.wait_till_done(timeout_seconds=EXPORT_TIMEOUT, check_frequency=0.01)
    assert task.status == "COMPLETE", task.errors_message
    return task


def result_rows(task: ExportTask) -> list[dict[str, Any]]:
    """The RESULT stream of a finished task, parsed (``[]`` when the stream is empty)."""
    finish(task)
    return [out.json for out in task.get_buffered_stream()] if task.has_result() else []


def error_rows(task: ExportTask) -> list[dict[str, Any]]:
    """The ERRORS stream of a finished task, parsed."""
    finish(task)
    if not task.has_errors():
        return []
    return [out.json for out in task.get_buffered_stream(StreamType.ERRORS)]


def result_bytes(task: ExportTask, path: Path) -> bytes:
    """The RESULT stream written to ``path`` through the reference's FileConverter."""
    finish(task)
    task.get_stream(FileConverter(path)).start()
    return path.read_bytes() if path.exists() else b""


def ids_of(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The data row ids of exported rows, in stream order."""
    return [row["data_row"]["id"] for row in rows]


def keys_of(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The global keys of exported rows, in stream order."""
    return [row["data_row"]["global_key"] for row in rows]


def row_by_id(rows: Sequence[dict[str, Any]], row_id: str) -> dict[str, Any]:
    """The exported row of data row ``row_id``."""
    found = [row for row in rows if row["data_row"]["id"] == row_id]
    assert len(found) == 1, f"{row_id} appears {len(found)} times"
    return found[0]


# -- the rich catalog -----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RichCatalog:
    """Handles on everything :func:`build_rich_catalog` made."""

    client: rowport.Client
    alpha: Dataset
    beta: Dataset
    rows: list[DataRow]
    texts: list[DataRow]
    project: Project
    project2: Project
    model: Model
    run: ModelRun
    run_b: ModelRun
    model2: Model
    run2: ModelRun
    slice: Slice
    schemas: dict[str, dict[str, Any]]
    embedding: dict[str, Any]

    @property
    def labelled(self) -> DataRow:
        """``alpha-0``: labelled in ``project`` with timings and a review; in all three runs."""
        return self.rows[0]

    def export(
        self,
        kind: str,
        params: Mapping[str, Any] | None = None,
        filters: Mapping[str, Any] | None = None,
    ) -> ExportTask:
        """Start an export of ``kind`` over this catalog's natural scope for that kind."""
        if kind == "project":
            return self.project.export(params=params, filters=filters)
        if kind == "model_run":
            return self.run.export(params=params, filters=filters)
        if kind == "dataset":
            return self.alpha.export(params=params, filters=filters)
        if kind == "slice":
            return self.slice.export(params=params, filters=filters)
        if kind == "catalog":
            return self.client.get_catalog().export(params=params, filters=filters)
        if kind == "data_rows":
            assert filters is None
            return DataRow.export(self.client, data_rows=self.rows, params=params)
        raise AssertionError(f"unknown kind {kind}")


def build_rich_catalog(client: rowport.Client) -> RichCatalog:
    """A small catalog in which every section of every kind of export has something to show."""
    schemas = {
        "string": client.create_metadata_schema("camera", "string"),
        "number": client.create_metadata_schema("speed", "number"),
        "datetime": client.create_metadata_schema("taken_at", "datetime"),
        "enum": client.create_metadata_schema("weather", "enum", options=["sunny", "rain"]),
    }
    embedding = client.create_embedding("clip", dimensions=3)
    alpha = client.create_dataset("alpha", description="street images")
    specs: list[dict[str, Any]] = []
    for i in range(3):
        specs.append(
            {
                "row_data": f"https://example.com/alpha/{i}.jpg",
                "global_key": f"alpha-{i}",
                "external_id": f"alpha-{i}.jpg",
                "media_attributes": IMAGE_ATTRIBUTES,
                "metadata_fields": [
                    {"name": "camera", "value": f"cam-{i}"},
                    {"name": "speed", "value": 10.5 + i},
                    {"name": "taken_at", "value": "2024-01-02T03:04:05.000+00:00"},
                    {"name": "weather", "value": "rain" if i % 2 else "sunny"},
                ],
                "attachments": [
                    {"type": "RAW_TEXT", "value": f"note {i}", "name": "note"},
                    {"type": "IMAGE_OVERLAY", "value": f"https://example.com/m{i}.png"},
                ],
                "embeddings": [{"name": "clip", "vector": [0.5 * i, 0.25, -1.0]}],
            }
        )
    # alpha-3 has nothing optional: no global key, external id, attributes or sections.
    specs.append({"row_data": "https://example.com/alpha/3.jpg"})
    rows = alpha.create_data_rows(specs)
    beta = client.create_dataset("beta")
    texts = beta.create_data_rows(
        [
            {
                "row_data": f"text number {i}",
                "global_key": f"beta-{i}",
                "media_type": "text",
                "media_attributes": TEXT_ATTRIBUTES,
            }
            for i in range(2)
        ]
    )

    ontology = client.create_ontology(
        "street", tools=TOOLS, classifications=CLASSIFICATIONS, media_type="image"
    )
    project = client.create_project("street", "image", ontology=ontology)
    project.create_batch("first", data_rows=rows[:3], priority=2)
    project.create_batch("second", data_rows=rows[3:])
    labels = project.import_labels(
        [
            {
                **box_label(rows[0]),
                "seconds_to_create": 12,
                "seconds_to_review": 3,
                "seconds_to_rework": 1,
            },
            box_label(rows[1]),  # no timings recorded: performance_details defaults
        ]
    )
    labels[0].add_review("Approve")
    labels[1].add_review("Reject")
    project.move_data_rows_to_status([rows[0]], "InReview")
    project.move_data_rows_to_status([rows[0]], "Done")
    project.move_data_rows_to_status([rows[1]], "InReview")
    project.move_data_rows_to_status([rows[3]], "InRework")
    project.add_tags(["urgent", {"text": "night", "color": "#000000"}])

    project2 = client.create_project("street again", "image", ontology=ontology)
    project2.create_batch("again", data_rows=rows[1:3])
    project2.import_labels([box_label(rows[2])])

    model = client.create_model("detector", ontology=ontology)
    run = model.create_model_run("v1")
    run.upsert_data_rows(data_rows=rows[:3])
    run.add_labels(labels)
    run.add_predictions([box_label(rows[0]), box_label(rows[1])])
    run.assign_split([rows[0]], "training")
    run.assign_split([rows[1]], "validation")
    run.assign_split([rows[2]], "test")
    run_b = model.create_model_run("v2")  # a second run of the same model, on alpha-0 only
    run_b.upsert_data_rows(data_rows=[rows[0]])
    model2 = client.create_model("segmenter")
    run2 = model2.create_model_run("s1")
    run2.upsert_data_rows(data_rows=[rows[0], rows[3]])

    labelled = client.create_slice(
        "labelled alpha", {"dataset_ids": [alpha.uid], "has_labels": True}
    )
    return RichCatalog(
        client=client,
        alpha=alpha,
        beta=beta,
        rows=rows,
        texts=texts,
        project=project,
        project2=project2,
        model=model,
        run=run,
        run_b=run_b,
        model2=model2,
        run2=run2,
        slice=labelled,
        schemas=schemas,
        embedding=embedding,
    )


def box_label(row: DataRow) -> dict[str, Any]:
    """A label spec with a box (answered by name), its nested radio and three classifications."""
    return {
        "data_row_id": row.uid,
        "annotations": {
            "objects": [
                {
                    "name": "box",
                    "annotation_kind": "ImageBoundingBox",
                    "bounding_box": {"top": 1.0, "left": 2.0, "height": 3.0, "width": 4.0},
                    "classifications": [{"name": "occluded", "radio_answer": {"name": "no"}}],
                }
            ],
            "classifications": [
                {"name": "quality", "radio_answer": {"name": "good"}},
                {"name": "tags", "checklist_answers": [{"name": "day"}, {"name": "night"}]},
                {"name": "note", "text_answer": {"content": "clear"}},
            ],
            "relationships": [],
        },
    }


ExportCache = Callable[..., list[dict[str, Any]]]


# -- the timed catalog ----------------------------------------------------------------------


def cuid(prefix: str, n: int) -> str:
    """A fixed 25-character id, readable in failures: ``cuid("row", 3)`` -> ``row00…03``."""
    return f"{prefix}{n:0{25 - len(prefix)}d}"


TIMED_PROJECT = cuid("ctimedproject", 1)
OTHER_PROJECT = cuid("ctimedproject", 2)
TIMED_DATASET = cuid("ctimeddataset", 1)
BATCHES = {name: cuid("ctimedbatch", n) for n, name in enumerate(("B1", "B2", "B3"), start=1)}


def timed_row_id(n: int) -> str:
    """The id of timed row ``t-n``."""
    return cuid("ctimedrow", n)


def _timed_label(n: int, created_at: str) -> dict[str, Any]:
    return {
        "label_kind": "Default",
        "version": "1.0.0",
        "id": cuid("ctimedlabel", n),
        "label_details": {"created_at": created_at},
        "annotations": {
            "objects": [],
            "classifications": [
                {
                    "feature_id": cuid("ctimedfeature", n),
                    "feature_schema_id": cuid("ctimedschema", 1),
                    "name": "note",
                    "value": "note",
                    "text_answer": {"content": f"label {n}"},
                }
            ],
            "relationships": [],
        },
    }


def _timed_row(
    n: int,
    last_activity_at: str,
    *,
    status: str | None = None,
    batch: str | None = None,
    label_at: str | None = None,
    other_label_at: str | None = None,
) -> dict[str, Any]:
    projects: dict[str, Any] = {}
    if status is not None:
        assert batch is not None
        projects[TIMED_PROJECT] = {
            "name": "timed",
            "labels": [_timed_label(n, label_at)] if label_at else [],
            "project_details": {
                "batch_id": BATCHES[batch],
                "batch_name": batch,
                "workflow_status": status,
            },
            "project_tags": [],
        }
    if other_label_at is not None:
        projects[OTHER_PROJECT] = {
            "name": "other",
            "labels": [_timed_label(n + 5, other_label_at)],
            "project_tags": [],
        }
    return {
        "data_row": {
            "id": timed_row_id(n),
            "global_key": f"t-{n}",
            "row_data": f"https://example.com/timed/{n}.jpg",
            "details": {
                "dataset_id": TIMED_DATASET,
                "dataset_name": "timed",
                "created_at": "2023-12-01T00:00:00.000+00:00",
                "last_activity_at": last_activity_at,
            },
        },
        "media_attributes": IMAGE_ATTRIBUTES,
        "projects": projects,
    }


# Every timestamp is UTC. t-3's are chosen so that read in New York (UTC-4 in April) a naive
# date lands on the other side of them.
TIMED_ROWS = [
    _timed_row(
        0,
        "2024-01-10T12:00:00.000+00:00",
        status="DONE",
        batch="B1",
        label_at="2024-01-05T10:00:00.000+00:00",
    ),
    _timed_row(
        1,
        "2024-02-10T12:00:00.000+00:00",
        status="IN_REVIEW",
        batch="B1",
        label_at="2024-02-01T10:00:00.000+00:00",
    ),
    _timed_row(
        2,
        "2024-03-10T12:00:00.000+00:00",
        status="TO_LABEL",
        batch="B2",
        other_label_at="2024-02-15T10:00:00.000+00:00",
    ),
    _timed_row(
        3,
        "2024-04-10T03:00:00.000+00:00",
        status="IN_REWORK",
        batch="B2",
        label_at="2024-04-01T02:00:00.000+00:00",
    ),
    _timed_row(4, "2024-05-10T12:00:00.000+00:00", status="TO_LABEL", batch="B3"),
    _timed_row(5, "2024-01-20T00:00:00.000+00:00"),  # in the dataset, in no project
]


@attrs.frozen(kw_only=True)
class TimedCatalog:
    """The home holding :data:`TIMED_ROWS`, and a client on it in UTC."""

    home: Path
    client: rowport.Client
    env: Mapping[str, str] = attrs.field(factory=dict)  # its database, on postgres

    @property
    def project(self) -> Project:
        return self.client.get_project(TIMED_PROJECT)

    @property
    def dataset(self) -> Dataset:
        return self.client.get_dataset(TIMED_DATASET)

    def export(self, kind: str, filters: Mapping[str, Any]) -> list[str]:
        """The global keys a project or dataset export with ``filters`` selects, in order."""
        scope = self.project if kind == "project" else self.dataset
        return keys_of(result_rows(scope.export(filters=filters)))


# -- generated catalogs -----------------------------------------------------------------------


def generated_row(
    n: int,
    *,
    project_id: str,
    run_ids: Sequence[str] = (),
    model_id: str = cuid("cgenmodel", 1),
) -> dict[str, Any]:
    """An image row in the export format with every section filled, for bulk imports.

    Row ``n`` has one label (a box and a radio answer) with a review and timings, two
    attachments, two metadata fields, an embedding and a place in each of ``run_ids``.
    """
    created = "2024-01-01T00:00:00.000+00:00"
    box = {
        "feature_id": cuid("cgenbox", n),
        "feature_schema_id": cuid("cgenschema", 1),
        "name": "box",
        "value": "box",
        "annotation_kind": "ImageBoundingBox",
        "bounding_box": {"top": 1.0 + n, "left": 2.0, "height": 30.0, "width": 40.0},
        "classifications": [],
    }
    label = {
        "label_kind": "Default",
        "version": "1.0.0",
        "id": cuid("cgenlabel", n),
        "label_details": {
            "created_at": created,
            "updated_at": created,
            "created_by": "gen@example.com",
            "content_last_updated_at": created,
            "reviews": [{"id": cuid("cgenreview", n), "action": "Approve", "created_at": created}],
        },
        "performance_details": {
            "seconds_to_create": 5,
            "seconds_to_review": 1,
            "skipped": False,
            "performance_details_v2": {
                "seconds_to_create": 5,
                "seconds_to_review": 1,
                "seconds_to_rework": 0,
                "seconds_total": 6,
            },
        },
        "annotations": {"objects": [box], "classifications": [], "relationships": []},
    }
    runs = {
        run_id: {
            "name": f"run {i}",
            "run_data_row_id": cuid(f"cgenrdr{i}", n),
            "labels": [],
            "predictions": [{**label, "id": cuid(f"cgenpred{i}", n)}],
            "split": "training",
        }
        for i, run_id in enumerate(run_ids)
    }
    row: dict[str, Any] = {
        "data_row": {
            "id": cuid("cgenrow", n),
            "global_key": f"gen-{n}",
            "row_data": f"https://example.com/gen/{n}.jpg",
            "details": {"dataset_id": cuid("cgendataset", 1), "dataset_name": "generated"},
        },
        "media_attributes": IMAGE_ATTRIBUTES,
        "attachments": [
            {"id": cuid(f"cgenatt{i}", n), "type": "RAW_TEXT", "value": f"{n}", "name": None}
            for i in range(2)
        ],
        "metadata_fields": [
            {"schema_id": cuid("cgenmeta", 1), "schema_name": "camera", "value": f"cam {n % 3}"},
            {"schema_id": cuid("cgenmeta", 2), "schema_name": "speed", "value": float(n)},
        ],
        "embeddings": [
            {
                "id": cuid("cgenemb", 1),
                "name": "vec",
                "dimensions": 2,
                "is_custom": True,
                "values": [{"value": [float(n), 1.0]}],
            }
        ],
        "projects": {project_id: {"name": "generated", "labels": [label], "project_tags": []}},
    }
    if runs:
        row["experiments"] = {model_id: {"name": "gen model", "runs": runs}}
    return row
