"""Waiting for an export task and reporting how it ended: shared by ``export`` and ``tasks``."""

from __future__ import annotations

from typing import Any

import click
import orjson

from rowport._progress import format_rate, wait_with_progress
from rowport.cli._context import INTERRUPTED, SINK_FAILED, CliState
from rowport.cli._files import OutputFile
from rowport.cli._output import (
    RawLines,
    format_bytes,
    format_seconds,
    plural,
    seconds_between,
    write_lines,
)
from rowport.tasks import READABLE_STATUSES, ExportTask, StreamType, TaskStatus

__all__ = [
    "EXIT_CODES",
    "INTERRUPTED",
    "READABLE",
    "SINK_FAILED",
    "deliver",
    "sink_failures",
    "summarize",
    "wait_for",
]

EXIT_CODES = {TaskStatus.COMPLETE: 0, TaskStatus.FAILED: 1, TaskStatus.CANCELED: 1}
READABLE = READABLE_STATUSES


def wait_for(task: ExportTask, state: CliState, *, cancel_on_interrupt: bool) -> TaskStatus:
    """Wait (with a progress bar on a terminal) and return the final status.

    On Ctrl-C, either cancel the task and wait for it to stop, or just stop waiting; both end
    the command with exit code 130.
    """
    try:
        # said before waiting: the task id at once, and a sign that Ctrl-C is handled now
        if cancel_on_interrupt:
            click.echo(f"task {task.uid} started; Ctrl-C cancels it", err=True)
        else:
            click.echo(
                f"waiting for task {task.uid} ({task.status}); Ctrl-C stops waiting", err=True
            )
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
        click.echo(
            f"task {task.uid} is {task.status} after {plural(task.rows_done, 'row')}; read"
            f" the rows exported before it stopped with `rowport tasks stream {task.uid}`",
            err=True,
        )
        raise click.exceptions.Exit(INTERRUPTED) from None


def _reread_hint(task: ExportTask, stream: StreamType, target: OutputFile | None) -> str:
    errors = " --errors" if stream is StreamType.ERRORS else ""
    to = f" -o {target.path}" if target is not None else ""
    return f"`rowport tasks stream {task.uid}{errors}{to}`"


def _write_stream(
    task: ExportTask, stream: StreamType, target: OutputFile | None, status: TaskStatus
) -> None:
    """Write one stream of an ended task; a failure or Ctrl-C leaves nothing at the target
    and says how to read the stream again."""
    where = "stdout" if target is None else f"{target.option} {target.path}"
    try:
        if stream is StreamType.RESULT:
            write_lines(task.get_stream(RawLines(), stream), target)
        else:
            # stream() reads a FAILED task's ERRORS too, where get_stream() refuses
            write_lines(
                (line.json_str.encode("utf-8") for line in task.stream(stream, follow=False)),
                target,
            )
    except KeyboardInterrupt:
        left = "" if target is None else f" (nothing was left at {target.path})"
        click.echo("", err=True)
        click.echo(
            f"interrupted while writing {where}{left}; task {task.uid} is {status} and its"
            f" {stream.value} stream still holds every line: write it again with"
            f" {_reread_hint(task, stream, target)}",
            err=True,
        )
        raise click.exceptions.Exit(INTERRUPTED) from None
    except OSError as exc:
        left = "" if target is None else f" (nothing was left at {target.path})"
        raise click.ClickException(
            f"could not write {where}: {exc.strerror or exc}{left}; task {task.uid} is"
            f" {status} and its {stream.value} stream still holds every line: write it again"
            f" with {_reread_hint(task, stream, target)}"
        ) from None


def deliver(
    task: ExportTask,
    status: TaskStatus,
    *,
    output: OutputFile | None,
    errors_file: OutputFile | None,
    result_to_stdout: bool = True,
) -> None:
    """Write RESULT (COMPLETE only) to ``output`` or stdout and ERRORS to ``errors_file``.

    Both files were opened before the export started and are renamed into place once
    written; a RESULT that is not written (the task did not complete) leaves ``output``
    untouched. Without ``errors_file``, a count of error lines and how to read them go to
    stderr. ``result_to_stdout=False`` leaves stdout to a ``stdout`` sink that already
    printed the rows.
    """
    try:
        if status == TaskStatus.COMPLETE and (output is not None or result_to_stdout):
            _write_stream(task, StreamType.RESULT, output, status)
        if errors_file is not None:
            _write_stream(task, StreamType.ERRORS, errors_file, status)
            return
    finally:
        for target in (output, errors_file):
            if target is not None:
                target.discard()  # nothing to do once committed
    errors = _error_lines(task, status)
    if errors:
        click.echo(
            f"{plural(errors, 'error line')}: save with --errors-file FILE or read with"
            f" `rowport tasks stream {task.uid} --errors`",
            err=True,
        )


