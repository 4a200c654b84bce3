"""Formats during an export: each committed RESULT part is read back and handed to every
conversion before the task completes, so ``task.wait_till_done()`` returns with the files in
place. A conversion that fails is discarded and reported on the ERRORS stream
(``FORMAT_FAILED``); the rows stay in the RESULT stream, so ``task.convert`` can redo it."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from rowport.export import problem
from rowport.formats._convert import BATCH_LINES, Conversion, ConversionReport
from rowport.formats._registry import FormatRequest, build_conversion, parse_format_requests
from rowport.plugins import ExportContext
from rowport.streams import PartInfo, open_part
from rowport.streams._storage import StreamPlace

if TYPE_CHECKING:
    from rowport.plugins import PluginHost

__all__ = [
    "REPORTS_FILE",
    "DeliveryChain",
    "FormatDelivery",
    "part_batches",
    "read_reports",
    "record_report",
]

REPORTS_FILE = "formats.json"  # in the task's directory: one report per conversion
_READ_BUFFER = 1 << 20


def part_batches(
    result_dir: StreamPlace, part: PartInfo, size: int = BATCH_LINES
) -> Iterator[list[bytes]]:
    """The lines of one committed part, in batches (without their newlines); the part is
    checked against the manifest first (:func:`~rowport.streams.open_part`)."""
    batch: list[bytes] = []
    with open_part(result_dir, part, buffering=_READ_BUFFER) as f:
        for line in f:
            batch.append(line[:-1] if line.endswith(b"\n") else line)
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def read_reports(task_dir: Path) -> list[dict[str, Any]]:
    """The conversion reports kept with a task (oldest first; empty when none ran)."""
    path = task_dir / REPORTS_FILE
    if not path.exists():
        return []
    reports: list[dict[str, Any]] = orjson.loads(path.read_bytes())
    return reports


def record_report(task_dir: Path, report: ConversionReport) -> None:
    """Add a report to the task's summary (``formats.json``), replaced atomically."""
    reports = [*read_reports(task_dir), report.to_dict()]
    partial = task_dir / f".{REPORTS_FILE}.tmp"
    partial.write_bytes(orjson.dumps(reports, option=orjson.OPT_INDENT_2))
    partial.replace(task_dir / REPORTS_FILE)


class FormatDelivery:
    """The runner's ``Delivery`` for the formats an export names."""

    def __init__(
        self,
        conversions: Sequence[Conversion],
        *,
        result_dir: StreamPlace,
        task_dir: Path,
        refused: Sequence[tuple[FormatRequest, str]] = (),
    ) -> None:
        self.conversions = list(conversions)
        self.result_dir = result_dir
        self.task_dir = task_dir
        self.refused = list(refused)
        self.failed: dict[int, str] = {}
        self.reports: list[ConversionReport] = []
        self.interrupted = False  # conversions run in the runner's thread: never left waiting

    @classmethod
    def from_options(
        cls,
        host: PluginHost,
        formats: Sequence[Any],
        *,
        result_dir: StreamPlace,
        task_dir: Path,
        catalog: Any = None,
    ) -> FormatDelivery:
        """Build the conversions of an export's ``formats`` option, checked again; one that no
        longer builds (its output appeared meanwhile) fails at :meth:`open` instead of raising
        here, where the task exists already."""
        conversions, refused = [], []
        # an export started over the API writes inside the task's folder (a relative output)
        formats = [
            item
            if not isinstance(item, Mapping) or Path(str(item.get("output", ""))).is_absolute()
            else {**item, "output": str(task_dir / str(item["output"]))}
            for item in formats
        ]
        for request in parse_format_requests(formats):
            try:
                conversions.append(build_conversion(host, request, catalog))
            except Exception as exc:
                refused.append((request, f"format {request.name!r} failed: {exc}"))
        return cls(conversions, result_dir=result_dir, task_dir=task_dir, refused=refused)

    def _fail(self, index: int, exc: BaseException) -> None:
        conversion = self.conversions[index]
        message = f"format {conversion.spec.name!r} failed: {exc}"
        self.failed[index] = message
        report = conversion.abort(message)
        self.reports.append(report)
        record_report(self.task_dir, report)

    def open(self, context: ExportContext, cancel: threading.Event | None = None) -> None:
        """Stage every output (``cancel`` is not needed: nothing here waits on another
        thread)."""
        for request, message in self.refused:
            report = ConversionReport(
                format=request.name,
                output=request.output,
                status="failed",
                rows_read=0,
                rows_written=0,
                losses={},
                seconds=0.0,
                options=dict(request.options),
                error=message,
            )
            self.reports.append(report)
            record_report(self.task_dir, report)
        for index, conversion in enumerate(self.conversions):
            try:
                conversion.open()
            except Exception as exc:
                self._fail(index, exc)

    def deliver(self, part: PartInfo) -> None:
        """Hand a committed part's rows to every conversion still going."""
        live = [i for i in range(len(self.conversions)) if i not in self.failed]
        if not live:
            return
        for batch in part_batches(self.result_dir, part):
            rows = [orjson.loads(line) for line in batch]
            for index in live:
                if index in self.failed:
                    continue
                try:
                    self.conversions[index].write_rows(rows)
                except Exception as exc:
                    self._fail(index, exc)

    def close(self, summary: dict[str, Any]) -> list[dict[str, Any]]:
        """Finish and publish every conversion; ``FORMAT_FAILED`` lines for those that
        failed."""
        for index, conversion in enumerate(self.conversions):
            if index in self.failed:
                continue
            try:
                report = conversion.finish()
            except Exception as exc:
                self._fail(index, exc)
                continue
            self.reports.append(report)
            record_report(self.task_dir, report)
        failures = [(r.name, r.output, message) for r, message in self.refused] + [
            (self.conversions[i].spec.name, str(self.conversions[i].output.path), message)
            for i, message in sorted(self.failed.items())
        ]
        return [
            problem(
                "FORMAT_FAILED",
                message,
                stage="format",
                details={"format": name, "output": output},
            )
            for name, output, message in failures
        ]

    def abort(self, error: str) -> list[dict[str, Any]]:
        """The export ended early: discard every staged output (no ERRORS line: nothing
        failed)."""
        for index, conversion in enumerate(self.conversions):
            if index not in self.failed:
                conversion.abort(error)
        return []


class DeliveryChain:
    """Several deliveries (sinks, formats) driven as one, in order."""

    def __init__(self, deliveries: Sequence[Any]) -> None:
        self.deliveries = list(deliveries)

    @property
    def interrupted(self) -> bool:
        """Whether a delivery's close stopped waiting because of a cancel."""
        return any(delivery.interrupted for delivery in self.deliveries)

    def open(self, context: ExportContext, cancel: threading.Event | None = None) -> None:
        """Open each delivery."""
        for delivery in self.deliveries:
            delivery.open(context, cancel)

    def deliver(self, part: PartInfo) -> None:
        """Hand the part to each delivery."""
        for delivery in self.deliveries:
            delivery.deliver(part)

    def close(self, summary: dict[str, Any]) -> list[dict[str, Any]]:
        """Close each delivery; the ERRORS lines of all of them."""
        lines: list[dict[str, Any]] = []
        for delivery in self.deliveries:
            lines.extend(delivery.close(summary))
        return lines

    def abort(self, error: str) -> list[dict[str, Any]]:
        """Abort each delivery; the ERRORS lines of all of them."""
        lines: list[dict[str, Any]] = []
        for delivery in self.deliveries:
            lines.extend(delivery.abort(error))
        return lines
