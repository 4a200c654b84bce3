"""What an import reports: counts, refused lines, and progress while it runs."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from rowport.errors import IngestError

__all__ = ["MAX_KEPT_ERRORS", "IngestProgress", "IngestReport", "ProgressCallback"]

MAX_KEPT_ERRORS = 1000


@attrs.define
class IngestReport:
    """What an import did: rows loaded, updated and unchanged, and the lines it refused.

    ``errors`` keeps the first :data:`MAX_KEPT_ERRORS` refused lines; ``failed`` counts them all.
    """

    lines: int = 0
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[IngestError] = attrs.field(factory=list)
    strict: bool = False
    committed: bool = True

    @property
    def ok(self) -> bool:
        """True when every line loaded (or was already there)."""
        return self.failed == 0

    def refuse(self, line: int, reason: str) -> None:
        """Count a refused line and keep its error (up to the limit)."""
        self.failed += 1
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append(IngestError(line, reason))

    def summary(self) -> str:
        """One line for people."""
        updated = f", {self.updated} updated" if self.updated else ""
        text = (
            f"{self.lines} lines: {self.loaded} rows loaded{updated},"
            f" {self.unchanged} already present, {self.failed} failed"
        )
        if self.strict and not self.committed:
            text += " (strict: nothing was loaded)"
        return text


@attrs.frozen(kw_only=True)
class IngestProgress:
    """How far an import has come, given to a ``progress`` callback after every batch.

    ``phase`` is ``"check"`` while a strict import checks every line before writing, else
    ``"write"``. ``bytes_read`` and ``total_bytes`` are known when reading a file.
    """

    phase: str
    lines: int
    loaded: int
    updated: int
    unchanged: int
    failed: int
    bytes_read: int = 0
    total_bytes: int | None = None


ProgressCallback = Callable[[IngestProgress], None]