def _error_lines(task: ExportTask, status: TaskStatus) -> int:
    if status in READABLE:
        return task.get_total_lines(StreamType.ERRORS) or 0
    return sum(1 for _ in task.stream(StreamType.ERRORS, follow=False))


def sink_failures(task: ExportTask, status: TaskStatus) -> list[dict[str, Any]]:
    """The ``SINK_FAILED`` lines of a COMPLETE task: the last lines of its ERRORS stream, one
    per failed sink (only tasks whose request names sinks have any)."""
    if status != TaskStatus.COMPLETE:
        return []
    request = task.metadata.get("request") or {}
    sinks = (request.get("options") or {}).get("sinks") or []
    total = task.get_total_lines(StreamType.ERRORS) or 0
    if not sinks or not total:
        return []
    return _last_lines_of(task, "SINK_FAILED", max(0, total - len(sinks)))


def _last_lines_of(task: ExportTask, code: str, start: int) -> list[dict[str, Any]]:
    """The ERRORS lines with ``code`` from line ``start`` on."""
    found = []
    for line in task.stream(StreamType.ERRORS, follow=False, start_line=start):
        item = orjson.loads(line.json_str)
        if isinstance(item, dict) and item.get("code") == code:
            found.append(item)
    return found


_HOOK_FAILURE_TAIL = 256  # PLUGIN_HOOK_FAILED lines are one per plugin and hook, near the end


def hook_failures(task: ExportTask, total: int) -> list[dict[str, Any]]:
    """The ``PLUGIN_HOOK_FAILED`` lines of a task whose ERRORS stream has ``total`` lines:
    lifecycle hooks that raised (the runner writes them among the last lines, one per plugin
    and hook)."""
    return _last_lines_of(task, "PLUGIN_HOOK_FAILED", max(0, total - _HOOK_FAILURE_TAIL))


def summarize(task: ExportTask, status: TaskStatus, *, elapsed: float | None = None) -> int:
    """Print how the task ended on stderr; returns the exit code: that of its status, or
    :data:`SINK_FAILED` for a COMPLETE task one of whose sinks failed."""
    if elapsed is None:
        elapsed = seconds_between(task.created_at, task.updated_at)
    if status in READABLE:
        rows = task.get_total_lines(StreamType.RESULT) or 0
        size = format_bytes(task.get_total_file_size(StreamType.RESULT))
    else:
        rows, size = task.rows_done, "-"
    errors = _error_lines(task, status)
    failed = sink_failures(task, status)
    names = ", ".join(repr((f.get("details") or {}).get("sink", "?")) for f in failed)
    sinks = f"; sink {names} failed" if len(failed) == 1 else f"; sinks {names} failed"
    click.echo(
        f"{status}: {plural(rows, 'row')}, {size}, {plural(errors, 'error')}"
        f" in {format_seconds(elapsed)}"
        f" ({format_rate(task.rows_done, elapsed)}); task {task.uid}" + (sinks if failed else ""),
        err=True,
    )
    if status == TaskStatus.FAILED:
        click.echo(f"Error: task {task.uid} failed: {task.errors_message}", err=True)
    elif status == TaskStatus.CANCELED:
        click.echo(
            f"task {task.uid} was canceled; read the rows exported before it stopped with"
            f" `rowport tasks stream {task.uid}`",
            err=True,
        )
    for failure in failed:
        click.echo(f"Error: {failure.get('message')}", err=True)
    for hook in hook_failures(task, errors) if errors else []:
        click.echo(f"warning: {hook.get('message')}", err=True)
    if failed:
        return SINK_FAILED
    return EXIT_CODES.get(status, 1)
