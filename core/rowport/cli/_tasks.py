"""``rowport tasks ...``: list, show, wait for, cancel and read export tasks."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import click
import orjson

from rowport.cli._context import INTERRUPTED, CliState, pass_state
from rowport.cli._files import OutputFile
from rowport.cli._output import (
    RawLines,
    format_bytes,
    format_ts,
    open_stdout,
    plural,
    write_lines,
)
from rowport.cli._waiting import READABLE, summarize, wait_for
from rowport.tasks import FINAL_STATUSES, ExportTask, StreamType, TaskStatus

__all__ = ["tasks"]

_NAME_WIDTH = 32


@click.group()
def tasks() -> None:
    """List, inspect, wait for, cancel and read export tasks."""


def _echo_json(data: Any) -> None:
    click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def _stream_totals(task: ExportTask, status: TaskStatus) -> dict[str, dict[str, int]] | None:
    if status not in READABLE:
        return None
    return {
        stream.value.lower(): {
            "lines": task.get_total_lines(stream) or 0,
            "bytes": task.get_total_file_size(stream) or 0,
        }
        for stream in StreamType
    }


def task_record(task: ExportTask, *, totals: bool) -> dict[str, Any]:
    """A task as JSON-ready data; with ``totals``, its streams' lines and bytes when readable."""
    status = task.status
    record: dict[str, Any] = {
        "id": task.uid,
        "name": task.name,
        "type": task.type,
        "status": status,
        "completion_percentage": task.completion_percentage,
        "rows_done": task.rows_done,
        "rows_planned": task.rows_planned,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
        "created_by": task.created_by,
        "errors_message": task.errors_message,
    }
    if totals:
        record["metadata"] = task.metadata
        record["streams"] = _stream_totals(task, status)
        record["formats"] = task.format_reports
        record["attempts"] = [attrs.asdict(attempt) for attempt in task.attempts]
        record["retry_of"] = task.retry_of
        record["retries"] = task.retries
    return record


