"""``rowport tasks deliver ID --sink NAME``: re-drive a sink from a task's RESULT stream."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson

from rowport._exit_codes import SINK_FAILED
from rowport.catalog import READABLE_STATUSES
from rowport.errors import InvalidInput, RowportError

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


class _SinkFailed(click.ClickException):
    exit_code = SINK_FAILED


def _ask_withheld(client: Any, task_id: str, sink: str, options: dict[str, Any]) -> None:
    """Prompt (hidden) for the secret options of the task's sink that were not stored; off a
    terminal, name them and stop (exit code 1)."""
    from rowport.sinks._stored import fill_withheld, missing_withheld, stored_sink

    record = client.get_task(task_id).metadata
    stored = stored_sink(record.get("request") or {}, sink) or {}
    missing = missing_withheld(stored.get("withheld") or (), options)
    if not missing:
        return
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise click.ClickException(
            f"sink {sink!r} of task {task_id} had options that are not stored with the task"
            f" (secrets): {', '.join(missing)}; give them with --sink-option"
        )
    answers: dict[str, Any] = {}
    for path in missing:
        answers[path] = click.prompt(f"{sink} option {path}", hide_input=True, err=True)
    fill_withheld(options, stored.get("options") or {}, answers)


@click.command("deliver")
@click.argument("task_id")
@click.option("--sink", "sink", required=True, help="A registered sink name (see docs/sinks.md).")
@click.option(
    "--sink-option",
    "sink_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="An option of the sink (repeatable); VALUE is JSON when it parses, else a string."
    " The options the task's own sink of that name had are reused, secrets excepted.",
)
def deliver_command(task_id: str, sink: str, sink_options: tuple[str, ...]) -> None:
    """Deliver every row of a finished task's RESULT stream to a sink again.

    The options the task's own sink of that name had are reused; --sink-option overrides
    them. Options that were secrets (tokens, passwords, header values) are not stored: they
    are asked for on a terminal, else named.

    Exit codes: 0 delivered, 1 the task is not finished (or not found) or an option is bad
    or missing, 3 the sink failed after its retries.
    """
    from rowport.sinks._redeliver import redeliver

    ctx = click.get_current_context()
    options = dict(parse_sink_option(text) for text in sink_options)
    client = _client(ctx)
    try:
        status = client.get_task(task_id).status
        if status not in READABLE_STATUSES:
            raise click.ClickException(
                f"task {task_id} is {status}; rows can be re-delivered from COMPLETE or"
                " CANCELED tasks only"
            )
        _ask_withheld(client, task_id, sink, options)
        report = redeliver(client, task_id, sink, options)
    except InvalidInput as exc:  # the sink, an option or a missing secret
        raise click.ClickException(str(exc)) from None
    except RowportError as exc:
        raise click.ClickException(str(exc)) from None
    if not report.ok:
        raise _SinkFailed(report.error or f"sink {sink!r} failed")
    click.echo(
        f"delivered {report.lines_delivered} rows of task {task_id} to sink {sink!r}"
        f" ({report.parts_delivered} part{'' if report.parts_delivered == 1 else 's'})",
        err=True,
    )
