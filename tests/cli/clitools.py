"""Helpers for the CLI tests: the sample catalog, pipeline steps that hold or fail an export,
and small readers of command output."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
from click.testing import Result

from rowport import Client

ROWS = 30
LABELLED = 4
READY_TIMEOUT = 120.0  # generous: a loaded machine takes seconds to start a process
HOLD_LIMIT = 600.0  # seconds a Gate holds an export at most (owner fixtures release it)

Run = Callable[..., Result]


def box_label(row_id: str) -> dict[str, Any]:
    """A label with one bounding box."""
    return {
        "data_row_id": row_id,
        "annotations": {
            "objects": [
                {
                    "name": "box",
                    "annotation_kind": "ImageBoundingBox",
                    "bounding_box": {"top": 1.0, "left": 2.0, "height": 3.0, "width": 4.0},
                }
            ],
            "classifications": [],
            "relationships": [],
        },
    }


@attrs.frozen(kw_only=True)
class Sample:
    """The ids of the sample catalog."""

    home: Path
    dataset_id: str
    project_id: str
    batch_id: str
    slice_id: str
    model_run_id: str
    row_ids: tuple[str, ...]
    global_keys: tuple[str, ...]


def build_sample(home: Path) -> Sample:
    """One image dataset of 30 rows, an ontology with a box tool, a project holding every row
    in one batch with 4 labelled rows (2 moved to InReview), a slice of the labelled rows and a
    model run over the first 10 rows."""
    with Client(home) as client:
        dataset = client.create_dataset("street scenes")
        rows = dataset.create_data_rows(
            [
                {"row_data": f"https://example.com/img-{i}.jpg", "global_key": f"img-{i}"}
                for i in range(ROWS)
            ]
        )
        ontology = client.create_ontology(
            "boxes", tools=[{"tool": "bbox", "name": "box"}], media_type="image"
        )
        project = client.create_project("street project", "image", ontology=ontology)
        batch = project.create_batch("all rows", data_rows=rows)
        project.import_labels([box_label(row.uid) for row in rows[:LABELLED]])
        project.move_data_rows_to_status(rows[:2], "InReview")
        saved = client.create_slice("labelled", {"has_labels": True})
        run = client.create_model("detector", ontology=ontology).create_model_run("run 1")
        run.upsert_data_rows(rows[:10])
        return Sample(
            home=home,
            dataset_id=dataset.uid,
            project_id=project.uid,
            batch_id=batch.uid,
            slice_id=saved.uid,
            model_run_id=run.uid,
            row_ids=tuple(row.uid for row in rows),
            global_keys=tuple(f"img-{i}" for i in range(ROWS)),
        )


@attrs.define
class Gate:
    """A pipeline step that holds each export in its first batch until released (or until
    the task is asked to cancel), so a test can act on a task while it runs."""

    release: threading.Event = attrs.field(factory=threading.Event)
    entered: threading.Event = attrs.field(factory=threading.Event)
    needs_json: bool = False

    def __call__(self, rows: list[dict[str, Any]], context: Any) -> tuple[list[Any], list[Any]]:
        self.entered.set()
        # held until released or canceled; the deadline only stops a forgotten gate hanging
        deadline = time.monotonic() + HOLD_LIMIT
        while not self.release.wait(0.01) and time.monotonic() < deadline:
            if context.catalog.tasks.current_status(context.task_id) == "CANCELLING":
                break
        return rows, []


@attrs.define
class Boom:
    """A pipeline step that fails the export."""

    needs_json: bool = False

    def __call__(self, rows: list[dict[str, Any]], context: Any) -> tuple[list[Any], list[Any]]:
        raise RuntimeError("the disk caught fire")


def add_step(client: Client, step: Any) -> None:
    """Put ``step`` in the pipeline of every export ``client`` starts from now on."""
    client._tasks.steps.append(step)


def lines(text: str) -> list[str]:
    """The non-empty lines of ``text``."""
    return [line for line in text.splitlines() if line]


def read_lines(path: Path) -> list[str]:
    """The non-empty lines of a file."""
    return lines(path.read_text())
