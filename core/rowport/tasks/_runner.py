"""The runner: plan -> assemble batches -> pipeline steps -> RESULT / ERRORS streams.

It runs on the task manager's executor, writes progress and a heartbeat a few times a second,
checks for cancellation between batches, and always leaves both streams closed and consistent:
COMPLETE, CANCELED (the rows written so far), or FAILED (the message in the task and a line in
the ERRORS stream).
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs
import orjson

from rowport.catalog import Catalog
from rowport.export import RowAssembler, problem
from rowport.request import ExportRequest
from rowport.streams import StreamWriter

__all__ = ["BATCH_SIZE", "BatchStep", "ExportRunner", "StepContext"]

BATCH_SIZE = 100  # rows per assembly batch: 100 measured 2x faster than 1,000 (cache misses)
_PROGRESS_EVERY = 0.25  # seconds between progress writes


class _Canceled(Exception):
    pass


@attrs.define
class StepContext:
    """What a pipeline step knows about the export it is part of."""

    task_id: str
    request: ExportRequest
    catalog: Catalog
    options: dict[str, Any] = attrs.field(factory=dict)


class BatchStep(Protocol):
    """One step of the pipeline: takes a batch of rows, returns the rows to keep and problems.

    Rows carry their media type under ``"_media_type"`` (removed before encoding).
    """

    def __call__(
        self, rows: list[dict[str, Any]], context: StepContext
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]: ...


class ExportRunner:
    """Runs one export task to its end."""

    def __init__(
        self,
        catalog: Catalog,
        task_id: str,
        request: ExportRequest,
        directory: Path,
        *,
        steps: Sequence[BatchStep] = (),
        cancel_event: threading.Event | None = None,
        batch_size: int = BATCH_SIZE,
        on_batch: Callable[[list[bytes]], None] | None = None,
    ) -> None:
        self.catalog = catalog
        self.task_id = task_id
        self.request = request
        self.directory = directory
        self.steps = list(steps)
        self.cancel_event = cancel_event or threading.Event()
        self.batch_size = batch_size
        self.on_batch = on_batch
        self.rows_done = 0
        self.rows_planned: int | None = None

    def _canceled(self) -> bool:
        if self.cancel_event.is_set():
            return True
        if self.catalog.task_status(self.task_id) == "CANCELLING":
            self.cancel_event.set()
            return True
        return False

    def run(self) -> str:
        """Run the export; returns the final status."""
        result = StreamWriter(self.directory / "result")
        errors = StreamWriter(self.directory / "errors")
        try:
            self._export(result, errors)
        except _Canceled:
            result.close()
            errors.close()
            self.catalog.set_task_status(self.task_id, "CANCELED")
            return "CANCELED"
        except BaseException as exc:
            message = f"{type(exc).__name__}: {exc}"
            try:
                errors.write_lines(
                    [
                        orjson.dumps(
                            problem(
                                "TASK_FAILED",
                                message,
                                stage="task",
                                details={"traceback": traceback.format_exc(limit=5)},
                            )
                        )
                    ]
                )
                result.close()
                errors.close()
            finally:
                self.catalog.set_task_status(self.task_id, "FAILED", error=message)
            if not isinstance(exc, Exception):
                raise
            return "FAILED"
        result.close()
        errors.close()
        self.catalog.task_progress(
            self.task_id, rows_done=self.rows_done, rows_planned=self.rows_planned, percentage=100.0
        )
        if not self.catalog.set_task_status(self.task_id, "COMPLETE", percentage=100.0):
            # cancel arrived after the last batch: the export is whole, but honour the request
            self.catalog.set_task_status(self.task_id, "CANCELED")
            return "CANCELED"
        return "COMPLETE"

    def _export(self, result: StreamWriter, errors: StreamWriter) -> None:
        catalog = self.catalog
        plan = catalog.plan_export(self.request)
        self.rows_planned = plan.total
        assembler = RowAssembler(catalog, self.request, parse_json=bool(self.steps))
        context = StepContext(task_id=self.task_id, request=self.request, catalog=catalog)
        dumps = orjson.dumps
        if plan.missing:
            what = "global key" if self.request.scope_by == "global_key" else "data row id"
            errors.write_lines(
                [
                    dumps(
                        problem(
                            "DATA_ROW_NOT_FOUND",
                            f"no data row has {what} {key!r}",
                            details={what.replace(" ", "_"): key},
                        )
                    )
                    for key in plan.missing
                ]
            )
        last_progress = 0.0
        for ids in catalog.iter_plan(plan, self.batch_size):
            if self._canceled():
                raise _Canceled
            rows, problems = assembler.assemble(ids)
            for step in self.steps:
                rows, more = step(rows, context)
                problems.extend(more)
            encoded = []
            for row in rows:
                row.pop("_media_type", None)
                encoded.append(dumps(row))
            result.write_lines(encoded)
            if problems:
                errors.write_lines([dumps(p) for p in problems])
            result.maybe_commit()
            errors.maybe_commit()
            if self.on_batch is not None:
                self.on_batch(encoded)
            self.rows_done += len(ids)
            now = time.monotonic()
            if now - last_progress >= _PROGRESS_EVERY:
                last_progress = now
                catalog.task_progress(
                    self.task_id,
                    rows_done=self.rows_done,
                    rows_planned=plan.total,
                    percentage=min(99.9, 100.0 * self.rows_done / plan.total) if plan.total else 0,
                )
        if self._canceled():
            raise _Canceled
