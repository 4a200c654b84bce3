"""A progress line (rows, rate, ETA) while waiting for an export task, shared by CLI and demo.

The line is redrawn in place with a carriage return, so it must never be wider than the
terminal: a line that wraps leaves one copy per redraw in the scrollback. It is fitted to
``shutil.get_terminal_size()`` on every redraw (the label is shortened, then the bar dropped).

The rate is measured from the task's own record, as rows done between two progress writes
over the time between them (the runner stamps each write), so a waiter that attaches to a
running export shows the export's rate, not the rows done before it came divided by how long
it has been watching.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

import attrs

from rowport.catalog import FINAL_STATUSES, TaskStatus

if TYPE_CHECKING:
    from rowport.tasks import ExportTask

__all__ = [
    "RateMeter",
    "fit_line",
    "format_rate",
    "progress_bar",
    "render_progress",
    "wait_with_progress",
]

_MAX_BAR = 30
_MIN_BAR = 10
_MIN_SPAN = 1.0  # seconds of samples before the rate since attaching replaces the average


def format_rate(rows: int, seconds: float) -> str:
    """``"12,345 rows/s"`` (or ``"-"`` before a second has passed)."""
    return f"{rows / seconds:,.0f} rows/s" if seconds > 0 else "-"


def _format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _clip(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    return text[: max(0, width - 3)] + "..." if width > 3 else text[:width]


def render_progress(
    *,
    label: str,
    done: int,
    planned: int | None,
    rate: float | None,
    width: int,
) -> str:
    """One progress line that fits in ``width`` columns (one column is left free, where a
    terminal would wrap): ``label  [#####.....]  42%  12,600/30,000 rows  8,664 rows/s  ETA
    00:02``. The label is shortened first, then the bar is dropped, then the numbers clipped.

    :param rate: rows per second (None while unknown).
    """
    rate_text = f"{rate:,.0f} rows/s" if rate else "- rows/s"
    if planned is None:
        stats = f"counting...  {done:,} rows  {rate_text}"
        fraction = 0.0
    else:
        fraction = min(1.0, done / planned) if planned else 1.0
        eta = (planned - done) / rate if rate and planned >= done else None
        stats = (
            f"{100 * fraction:3.0f}%  {done:,}/{planned:,} rows  {rate_text}"
            f"  ETA {_format_eta(eta)}"
        )
    return fit_line(label, fraction, stats, width)


def fit_line(label: str, fraction: float, stats: str, width: int) -> str:
    """``label  [####------]  stats`` in at most ``width - 1`` columns: the label is shortened
    first, then the bar dropped, then ``stats`` clipped."""
    room = max(1, width - 1)
    if len(stats) >= room:
        return stats[:room]
    free = room - len(stats) - 2  # two spaces before the numbers
    bar_width = min(_MAX_BAR, free - 2 - (len(label) + 2 if label else 0))
    if bar_width < _MIN_BAR:
        bar_width = _MIN_BAR if free - 2 - _MIN_BAR >= 8 else 0
    used_by_bar = bar_width + 2 + 2 if bar_width else 0
    label_room = free - used_by_bar
    parts = []
    if label and label_room >= 4:
        parts.append(_clip(label, label_room))
    if bar_width:
        filled = round(bar_width * fraction)
        parts.append("[" + "#" * filled + "-" * (bar_width - filled) + "]")
    parts.append(stats)
    return "  ".join(parts)[:room]


def _seconds(value: str) -> float | None:
    try:
        return datetime.fromisoformat(value).timestamp()
    except (TypeError, ValueError):
        return None


@attrs.define
class RateMeter:
    """Rows per second of a running task, from samples of its record.

    Each sample is (when the runner wrote it, rows done then). The rate is the rows done since
    the first sample over the time between, once that is at least a second (a single progress
    interval is too short to be steady); until then, the task's own average since it was
    created.
    """

    created: float | None
    _first: tuple[float, int] | None = attrs.field(default=None, init=False)
    _last: tuple[float, int] | None = attrs.field(default=None, init=False)

    def add(self, written_at: float | None, rows_done: int) -> None:
        """Record that the task had done ``rows_done`` rows at ``written_at`` (epoch s)."""
        if written_at is None:
            return
        if self._first is None:
            self._first = (written_at, rows_done)
        self._last = (written_at, rows_done)

    def rate(self) -> float | None:
        """Rows per second, or None while unknown."""
        if self._first is None or self._last is None:
            return None
        (t0, r0), (t1, r1) = self._first, self._last
        if r1 > r0 and t1 - t0 >= _MIN_SPAN:
            return (r1 - r0) / (t1 - t0)
        if self.created is not None and t1 > self.created and r1 > 0:
            return r1 / (t1 - self.created)
        return None


def _terminal_width() -> int:
    return shutil.get_terminal_size(fallback=(80, 24)).columns


def wait_with_progress(
    task: ExportTask, *, label: str | None = None, poll: float = 0.1, show: bool | None = None
) -> TaskStatus:
    """Wait for ``task`` showing rows done, rate and ETA on stderr; returns the final status.

    The line is drawn only on a terminal (or with ``show=True``); otherwise this just waits.
    """
    if show is None:
        show = sys.stderr.isatty()
    if not show:
        task.wait_till_done(timeout_seconds=float("inf"))
        return task.status
    out: TextIO = sys.stderr
    meter = RateMeter(created=_seconds(task.created_at))
    drawn = 0
    text = label if label is not None else task.name
    while True:
        status, done, planned, updated_at = task.progress()
        meter.add(_seconds(updated_at), done)
        if status == TaskStatus.COMPLETE and planned is not None:
            done = max(done, planned)
        width = _terminal_width()
        line = render_progress(
            label=text, done=done, planned=planned, rate=meter.rate(), width=width
        )
        out.write("\r" + line.ljust(min(drawn, width - 1)))
        out.flush()
        drawn = len(line)
        if status in FINAL_STATUSES:
            break
        time.sleep(poll)
    out.write("\n")
    out.flush()
    return task.status


@contextmanager
def progress_bar(
    length: int, *, label: str, show: bool | None = None
) -> Iterator[Callable[[int, int], None]]:
    """A bar of ``length`` units on stderr; yields ``update(position, rows)``, which moves it
    to ``position`` and shows ``rows`` per second. Drawn only on a terminal (or ``show=True``),
    fitted to its width like the export's line.
    """
    if show is None:
        show = sys.stderr.isatty()
    if not show:
        yield lambda position, rows: None
        return
    out: TextIO = sys.stderr
    start = time.monotonic()
    drawn = 0
    last = 0.0

    def draw(position: int, rows: int) -> None:
        nonlocal drawn
        elapsed = time.monotonic() - start
        fraction = min(1.0, position / length) if length > 0 else 1.0
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else None
        stats = (
            f"{100 * fraction:3.0f}%  {rows:,} rows  {format_rate(rows, elapsed)}"
            f"  ETA {_format_eta(eta)}"
        )
        width = _terminal_width()
        line = fit_line(label, fraction, stats, width)
        out.write("\r" + line.ljust(min(drawn, width - 1)))
        out.flush()
        drawn = len(line)

    def update(position: int, rows: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= 0.1 or position >= length:
            last = now
            draw(position, rows)

    try:
        yield update
    finally:
        out.write("\n")
        out.flush()
