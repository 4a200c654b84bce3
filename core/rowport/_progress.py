"""A progress bar (rows, rate, ETA) while waiting for an export task, shared by CLI and demo."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rowport.tasks import ExportTask

__all__ = ["format_rate", "progress_bar", "wait_with_progress"]

_FINAL = ("COMPLETE", "FAILED", "CANCELED")


def format_rate(rows: int, seconds: float) -> str:
    """``"12,345 rows/s"`` (or ``"-"`` before a second has passed)."""
    return f"{rows / seconds:,.0f} rows/s" if seconds > 0 else "-"


def wait_with_progress(
    task: ExportTask, *, label: str | None = None, poll: float = 0.1, show: bool | None = None
) -> str:
    """Wait for ``task`` showing rows done, rate and ETA on stderr; returns the final status.

    The bar is drawn only on a terminal (or with ``show=True``); otherwise this just waits.
    """
    if show is None:
        show = sys.stderr.isatty()
    start = time.monotonic()
    if not show:
        task.wait_till_done(timeout_seconds=float("inf"))
        return task.status
    planned = None
    while planned is None and task.status not in _FINAL:
        planned = task.rows_planned
        if planned is None:
            time.sleep(poll / 2)
    planned = task.rows_planned or 0
    bar: Any
    with click.progressbar(
        length=max(planned, 1),
        label=label or task.name,
        file=sys.stderr,
        show_eta=True,
        show_percent=True,
        item_show_func=lambda _: format_rate(task.rows_done, time.monotonic() - start),
    ) as bar:
        done = 0
        while True:
            status = task.status
            now_done = task.rows_done if status != "COMPLETE" else max(planned, 1)
            if now_done > done:
                bar.update(now_done - done)
                done = now_done
            if status in _FINAL:
                break
            time.sleep(poll)
    return task.status


@contextmanager
def progress_bar(
    length: int, *, label: str, show: bool | None = None
) -> Iterator[Callable[[int, int], None]]:
    """A bar of ``length`` units on stderr; yields ``update(position, rows)``, which moves it
    to ``position`` and shows ``rows`` per second. Drawn only on a terminal (or ``show=True``).
    """
    if show is None:
        show = sys.stderr.isatty()
    if not show:
        yield lambda position, rows: None
        return
    start = time.monotonic()
    state = {"position": 0, "rows": 0}
    bar: Any
    with click.progressbar(
        length=max(length, 1),
        label=label,
        file=sys.stderr,
        show_eta=True,
        show_percent=True,
        item_show_func=lambda _: format_rate(state["rows"], time.monotonic() - start),
    ) as bar:

        def update(position: int, rows: int) -> None:
            state["rows"] = rows
            if position > state["position"]:
                bar.update(position - state["position"])
                state["position"] = position
            else:
                bar.render_progress()

        yield update
