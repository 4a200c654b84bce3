"""Shared pieces of the task tests (a uniquely named module, importable from the tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import rowport
from rowport import ExportTask
from rowport.export import problem
from rowport.streams import StreamReader

ROWS = 450  # five batches of 100
BATCH = 100  # the runner's assembly batch
WAIT_LIMIT = 120.0  # seconds to wait for a condition: generous, a loaded machine is slow


class FlagEveryRow:
    """A pipeline step that keeps every row and reports one problem per row."""

    needs_json = False

    def __call__(self, rows: list[dict[str, Any]], context: Any) -> tuple[list[Any], list[Any]]:
        problems = [
            problem(
                "FLAGGED",
                "flagged by the test",
                data_row={"id": row["data_row"]["id"], "global_key": None},
                stage="validate",
                plugin="test",
            )
            for row in rows
        ]
        return rows, problems


def finished(client: rowport.Client, project: str, **kwargs: Any) -> ExportTask:
    """A project export run to COMPLETE."""
    task = client.get_project(project).export(**kwargs)
    task.wait_till_done(timeout_seconds=WAIT_LIMIT)
    assert task.status == "COMPLETE", task.errors_message
    return task


def stream_dir(client: rowport.Client, task: ExportTask, stream: str) -> Path:
    return client.home / "tasks" / task.uid / stream


def disk_bytes(client: rowport.Client, task: ExportTask, stream: str) -> bytes:
    """The bytes of every part file the stream's manifest lists, in order."""
    directory = stream_dir(client, task, stream)
    reader = StreamReader(directory)
    return b"".join((directory / p.file).read_bytes() for p in reader.manifest.parts)
