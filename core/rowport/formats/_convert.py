"""Running one conversion: rows in batches into a format's writer, the report at the end.

:class:`Conversion` is driven either by an export's delivery (:class:`FormatSink`, rows as the
RESULT stream commits them) or by :func:`convert_stream` over a finished task's stream. Memory
stays flat: a batch of rows at a time; writers spill arrays to temporary files.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import orjson

from rowport.formats._context import FormatContext
from rowport.formats._losses import LossReport
from rowport.formats._output import OutputTarget
from rowport.formats._spec import FormatSpec, FormatWriter

__all__ = ["BATCH_LINES", "Conversion", "ConversionReport", "convert_lines"]

BATCH_LINES = 500  # rows per writer.write()
OntologyLookup = Callable[[str], "Mapping[str, Any] | None"]


@attrs.frozen(kw_only=True)
class ConversionReport:
    """What one conversion did: rows read and written, what it lost, where it wrote.

    ``status`` is ``complete`` or ``failed`` (``error`` says why; nothing was published).
    """

    format: str
    output: str
    status: str
    rows_read: int
    rows_written: int
    losses: dict[str, dict[str, Any]]
    seconds: float
    options: dict[str, Any] = attrs.field(factory=dict)
    error: str | None = None

    @property
    def lossless(self) -> bool:
        """Whether the format carried everything it was given."""
        return not self.losses

    @property
    def ok(self) -> bool:
        """Whether the output was published."""
        return self.status == "complete"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``lossiness.json`` and the task's summary)."""
        return {
            "format": self.format,
            "output": self.output,
            "status": self.status,
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "lossless": self.lossless,
            "losses": self.losses,
            "options": self.options,
            "seconds": self.seconds,
            "error": self.error,
        }


@attrs.define
class Conversion:
    """One format writing one output. Call :meth:`open`, :meth:`write_lines` per batch, then
    :meth:`finish` (publishes, returns the report) or :meth:`abort`."""

    spec: FormatSpec
    output: OutputTarget
    options: dict[str, Any]
    strict: bool = False
    ontology_of: OntologyLookup = lambda _id: None
    context: FormatContext | None = attrs.field(default=None, init=False)
    writer: FormatWriter | None = attrs.field(default=None, init=False)
    rows_read: int = attrs.field(default=0, init=False)
    _started: float = attrs.field(factory=time.monotonic, init=False)

    @classmethod
    def build(
        cls,
        spec: FormatSpec,
        output: str | Path,
        options: Mapping[str, Any] | None = None,
        *,
        strict: bool = False,
        overwrite: bool = False,
        ontology_of: OntologyLookup | None = None,
    ) -> Conversion:
        """Check the options, requirements and output path (no files are written yet).

        :raises InvalidInput: naming the bad option, missing extra or unusable path.
        """
        resolved = spec.resolve(options)
        spec.check_requirements()
        target = OutputTarget(Path(output), overwrite=overwrite)
        target.check()
        return cls(
            spec=spec,
            output=target,
            options=resolved,
            strict=strict,
            ontology_of=ontology_of or (lambda _id: None),
        )

    def open(self) -> None:
        """Stage the output directory and build the writer."""
        directory = self.output.stage()
        self.context = FormatContext(
            format=self.spec.name,
            media_types=self.spec.media_types,
            directory=directory,
            options=dict(self.options),
            losses=LossReport(format=self.spec.name, strict=self.strict),
            ontology_of=self.ontology_of,
        )
        try:
            self.writer = self.spec.writer(self.context)
        except BaseException:
            self.abort()
            raise

    def write_rows(self, rows: list[dict[str, Any]]) -> None:
        """Hand a batch of parsed rows to the writer."""
        assert self.writer is not None, "open() first"
        self.rows_read += len(rows)
        self.writer.write(rows)

    def write_lines(self, lines: Iterable[bytes]) -> None:
        """Hand a batch of NDJSON lines to the writer."""
        self.write_rows([orjson.loads(line) for line in lines])

    def _report(self, status: str, error: str | None = None) -> ConversionReport:
        context = self.context
        return ConversionReport(
            format=self.spec.name,
            output=str(self.output.path),
            status=status,
            rows_read=self.rows_read,
            rows_written=context.rows_written if context else 0,
            losses=context.losses.to_dict() if context else {},
            seconds=round(time.monotonic() - self._started, 3),
            options=dict(self.options),
            error=error,
        )

    def finish(self) -> ConversionReport:
        """Complete the files, write ``lossiness.json``, publish; returns the report."""
        assert self.writer is not None and self.context is not None, "open() first"
        try:
            self.writer.finish()
            self.context.close_files()
            report = self._report("complete")
            data = orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2)
            (self.context.directory / "lossiness.json").write_bytes(data)
            self.output.publish()
            if self.output.is_zip:
                self.output.report_path.write_bytes(data)
        except BaseException:
            self.abort()
            raise
        return report

    def abort(self, error: str | None = None) -> ConversionReport:
        """Discard the staged files; returns a ``failed`` report."""
        if self.context is not None:
            self.context.close_files()
        self.output.discard()
        return self._report("failed", error)


def convert_lines(conversion: Conversion, batches: Iterable[list[bytes]]) -> ConversionReport:
    """Run ``conversion`` over batches of NDJSON lines; on an error the output is discarded
    and the error raised."""
    conversion.open()
    try:
        for batch in batches:
            conversion.write_lines(batch)
    except BaseException:
        conversion.abort()
        raise
    return conversion.finish()
