"""Training formats on the command line: ``--format`` on ``rowport export``,
``rowport tasks convert ID --format NAME -o OUT``, and how their reports are printed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import orjson

from rowport._exit_codes import ERROR, OK
from rowport.cli._context import CliState, pass_state
from rowport.errors import InvalidInput

__all__ = ["convert_command", "format_requests", "report_formats"]


def _value(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def format_requests(
    names: tuple[str, ...],
    options: tuple[str, ...],
    output: Path | None,
    *,
    strict: bool,
    overwrite: bool,
) -> list[dict[str, Any]]:
    """The ``formats`` of an export from the CLI flags: with one format ``-o`` is its output,
    with several ``-o`` is a directory holding one output per format (``OUT/coco``...).

    ``--format-option [FORMAT.]KEY=VALUE``: VALUE is JSON when it parses as JSON.
    """
    if not names:
        if options or strict:
            raise click.UsageError("--format-option and --strict-format need a --format")
        return []
    if output is None:
        raise click.UsageError("--format needs -o: the directory (or .zip) to write it to")
    per_format: dict[str, dict[str, Any]] = {name: {} for name in names}
    for item in options:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.UsageError(f"--format-option {item!r} must look like [FORMAT.]KEY=VALUE")
        name, dot, option = key.partition(".")
        if dot and name in per_format:
            per_format[name][option] = _value(value)
        elif len(per_format) == 1 and not dot:
            next(iter(per_format.values()))[key] = _value(value)
        else:
            raise click.UsageError(
                f"--format-option {key!r}: name the format: FORMAT.KEY=VALUE"
                f" (formats: {', '.join(per_format)})"
            )
    return [
        {
            "name": name,
            "output": str(output if len(names) == 1 else output / name),
            "options": opts,
            "strict": strict,
            "overwrite": overwrite,
        }
        for name, opts in per_format.items()
    ]


def _losses(report: dict[str, Any]) -> str:
    losses = report.get("losses") or {}
    if not losses:
        return "lossless"
    parts = [f"{kind} {entry['count']:,}" for kind, entry in losses.items()]
    return "lost: " + ", ".join(parts)


def report_formats(reports: list[dict[str, Any]]) -> int:
    """Print one line per conversion on stderr; :data:`ERROR` when one failed."""
    code = OK
    for report in reports:
        if report.get("status") == "complete":
            click.echo(
                f"{report['format']}: {report['rows_written']:,} of {report['rows_read']:,} rows"
                f" written to {report['output']} ({_losses(report)})",
                err=True,
            )
        else:
            code = ERROR
            click.echo(f"Error: {report.get('error')}", err=True)
    return code


@click.command("convert")
@click.argument("task_id")
@click.option("--format", "format_name", required=True, help="The format (see `rowport plugins`).")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="The directory (or .zip) to write; written under a temporary name, renamed at the end.",
)
@click.option(
    "--format-option",
    "format_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="An option of the format; VALUE is JSON when it parses as JSON. Repeatable.",
)
@click.option("--strict-format", is_flag=True, help="Fail (and write nothing) on any loss.")
@click.option("--overwrite", is_flag=True, help="Replace the output if it exists.")
@pass_state
def convert_command(
    state: CliState,
    task_id: str,
    format_name: str,
    output: Path,
    format_options: tuple[str, ...],
    strict_format: bool,
    overwrite: bool,
) -> None:
    """Convert finished task TASK_ID's rows to a training format, without exporting again.

    Prints what was written and what the format could not carry (also in lossiness.json).
    """
    (request,) = format_requests(
        (format_name,), format_options, output, strict=strict_format, overwrite=overwrite
    )
    task = state.client.get_task(task_id)
    try:
        report = task.convert(
            format_name, output, request["options"], strict=strict_format, overwrite=overwrite
        )
    except InvalidInput as exc:
        raise click.UsageError(str(exc)) from None
    except Exception as exc:
        click.echo(f"Error: {exc}", err=True)
        click.get_current_context().exit(ERROR)
    click.get_current_context().exit(report_formats([report.to_dict()]))