@tasks.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@pass_state
def list_tasks(state: CliState, as_json: bool) -> None:
    """List every export task, newest first."""
    records = [task_record(task, totals=False) for task in state.client.get_tasks()]
    if as_json:
        _echo_json(records)
        return
    if not records:
        click.echo("no tasks", err=True)
        return
    header = ("ID", "NAME", "STATUS", "%", "ROWS", "CREATED")
    rows = [header] + [
        (
            r["id"],
            _clip(r["name"]),
            r["status"],
            f"{r['completion_percentage']:.0f}",
            f"{r['rows_done']:,}/"
            + ("?" if r["rows_planned"] is None else f"{r['rows_planned']:,}"),
            format_ts(r["created_at"]),
        )
        for r in records
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _clip(text: str) -> str:
    return text if len(text) <= _NAME_WIDTH else text[: _NAME_WIDTH - 3] + "..."


@tasks.command("show")
@click.argument("task_id")
@click.option("--json", "as_json", is_flag=True, help="Print the task as a JSON object.")
@pass_state
def show_task(state: CliState, task_id: str, as_json: bool) -> None:
    """Show every field of task TASK_ID, the request it runs, and its streams' sizes."""
    task = state.client.get_task(task_id)
    record = task_record(task, totals=True)
    if as_json:
        _echo_json(record)
        return
    planned = record["rows_planned"]
    lines = [
        ("id", record["id"]),
        ("name", record["name"]),
        ("type", record["type"]),
        ("status", record["status"]),
        ("progress", f"{record['completion_percentage']:.1f} %"),
        ("rows", f"{record['rows_done']:,} of " + ("?" if planned is None else f"{planned:,}")),
        ("created", record["created_at"]),
        ("updated", record["updated_at"]),
        ("created by", record["created_by"] or "-"),
    ]
    if record["errors_message"]:
        lines.append(("error", record["errors_message"]))
    lines.extend(_request_lines(record["metadata"]))
    lines.extend(_stream_lines(task, record))
    lines.extend(
        (f"format {r['format']}", f"{r['status']}, {r['rows_written']:,} rows, {r['output']}")
        for r in record["formats"]
    )
    lines.extend(_history_lines(record))
    width = max(len(key) for key, _ in lines)
    for key, value in lines:
        click.echo(f"{key.ljust(width)}  {value}")


def _stream_lines(task: ExportTask, record: dict[str, Any]) -> list[tuple[str, str]]:
    streams = record["streams"]
    if streams is not None:
        return [
            (name, f"{streams[name]['lines']:,} lines, {format_bytes(streams[name]['bytes'])}")
            for name in ("result", "errors")
        ]
    if record["status"] == TaskStatus.FAILED:
        errors = sum(1 for _ in task.stream(StreamType.ERRORS, follow=False))
        return [
            ("result", "not readable: the task failed"),
            (
                "errors",
                f"{plural(errors, 'line')} (read them with"
                f" `rowport tasks stream {task.uid} --errors`)",
            ),
        ]
    hint = f"not readable until the task ends (or `rowport tasks stream {task.uid} --follow`)"
    return [("result", hint), ("errors", hint)]


def _history_lines(record: dict[str, Any]) -> list[tuple[str, str]]:
    """One line per attempt once the task was resumed, and the retry links."""
    lines = []
    if len(record["attempts"]) > 1:
        for attempt in record["attempts"]:
            rows = "?" if attempt["rows_done"] is None else f"{attempt['rows_done']:,}"
            lines.append(
                (
                    f"attempt {attempt['attempt']}",
                    f"{attempt['status'] or 'running'}: from row {attempt['resumed_from_row']:,}"
                    f" to {rows}, {attempt['started_at']} - {attempt['ended_at'] or '...'}",
                )
            )
    if record["retry_of"]:
        lines.append(("retry of", record["retry_of"]))
    if record["retries"]:
        lines.append(("retries", ", ".join(record["retries"])))
    return lines


def _request_lines(metadata: dict[str, Any]) -> list[tuple[str, str]]:
    request = metadata.get("request") or {}
    scope = request.get("scope_ids") or []
    lines = [
        ("kind", str(request.get("kind", "-"))),
        ("scope", ", ".join(scope) if scope else "-"),
    ]
    if request.get("scope_by", "id") != "id":
        lines.append(("scope by", str(request["scope_by"])))
    for key in ("params", "filters"):
        values = request.get(key) or {}
        lines.append((key, orjson.dumps(values).decode() if values else "-"))
    if metadata.get("legacy"):
        lines.append(("legacy", "export_v2"))
    return lines


@tasks.command("wait")
@click.argument("task_id")
@pass_state
def wait_task(state: CliState, task_id: str) -> None:
    """Wait for task TASK_ID to end, with a progress bar on a terminal.

    Exit codes: 0 COMPLETE, 1 FAILED or CANCELED, 130 interrupted (the task keeps running).
    """
    task = state.client.get_task(task_id)
    status = wait_for(task, state, cancel_on_interrupt=False)
    click.get_current_context().exit(summarize(task, status))


@tasks.command("cancel")
@click.argument("task_id")
@pass_state
def cancel_task(state: CliState, task_id: str) -> None:
    """Ask task TASK_ID to stop; it ends CANCELED after its current batch.

    Exit code 1 when the task had already ended.
    """
    task = state.client.get_task(task_id)
    if state.client.cancel_task(task_id):
        click.echo(f"cancel requested for task {task_id}")
        return
    task.refresh()
    raise click.ClickException(f"task {task_id} has already ended ({task.status})")


@tasks.command("stream")
@click.argument("task_id")
@click.option("--errors", is_flag=True, help="Read the ERRORS stream instead of RESULT.")
@click.option(
    "--offset",
    type=click.IntRange(min=0),
    help="Start at this byte (a mid-line offset yields the rest of that line first).",
)
@click.option("--line", type=click.IntRange(min=0), help="Start at this 0-based line.")
@click.option(
    "--follow", is_flag=True, help="Read lines as they are committed until the task ends."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the lines here instead of to stdout.",
)
@pass_state
def stream_task(
    state: CliState,
    task_id: str,
    errors: bool,
    offset: int | None,
    line: int | None,
    follow: bool,
    output: Path | None,
) -> None:
    """Print the lines of task TASK_ID's RESULT (or ERRORS) stream, or write them to a file.

    Exit codes: 0 done, 1 the task failed or is not finished (use --follow), 2 an offset or
    line out of range.
    """
    ctx = click.get_current_context()
    if offset is not None and line is not None:
        raise click.UsageError("give --offset or --line, not both", ctx)
    if follow and offset is not None:
        raise click.UsageError("--follow starts at a line: use --line instead of --offset", ctx)
    task = state.client.get_task(task_id)
    stream_type = StreamType.ERRORS if errors else StreamType.RESULT
    status = task.status
    if not follow:
        _check_readable(task, status, stream_type, offset)
    # opened now, so a path that cannot be written fails before anything is read
    target = OutputFile(output, "-o").open() if output is not None else None
    try:
        if follow:
            ctx.exit(_follow(task, stream_type, line or 0, target))
        lines = _lines(task, status, stream_type, offset, line)
        write_lines(lines, target)
    except KeyboardInterrupt:
        left = "" if target is None else f" (nothing was left at {target.path})"
        click.echo("", err=True)
        click.echo(f"interrupted{left}; task {task_id} is {task.status}", err=True)
        raise click.exceptions.Exit(INTERRUPTED) from None
    finally:
        if target is not None:
            target.discard()  # nothing to do once committed


def _check_readable(
    task: ExportTask, status: TaskStatus, stream_type: StreamType, offset: int | None
) -> None:
    if status == TaskStatus.FAILED and stream_type is StreamType.RESULT:
        raise click.ClickException(
            f"task {task.uid} failed, so its RESULT cannot be read: {task.errors_message}"
        )
    if status not in FINAL_STATUSES:
        raise click.ClickException(
            f"task {task.uid} is {status}: its streams can be read once it ends;"
            " use --follow to read lines as they are committed"
        )
    if status == TaskStatus.FAILED and offset is not None:
        raise click.UsageError(
            f"task {task.uid} failed: read its ERRORS by --line", click.get_current_context()
        )


def _lines(
    task: ExportTask,
    status: TaskStatus,
    stream_type: StreamType,
    offset: int | None,
    line: int | None,
) -> Iterator[bytes]:
    """The lines to print, positioned (a position out of range is a usage error)."""
    try:
        if status == TaskStatus.FAILED:
            # get_stream() refuses a failed task; its ERRORS stream holds why it failed
            outputs = task.stream(stream_type, follow=False, start_line=line or 0)
            return (item.json_str.encode("utf-8") for item in outputs)
        stream = task.get_stream(RawLines(), stream_type)
        if offset is not None:
            stream.with_offset(offset)
        elif line is not None:
            stream.with_line(line)
    except ValueError as exc:
        raise click.UsageError(str(exc), click.get_current_context()) from None
    return iter(stream)


def _follow(
    task: ExportTask, stream_type: StreamType, start_line: int, target: OutputFile | None
) -> int:
    """Write lines as they are committed; returns the exit code for how the task ended.

    Each line is flushed as it comes (to stdout, or to the temporary file that becomes
    ``target`` once the task has ended).
    """
    click.echo(
        f"following the {stream_type.value} stream of task {task.uid} until it ends; Ctrl-C stops",
        err=True,
    )
    try:
        with contextlib.ExitStack() as stack:
            lines = task.stream(stream_type, follow=True, start_line=start_line)
            sink = stack.enter_context(open_stdout()) if target is None else target.file
            for item in lines:
                sink.write(item.json_str.encode("utf-8"))
                sink.write(b"\n")
                sink.flush()
    except ValueError as exc:  # a start line past the end of a finished stream
        raise click.UsageError(str(exc)) from None
    if target is not None:
        target.commit()
    # the writer closes the stream just before the runner records the final status
    task.wait_till_done(timeout_seconds=float("inf"))
    status = task.status
    if status == TaskStatus.FAILED:
        click.echo(f"Error: task {task.uid} failed: {task.errors_message}", err=True)
    return 0 if status == TaskStatus.COMPLETE else 1


@tasks.command("resume")
@click.argument("task_id")
@click.option(
    "--allow-changed",
    is_flag=True,
    help="Continue even though rows of the task's plan changed since it started.",
)
@pass_state
def resume_task(state: CliState, task_id: str, allow_changed: bool) -> None:
    """Resume interrupted task TASK_ID (FAILED, CANCELED, or its process died) from the last
    row its streams hold whole, and wait for it here. It keeps its id; `tasks show` lists
    its attempts.

    Exit codes: 0 COMPLETE, 1 FAILED, CANCELED or refused (the catalog changed: see
    --allow-changed; a damaged stream; a COMPLETE or running task), 130 interrupted.
    """
    task = state.client.get_task(task_id)
    task.resume(allow_changed=allow_changed)
    attempt = task.attempts[-1]
    click.echo(
        f"resuming task {task_id} (attempt {attempt.attempt}) after"
        f" {plural(attempt.resumed_from_row, 'row')}"
        + (f"; {attempt.note}" if attempt.note else ""),
        err=True,
    )
    status = wait_for(task, state, cancel_on_interrupt=True)
    click.get_current_context().exit(summarize(task, status))


@tasks.command("retry")
@click.argument("task_id")
@pass_state
def retry_task(state: CliState, task_id: str) -> None:
    """Export again exactly the rows named by TASK_ID's ERRORS lines, as a new task linked to
    it, and wait for it here. Combine both with `rowport tasks merge TASK_ID`.

    Exit codes: 0 COMPLETE, 1 FAILED, CANCELED or nothing to retry, 130 interrupted.
    """
    retry = state.client.get_task(task_id).retry_failed()
    click.echo(f"task {retry.uid} retries the failed rows of task {task_id}", err=True)
    status = wait_for(retry, state, cancel_on_interrupt=True)
    click.get_current_context().exit(summarize(retry, status))


@tasks.command("merge")
@click.argument("task_id")
@click.argument("retry_id", required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the lines here instead of to stdout.",
)
@pass_state
def merge_tasks(state: CliState, task_id: str, retry_id: str | None, output: Path | None) -> None:
    """Write TASK_ID's RESULT with its retry's rows (RETRY_ID, default the latest retry) in
    plan order: a retried row's line replaces the original's.

    Exit code 1 when RETRY_ID is no retry of TASK_ID or a RESULT is not readable.
    """
    lines = state.client.get_task(task_id).merged(retry_id)
    target = OutputFile(output, "-o").open() if output is not None else None
    count = write_lines(lines, target)
    click.echo(f"{plural(count, 'line')} merged", err=True)


@tasks.command("verify")
@click.argument("task_id")
@pass_state
def verify_task(state: CliState, task_id: str) -> None:
    """Check task TASK_ID's RESULT and ERRORS streams against their manifests: every part's
    size, sha256, line count and index, and that part files lie in the stream's folder.

    Exit codes: 0 both streams are sound, 1 a stream is damaged (each problem is printed).
    """
    task = state.client.get_task(task_id)
    problems = task.verify()
    for name, found in problems.items():
        if not found:
            click.echo(f"{name}: ok")
        for problem in found:
            click.echo(f"{name}: {problem}")
    if any(problems.values()):
        raise click.exceptions.Exit(1)


def _attach_deliver() -> None:
    from rowport.cli._formats import convert_command
    from rowport.sinks._cli import deliver_command

    tasks.add_command(deliver_command)
    tasks.add_command(convert_command)


_attach_deliver()
