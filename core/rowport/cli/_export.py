"""``rowport export KIND ...``: start an export task, wait for it, write its streams."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs
import click
import orjson

from rowport.cli._context import CliState, pass_state
from rowport.cli._files import OutputFile, same_file
from rowport.cli._formats import format_requests, report_formats
from rowport.cli._options import parse_filters, parse_params, parse_plugin_options
from rowport.cli._waiting import deliver, summarize, wait_for
from rowport.client import Client
from rowport.entities import DataRow
from rowport.errors import InvalidExportRequest, InvalidInput
from rowport.request import ExportKind, ScopeBy, build_request
from rowport.tasks import ExportTask
from rowport.tasks._executors import check_executor

__all__ = ["ExportOptions", "export", "run_export"]

F = TypeVar("F", bound=Callable[..., Any])
Starter = Callable[
    [Client, Mapping[str, Any], Mapping[str, Any], "str | None", dict[str, Any]], ExportTask
]


@attrs.frozen(kw_only=True)
class ExportOptions:
    """The options every ``export`` subcommand takes."""

    params: tuple[str, ...]
    filters: tuple[str, ...]
    name: str | None
    output: Path | None
    errors_file: Path | None
    no_wait: bool
    sinks: tuple[str, ...] = ()
    sink_options: tuple[str, ...] = ()
    on_row_error: str | None = None
    max_error_ratio: float | None = None
    plugin_options: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    format_options: tuple[str, ...] = ()
    strict_format: bool = False
    overwrite: bool = False
    executor: str | None = None


def export_options(func: F) -> F:
    """Add the shared options; :func:`_bundle` gathers them into one :class:`ExportOptions`."""
    options = [
        click.option(
            "--param",
            "params",
            multiple=True,
            metavar="NAME[=VALUE]",
            help="Include a section or set a param: label_details, label_details=false,"
            " project_ids=a,b, media_type_override=image. Repeatable.",
        ),
        click.option(
            "--filter",
            "filters",
            multiple=True,
            metavar="KEY=VALUE",
            help="Narrow the rows: workflow_status=InReview, batch_ids=a,b,"
            " last_activity_at=START,END (either end may be empty). Repeatable.",
        ),
        click.option("--name", default=None, help="The task's name (default: 'export KIND ID')."),
        click.option(
            "-o",
            "--output",
            type=click.Path(path_type=Path),
            help="Write the RESULT stream (NDJSON) here instead of to stdout; with --format,"
            " the format's directory or .zip (with several, a directory holding one each).",
        ),
        click.option(
            "--errors-file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write the ERRORS stream (NDJSON) here.",
        ),
        click.option(
            "--no-wait",
            is_flag=True,
            help="Print the task id at once and write no streams.",
        ),
        click.option(
            "--sink",
            "sinks",
            multiple=True,
            metavar="NAME",
            help="Also deliver rows to this sink (see `rowport plugins`). Repeatable.",
        ),
        click.option(
            "--sink-option",
            "sink_options",
            multiple=True,
            metavar="[SINK.]KEY=VALUE",
            help="An option of the sink (prefix with the sink's name when there are several);"
            " VALUE is JSON when it parses as JSON, else a string. Repeatable.",
        ),
        click.option(
            "--on-row-error",
            type=click.Choice(["keep", "skip", "fail"]),
            default=None,
            help="What a row with plugin problems does (default keep).",
        ),
        click.option(
            "--max-error-ratio",
            type=float,
            default=None,
            help="Fail the task once more than this share of rows had problems.",
        ),
        click.option(
            "--plugin-option",
            "plugin_options",
            multiple=True,
            metavar="[PLUGIN.]KEY=VALUE",
            help="An option for plugins (context.options); a dotted key nests:"
            " media.fetch=missing. VALUE as for --sink-option. Repeatable.",
        ),
        click.option(
            "--format",
            "formats",
            multiple=True,
            metavar="NAME",
            help="Write a training format to -o as the rows stream (coco, yolo, conll...; see"
            " `rowport plugins`); the rows are not printed. Repeatable.",
        ),
        click.option(
            "--format-option",
            "format_options",
            multiple=True,
            metavar="[FORMAT.]KEY=VALUE",
            help="An option of the format (prefix with its name when there are several);"
            " VALUE as for --sink-option. Repeatable.",
        ),
        click.option(
            "--strict-format", is_flag=True, help="Fail a format (write nothing) on any loss."
        ),
        click.option("--overwrite", is_flag=True, help="Replace a format's output if it exists."),
        click.option(
            "--executor",
            default=None,
            metavar="local|process[:N]|dask://HOST:PORT",
            help="Where the export runs: in this process (local, the default; or"
            " $ROWPORT_EXECUTOR), as shards on N worker processes of this machine, or as"
            " shards on a Dask cluster (`dask` alone: the address in $ROWPORT_EXECUTOR).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _bundle(values: dict[str, Any]) -> ExportOptions:
    return ExportOptions(
        params=tuple(values["params"]),
        filters=tuple(values["filters"]),
        name=values["name"],
        output=values["output"],
        errors_file=values["errors_file"],
        no_wait=values["no_wait"],
        sinks=tuple(values["sinks"]),
        sink_options=tuple(values["sink_options"]),
        on_row_error=values["on_row_error"],
        max_error_ratio=values["max_error_ratio"],
        plugin_options=tuple(values["plugin_options"]),
        formats=tuple(values["formats"]),
        format_options=tuple(values["format_options"]),
        strict_format=values["strict_format"],
        overwrite=values["overwrite"],
        executor=values["executor"],
    )


def _json_or_text(value: str) -> Any:
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value


def _key_values(items: tuple[str, ...], what: str) -> list[tuple[str, Any]]:
    pairs = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.UsageError(f"{what} {item!r} must look like KEY=VALUE")
        pairs.append((key.strip(), _json_or_text(value)))
    return pairs


def export_extras(options: ExportOptions) -> dict[str, Any]:
    """The keyword arguments beyond params and filters: sinks, error policy, plugin options."""
    extra: dict[str, Any] = {}
    if options.sinks:
        specs: dict[str, dict[str, Any]] = {name: {} for name in options.sinks}
        for key, value in _key_values(options.sink_options, "--sink-option"):
            sink, dot, option = key.partition(".")
            if dot and sink in specs:
                specs[sink][option] = value
            elif len(specs) == 1:
                next(iter(specs.values()))[key] = value
            else:
                raise click.UsageError(
                    f"--sink-option {key!r}: with several sinks, name the sink: SINK.KEY=VALUE"
                    f" (sinks: {', '.join(specs)})"
                )
        extra["sinks"] = [{"name": name, "options": opts} for name, opts in specs.items()]
    elif options.sink_options:
        raise click.UsageError("--sink-option needs a --sink")
    if options.on_row_error is not None:
        extra["on_row_error"] = options.on_row_error
    if options.max_error_ratio is not None:
        extra["max_error_ratio"] = options.max_error_ratio
    if options.plugin_options:
        try:
            extra["plugin_options"] = parse_plugin_options(options.plugin_options)
        except InvalidExportRequest as exc:
            raise click.UsageError(str(exc)) from None
    formats = format_requests(
        options.formats,
        options.format_options,
        options.output,
        strict=options.strict_format,
        overwrite=options.overwrite,
    )
    if formats:
        extra["formats"] = formats
    return extra


def run_export(
    state: CliState,
    options: ExportOptions,
    kind: ExportKind,
    scope_ids: tuple[str, ...],
    start: Starter,
    *,
    scope_by: ScopeBy = "id",
) -> None:
    """Check the request, start the task, then wait and deliver (or print its id)."""
    ctx = click.get_current_context()
    if options.no_wait and (options.output or options.errors_file):
        raise click.UsageError(
            "--no-wait returns before the streams are written: drop -o/--errors-file and read"
            " them later with `rowport tasks stream ID`",
            ctx,
        )
    if options.output and options.errors_file and same_file(options.output, options.errors_file):
        raise click.UsageError(
            f"-o and --errors-file name the same file ({options.output}): the errors would"
            " replace the rows; give two paths",
            ctx,
        )
    try:
        params = parse_params(options.params)
        filters = parse_filters(options.filters)
        # the check export() makes, made here before a catalog is opened or a task started
        build_request(
            kind,
            scope_ids=scope_ids,
            scope_by=scope_by,
            params=params,
            filters=filters,
            task_name=options.name,
            timezone=state.timezone,
        )
    except InvalidExportRequest as exc:
        raise click.UsageError(str(exc), ctx) from None
    extra = export_extras(options)
    if options.executor is not None:
        if state.url:
            raise click.UsageError(
                "--executor chooses where an embedded export runs: a server's exports run"
                " where its own configuration says ($ROWPORT_EXECUTOR where it runs)",
                ctx,
            )
        try:
            check_executor(options.executor)
        except InvalidInput as exc:
            raise click.UsageError(str(exc), ctx) from None
        state.executor = options.executor
    # opened now, so a path that cannot be written fails before any task exists; with
    # --format, -o is the format's output and the rows are not printed
    rows_output = None if options.formats else options.output
    output = OutputFile(rows_output, "-o").open() if rows_output else None
    try:
        errors_file = (
            OutputFile(options.errors_file, "--errors-file").open() if options.errors_file else None
        )
    except BaseException:
        if output is not None:
            output.discard()
        raise
    try:
        began = time.monotonic()
        try:
            task = start(state.client, params, filters, options.name, extra)
        except InvalidExportRequest as exc:
            raise click.UsageError(str(exc), ctx) from None
        if options.no_wait:
            click.echo(task.uid)
            click.echo(f"started task {task.uid}; this process exits when it ends", err=True)
            return
        status = wait_for(task, state, cancel_on_interrupt=True)
        elapsed = time.monotonic() - began
        # a stdout sink has printed the rows already: print them once
        to_stdout = "stdout" not in options.sinks and not options.formats
        deliver(task, status, output=output, errors_file=errors_file, result_to_stdout=to_stdout)
    finally:
        for target in (output, errors_file):
            if target is not None:
                target.discard()  # nothing to do once committed
    code = summarize(task, status, elapsed=elapsed)
    if options.formats:
        code = max(code, report_formats(task.format_reports))
    ctx.exit(code)


@click.group()
def export() -> None:
    """Export rows as NDJSON: start a task, show its progress, write its streams.

    Exit codes: 0 COMPLETE, 1 FAILED or CANCELED (or an error), 2 invalid usage (such as an
    unknown param or filter; no task is started), 130 interrupted (the task is canceled).
    """


@export.command("project")
@click.argument("project_id")
@export_options
@pass_state
def export_project(state: CliState, /, project_id: str, **values: Any) -> None:
    """Export the rows queued in project PROJECT_ID."""
    run_export(
        state,
        _bundle(values),
        ExportKind.PROJECT,
        (project_id,),
        lambda c, p, f, n, x: c.get_project(project_id).export(
            task_name=n, filters=f, params=p, **x
        ),
    )


@export.command("dataset")
@click.argument("dataset_id")
@export_options
@pass_state
def export_dataset(state: CliState, /, dataset_id: str, **values: Any) -> None:
    """Export the rows of dataset DATASET_ID."""
    run_export(
        state,
        _bundle(values),
        ExportKind.DATASET,
        (dataset_id,),
        lambda c, p, f, n, x: c.get_dataset(dataset_id).export(
            task_name=n, filters=f, params=p, **x
        ),
    )


@export.command("slice")
@click.argument("slice_id")
@export_options
@pass_state
def export_slice(state: CliState, /, slice_id: str, **values: Any) -> None:
    """Export the rows slice SLICE_ID selects now."""
    run_export(
        state,
        _bundle(values),
        ExportKind.SLICE,
        (slice_id,),
        lambda c, p, f, n, x: c.get_slice(slice_id).export(task_name=n, filters=f, params=p, **x),
    )


@export.command("model-run")
@click.argument("model_run_id")
@export_options
@pass_state
def export_model_run(state: CliState, /, model_run_id: str, **values: Any) -> None:
    """Export the rows of model run MODEL_RUN_ID with their labels and predictions."""
    run_export(
        state,
        _bundle(values),
        ExportKind.MODEL_RUN,
        (model_run_id,),
        lambda c, p, f, n, x: c.get_model_run(model_run_id).export(
            task_name=n, filters=f, params=p, **x
        ),
    )


@export.command("data-rows")
@click.argument("keys", nargs=-1, required=True, metavar="ID...")
@click.option(
    "--global-keys", is_flag=True, help="The arguments are global keys, not data row ids."
)
@export_options
@pass_state
def export_data_rows(
    state: CliState, /, keys: tuple[str, ...], global_keys: bool, **values: Any
) -> None:
    """Export the data rows with these ids (or, with --global-keys, these global keys).

    An id or key that matches no row becomes a DATA_ROW_NOT_FOUND line in the ERRORS stream.
    """

    def start(
        c: Client,
        p: Mapping[str, Any],
        f: Mapping[str, Any],
        n: str | None,
        x: dict[str, Any],
    ) -> ExportTask:
        # a data rows export takes no filters: build_request has refused any by now
        if global_keys:
            return DataRow.export(c, global_keys=list(keys), task_name=n, params=p, **x)
        return DataRow.export(c, data_rows=list(keys), task_name=n, params=p, **x)

    run_export(
        state,
        _bundle(values),
        ExportKind.DATA_ROWS,
        keys,
        start,
        scope_by="global_key" if global_keys else "id",
    )


@export.command("catalog")
@export_options
@pass_state
def export_catalog(state: CliState, /, **values: Any) -> None:
    """Export every data row of the catalog (narrowed by --filter)."""
    run_export(
        state,
        _bundle(values),
        ExportKind.CATALOG,
        (),
        lambda c, p, f, n, x: c.get_catalog().export(task_name=n, filters=f, params=p, **x),
    )
