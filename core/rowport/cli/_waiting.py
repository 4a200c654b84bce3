"""Waiting for an export task and reporting how it ended: shared by ``export`` and ``tasks``."""

from __future__ import annotations

from pathlib import Path

import click

from rowport._progress import format_rate, wait_with_progress
from rowport.cli._context import CliState
from rowport.cli._output import (
    format_bytes,
    format_seconds,
    open_sink,
    plural,
    seconds_between,
    write_outputs,
)
from rowport.tasks import ExportTask, FileConverter, JsonConverter, StreamType

__all__ = ["EXIT_CODES", "INTERRUPTED", "READABLE", "deliver", "summarize", "wait_for"]

EXIT_CODES = {"COMPLETE": 0, "FAILED": 1, "CANCELED": 1}
INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
READABLE = ("COMPLETE", "CANCELED")


def wait_for(task: ExportTask, state: CliState, *, cancel_on_interrupt: bool) -> str:
    """Wait (with a progress bar on a terminal) and return the final status.

    On Ctrl-C, either cancel the task and wait for it to stop, or just stop waiting; both end
    the command with exit code 130.
    """
    try:
        return wait_with_progress(task, label=task.name, show=state.show_progress)
    except KeyboardInterrupt:
        click.echo("", err=True)
        if not cancel_on_interrupt:
            click.echo(f"stopped waiting; task {task.uid} is {task.status}", err=True)
            raise click.exceptions.Exit(INTERRUPTED) from None
        click.echo(f"interrupted: canceling task {task.uid} ...", err=True)
        task.cancel()
        try:
            task.wait_till_done(timeout_seconds=float("inf"))
        except KeyboardInterrupt:
            pass  # a second Ctrl-C: stop waiting; the runner stops at its next batch anyway
        click.echo(f"task {task.uid} is {task.status} after {task.rows_done:,} rows", err=True)
        raise click.exceptions.Exit(INTERRUPTED) from None


def deliver(
    task: ExportTask, status: str, *, output: Path | None, errors_file: Path | None
) -> None:
    """Write RESULT (COMPLETE only) to ``output`` or stdout and ERRORS to ``errors_file``.

    Without ``errors_file``, a count of error lines and how to read them go to stderr.
    """
    if status == "COMPLETE":
        if output is None:
            with open_sink(None) as sink:
                write_outputs(task.get_stream(JsonConverter(), StreamType.RESULT), sink)
        else:
            task.get_stream(FileConverter(output), StreamType.RESULT).start()
    if errors_file is not None:
        # stream() reads a FAILED task's ERRORS too, where get_stream() refuses
        with open_sink(errors_file) as sink:
            write_outputs(task.stream(StreamType.ERRORS, follow=False), sink)
        return
    errors = _error_lines(task, status)
    if errors:
        click.echo(
            f"{plural(errors, 'error line')}: save with --errors-file FILE or read with"
            f" `rowport tasks stream {task.uid} --errors`",
            err=True,
        )


def _error_lines(task: ExportTask, status: str) -> int:
    if status in READABLE:
        return task.get_total_lines(StreamType.ERRORS) or 0
    return sum(1 for _ in task.stream(StreamType.ERRORS, follow=False))


def summarize(task: ExportTask, status: str, *, elapsed: float | None = None) -> int:
    """Print how the task ended on stderr; returns the exit code for its status."""
    if elapsed is None:
        elapsed = seconds_between(task.created_at, task.updated_at)
    if status in READABLE:
        rows = task.get_total_lines(StreamType.RESULT) or 0
        size = format_bytes(task.get_total_file_size(StreamType.RESULT))
    else:
        rows, size = task.rows_done, "-"
    errors = _error_lines(task, status)
    click.echo(
        f"{status}: {plural(rows, 'row')}, {size}, {plural(errors, 'error')}"
        f" in {format_seconds(elapsed)}"
        f" ({format_rate(task.rows_done, elapsed)}); task {task.uid}",
        err=True,
    )
    if status == "FAILED":
        click.echo(f"Error: task {task.uid} failed: {task.errors_message}", err=True)
    elif status == "CANCELED":
        click.echo(
            f"task {task.uid} was canceled; read the rows exported before it stopped with"
            f" `rowport tasks stream {task.uid}`",
            err=True,
        )
    return EXIT_CODES.get(status, 1)
