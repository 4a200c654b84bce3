"""``rowport report TASK [-o report.html]``: a task's report as one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path

import click

from rowport.cli._context import CliState, pass_state
from rowport.cli._files import OutputFile

__all__ = ["report"]


@click.command()
@click.argument("task_id")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the report here (default: report-TASK.html).",
)
@pass_state
def report(state: CliState, task_id: str, output: Path | None) -> None:
    """Write a task's report as one HTML file: request, progress, plot, errors.

    The file holds the task page's content with its styles, plot script and data inline, so
    it opens offline and can be shared: the request (kind, scope, params, filters, options),
    status and rate, the throughput over time, the time per stage (plan, read, plugins,
    encode, write) from the task's per-batch timings, and its ERRORS grouped by code, plugin
    and media type with the first rows of each group. With --url the server writes it
    (GET /api/v1/tasks/TASK/report).
    """
    client = state.client
    if client.is_remote:
        html = str(client.backend.call("tasks.report", task_id=task_id))
    else:
        from rowport.server.console import report_html

        html = report_html(client, client.get_task(task_id))
    target = OutputFile(output or Path(f"report-{task_id}.html"), "-o")
    target.open()
    try:
        target.file.write(html.encode("utf-8"))
    except BaseException:
        target.discard()
        raise
    target.commit()
    click.echo(f"report of task {task_id}: {target.path}")
