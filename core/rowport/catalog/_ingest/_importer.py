"""The importer: structure each line, then write it in bulk, one transaction per batch.

Lines are parsed by orjson and structured into records (``_structure``) outside any
transaction; a batch of them is then planned against the stored state and written with one
``executemany`` per statement (``_plan``, ``_write``), so the write lock is held only while a
batch is planned and written, and readers (WAL) never wait. A batch ends after ``batch_size``
lines, or early when a data row comes back in the same batch (so the later line sees the
earlier one). ``strict`` first checks every line without writing anything, then writes all of
them in one transaction, which is rolled back if any line fails after all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from rowport._gc import IMPORT_THRESHOLD, fewer_collections
from rowport.catalog._db import Database
from rowport.catalog._ingest import _records as r
from rowport.catalog._ingest._known import Known
from rowport.catalog._ingest._plan import AnnotationsWriter, BatchPlanner, stored_annotations
from rowport.catalog._ingest._reader import Line, iter_ndjson, number_rows
from rowport.catalog._ingest._report import IngestProgress, IngestReport, ProgressCallback
from rowport.catalog._ingest._structure import structure_row
from rowport.catalog._ingest._write import write_batch
from rowport.errors import CatalogWriteError, InvalidInput

__all__ = ["Importer"]

DEFAULT_BATCH_SIZE = 1000


class _StrictFailed(Exception):
    """Raised inside the strict write transaction to roll it back."""


class Importer:
    """Loads rows in the export format into the catalog, keeping their ids.

    :param db: the catalog database.
    :param organization_id: the organization rows are loaded into.
    :param user_email: who is recorded as the creator where the file does not say.
    :param annotations_json: turns a label's or prediction's ``annotations`` into the JSON
        text stored (the one point where annotations are written; see
        :func:`~rowport.catalog._ingest._plan.stored_annotations`).
    """

    def __init__(
        self,
        db: Database,
        *,
        organization_id: str,
        user_email: str,
        annotations_json: AnnotationsWriter = stored_annotations,
    ) -> None:
        self.db = db
        self.organization_id = organization_id
        self.user_email = user_email
        self.annotations_json = annotations_json

    def import_rows(
        self,
        rows: Iterable[Any],
        *,
        strict: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
        first_line: int = 1,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Load rows given as dicts, JSON text or bytes, or ``(line, row)`` pairs.

        A refused row is reported with its number and reason and the others load; with
        ``strict`` nothing loads unless every row is valid (the rows are then read twice, so an
        iterator is first turned into a list). ``progress`` is called after every batch.
        """
        if isinstance(rows, (str, bytes, bytearray, Mapping)) or not isinstance(rows, Iterable):
            raise InvalidInput(
                "rows must be a list or iterable of rows (dicts, JSON text or bytes), got"
                f" {type(rows).__name__}; wrap one row in a list, or use import_file(path)"
                " for an NDJSON file"
            )
        if strict and not isinstance(rows, Sequence):
            rows = list(rows)
        return self._run(lambda: number_rows(rows, first_line), strict, batch_size, progress, None)

    def import_file(
        self,
        path: Path,
        *,
        strict: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Load an NDJSON file (or one pretty-printed JSON row) in constant memory."""
        total = path.stat().st_size
        return self._run(lambda: iter_ndjson(path), strict, batch_size, progress, total)

    # -- passes -------------------------------------------------------------------------------

    def _run(
        self,
        lines: Callable[[], Iterator[Line]],
        strict: bool,
        batch_size: int,
        progress: ProgressCallback | None,
        total: int | None,
    ) -> IngestReport:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidInput(
                f"batch_size must be a whole number of at least 1, got {batch_size!r}"
            )
        try:
            with fewer_collections(IMPORT_THRESHOLD):
                return self._passes(lines, strict, batch_size, progress, total)
        except sqlite3.OperationalError as exc:  # a full disk, an I/O error, a lock held too long
            kept = (
                "nothing was loaded (strict)"
                if strict
                else "the batches committed before it stay loaded"
            )
            raise CatalogWriteError(
                f"could not write the catalog {self.db.path}: {exc}; the batch being written was"
                f" rolled back whole and {kept}, so the catalog is consistent; free space (or"
                " wait for the other writer) and import again: rows keep their ids, so rows"
                " already loaded are not duplicated"
            ) from exc

    def _passes(
        self,
        lines: Callable[[], Iterator[Line]],
        strict: bool,
        batch_size: int,
        progress: ProgressCallback | None,
        total: int | None,
    ) -> IngestReport:
        known = Known(self.db.conn, self.organization_id)
        if not strict:
            report = IngestReport()
            self._pass(lines(), report, known, batch_size, progress, total, "write")
            return report
        checked = IngestReport(strict=True)
        self._pass(lines(), checked, known, batch_size, progress, total, "check")
        if checked.failed:
            return _nothing_loaded(checked)
        known.reset()
        report = IngestReport(strict=True)
        try:
            with self.db.transaction():
                self._pass(lines(), report, known, batch_size, progress, total, "strict")
                if report.failed:
                    raise _StrictFailed
        except _StrictFailed:
            return _nothing_loaded(report)
        finally:
            known.reset()
        return report

    def _pass(
        self,
        lines: Iterator[Line],
        report: IngestReport,
        known: Known,
        batch_size: int,
        progress: ProgressCallback | None,
        total: int | None,
        mode: str,
    ) -> None:
        """Read every line, structure it, and plan (and unless checking, write) each batch."""
        batch: list[tuple[int, r.ImportRow]] = []
        ids: set[str] = set()
        read = 0

        reported = -1

        def flush() -> None:
            nonlocal reported
            self._batch(batch, report, known, mode)
            batch.clear()
            ids.clear()
            reported = report.lines
            if progress is not None:
                progress(
                    IngestProgress(
                        phase="check" if mode == "check" else "write",
                        lines=report.lines,
                        loaded=report.loaded,
                        updated=report.updated,
                        unchanged=report.unchanged,
                        failed=report.failed,
                        bytes_read=read,
                        total_bytes=total,
                    )
                )

        for line in lines:
            if line.error is None:
                try:
                    row = structure_row(line.value)
                except InvalidInput as exc:
                    line = attrs.evolve(line, error=str(exc))
            if line.error is None and row.data_row.id in ids:
                flush()  # the row comes back: the earlier line is written first
            report.lines += 1
            read = max(read, line.bytes_read)
            if line.error is not None:
                report.refuse(line.number, line.error)
                continue
            batch.append((line.number, row))
            ids.add(row.data_row.id)
            if len(batch) >= batch_size:
                flush()
        if batch or reported != report.lines:
            flush()

    def _batch(
        self,
        batch: list[tuple[int, r.ImportRow]],
        report: IngestReport,
        known: Known,
        mode: str,
    ) -> None:
        if not batch:
            return
        if mode == "check":
            plans, refused, _ = self._planner(known).plan(batch)
        elif mode == "strict":  # inside the caller's transaction
            plans, refused, features = self._planner(known).plan(batch)
            plans, held = write_batch(self.db.conn, plans, features, refused)
            if not held:
                known.reset()
        else:
            with self.db.transaction() as conn:
                try:
                    plans, refused, features = self._planner(known).plan(batch)
                    plans, held = write_batch(conn, plans, features, refused)
                except BaseException:
                    known.reset()
                    raise
            if held:
                known.committed()
            else:
                known.reset()
        for plan in plans:
            if plan.status == "loaded":
                report.loaded += 1
            elif plan.status == "updated":
                report.updated += 1
            else:
                report.unchanged += 1
        for line, reason in sorted(refused):
            report.refuse(line, reason)

    def _planner(self, known: Known) -> BatchPlanner:
        return BatchPlanner(
            self.db.conn,
            known,
            organization_id=self.organization_id,
            user_email=self.user_email,
            annotations_json=self.annotations_json,
        )


def _nothing_loaded(report: IngestReport) -> IngestReport:
    report.committed = False
    report.loaded = report.updated = report.unchanged = 0
    return report
