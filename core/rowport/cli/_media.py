"""``rowport media probe``: read media into the catalog's media attributes, as a task.

Exports read no media by default; a probe fills the attributes they use. It waits like
``rowport export`` (a progress bar on a terminal, Ctrl-C cancels the task and exits 130) and
prints the task id on stdout and a summary on stderr.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import click

from rowport.cli._context import CliState, pass_state
from rowport.cli._options import parse_plugin_options
from rowport.cli._output import format_seconds, plural
from rowport.cli._waiting import EXIT_CODES, READABLE, wait_for
from rowport.errors import InvalidExportRequest
from rowport.tasks import ExportTask, StreamType

__all__ = ["media", "probe_outcomes"]


@click.group("media")
def media() -> None:
    """Fill media attributes in the catalog by reading the media.

    Exports use the stored attributes and read no media unless told to
    (--plugin-option media.fetch=missing|always).
    """


def probe_outcomes(task: ExportTask) -> Counter[str]:
    """How many RESULT lines of a finished probe task say ``updated``, ``unchanged``,
    ``failed``."""
    counts: Counter[str] = Counter()
    if task.get_total_lines(StreamType.RESULT):
        for line in task.get_buffered_stream():
            counts[str(line.json.get("outcome"))] += 1
    return counts


@media.command("probe")
@click.option("--dataset", "dataset_id", metavar="ID", help="Probe this dataset's rows.")
@click.option("--project", "project_id", metavar="ID", help="Probe the rows queued in a project.")
@click.option(
    "--only-missing/--all",
    "only_missing",
    default=True,
    show_default=True,
    help="Read only rows whose stored attributes lack what their media type needs, or every"
    " row (replacing the attributes read).",
)
@click.option("--name", default=None, help="The task's name (default: 'probe media KIND ID').")
@click.option(
    "--plugin-option",
    "plugin_options",
    multiple=True,
    metavar="[PLUGIN.]KEY=VALUE",
    help="An option for plugins, as for export: media.timeout=5, image.head_bytes=131072."
    " Repeatable.",
)
@click.option("--no-wait", is_flag=True, help="Print the task id at once and do not wait.")
@pass_state
def probe(
    state: CliState,
    /,
    dataset_id: str | None,
    project_id: str | None,
    only_missing: bool,
    name: str | None,
    plugin_options: tuple[str, ...],
    no_wait: bool,
) -> None:
    """Read the media of a dataset, a project or (with neither) the whole catalog, and store
    the attributes found (height, width, duration, page count...).

    The RESULT stream holds one line per data row (outcome: updated, unchanged, failed); the
    ERRORS stream what could not be read (`rowport tasks stream ID --errors`). Exit codes: 0
    COMPLETE, 1 FAILED or CANCELED, 2 invalid usage, 130 interrupted (the task is canceled).
    """
    ctx = click.get_current_context()
    if dataset_id is not None and project_id is not None:
        raise click.UsageError("give --dataset or --project, not both", ctx)
    try:
        options: dict[str, Any] = parse_plugin_options(plugin_options)
    except InvalidExportRequest as exc:
        raise click.UsageError(str(exc), ctx) from None
    media = options.get("media")
    if isinstance(media, dict) and "fetch" in media:
        raise click.UsageError(
            "a media probe reads media by definition: drop --plugin-option media.fetch"
            " (--all re-reads rows that have attributes)",
            ctx,
        )
    began = time.monotonic()
    client = state.client
    kwargs: dict[str, Any] = {
        "only_missing": only_missing,
        "task_name": name,
        "plugin_options": options or None,
    }
    try:
        if dataset_id is not None:
            task = client.get_dataset(dataset_id).probe_media(**kwargs)
        elif project_id is not None:
            task = client.get_project(project_id).probe_media(**kwargs)
        else:
            task = client.probe_media(**kwargs)
    except InvalidExportRequest as exc:
        raise click.UsageError(str(exc), ctx) from None
    click.echo(task.uid)
    if no_wait:
        click.echo(f"started task {task.uid}; this process exits when it ends", err=True)
        return
    status = wait_for(task, state, cancel_on_interrupt=True)
    ctx.exit(_summarize(task, status, time.monotonic() - began))


def _summarize(task: ExportTask, status: str, elapsed: float) -> int:
    if status in READABLE:
        counts = probe_outcomes(task)
        errors = task.get_total_lines(StreamType.ERRORS) or 0
        rows = sum(counts.values())
        click.echo(
            f"{status}: probed {plural(rows, 'row')}: {counts['updated']:,} updated,"
            f" {counts['unchanged']:,} unchanged, {counts['failed']:,} failed;"
            f" {plural(errors, 'error')} in {format_seconds(elapsed)}; task {task.uid}",
            err=True,
        )
        if errors:
            click.echo(f"read them with `rowport tasks stream {task.uid} --errors`", err=True)
    else:
        click.echo(
            f"{status}: task {task.uid} after {plural(task.rows_done, 'row')}"
            f" in {format_seconds(elapsed)}",
            err=True,
        )
    if status not in READABLE and task.errors_message is not None:  # FAILED
        click.echo(f"Error: task {task.uid} failed: {task.errors_message}", err=True)
    code: int = EXIT_CODES.get(status, 1)  # type: ignore[call-overload, unused-ignore]
    return code
