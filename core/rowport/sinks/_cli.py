"""``rowport tasks deliver ID --sink NAME``: re-drive a sink from a task's RESULT stream."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import orjson

from rowport.errors import RowportError

__all__ = ["deliver_command", "parse_sink_option"]


def parse_sink_option(text: str) -> tuple[str, Any]:
    """``KEY=VALUE``: the value is read as JSON when it parses (``retries=5``, ``headers={}``),
    else kept as a string (``path=out.ndjson``)."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise click.BadParameter(f"expected KEY=VALUE, got {text!r}", param_hint="--sink-option")
    try:
        value: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        value = raw
    return key.strip(), value


def _client(ctx: click.Context) -> Any:
    from rowport.client import Client

    obj = ctx.find_root().obj if ctx.obj is None else ctx.obj
    if isinstance(obj, Client):
        return obj
    client = getattr(obj, "client", None)  # the CLI's CliState opens one on first use
    if isinstance(client, Client):
        return client
    home = ctx.find_root().params.get("home")
    opened = Client(Path(home)) if home is not None else Client()
    ctx.call_on_close(opened.close)
    return opened


@click.command("deliver")
@click.argument("task_id")
@click.option("--sink", "sink", required=True, help="A registered sink name (see docs/sinks.md).")
@click.option(
    "--sink-option",
    "sink_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="An option of the sink (repeatable); VALUE is JSON when it parses, else a string.",
)
def deliver_command(task_id: str, sink: str, sink_options: tuple[str, ...]) -> None:
    """Deliver every row of a finished task's RESULT stream to a sink again."""
    from rowport.sinks._redeliver import redeliver

    ctx = click.get_current_context()
    options = dict(parse_sink_option(text) for text in sink_options)
    try:
        report = redeliver(_client(ctx), task_id, sink, options)
    except RowportError as exc:
        raise click.ClickException(str(exc)) from exc
    if not report.ok:
        raise click.ClickException(report.error or f"sink {sink!r} failed")
    click.echo(
        f"delivered {report.lines_delivered} rows of task {task_id} to sink {sink!r}"
        f" ({report.parts_delivered} part{'' if report.parts_delivered == 1 else 's'})",
        err=True,
    )
