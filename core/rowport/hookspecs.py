"""The contract between rowport and its plugins: every hook, typed and documented.

A plugin is a module or object with functions marked ``@rowport.hookimpl`` whose names match
these specs. Built-in plugins (``rowport_plugins``) use nothing else, so they double as
examples. Hooks are grouped in the order an export meets them.

Rows are plain dicts in the export format (see ``docs/format.md``); each also carries its media
type under the key ``"_media_type"`` (removed before the row is written). Row hooks take a
*batch*: the rows of one media type from one assembly batch (about 100 rows), so a plugin pays a
hook call per batch, not per row, and can fetch media for many rows at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from rowport.plugins import ExportContext, Problem

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("rowport")
hookimpl = pluggy.HookimplMarker("rowport")


# -- what a plugin handles ---------------------------------------------------------------------


@hookspec
def rowport_declare_media_types() -> Sequence[str]:
    """Name the media types this plugin's row hooks are for.

    Row hooks of a plugin that implements this are called only for batches of those media types
    (``image``, ``video``, ``text``, ``geospatial``, ``document``, ``audio``,
    ``conversational``, ``html``). A plugin that does not implement it is media-agnostic: its
    row hooks see every batch.

    :return: the media type names (aliases such as ``"pdf"`` are accepted).
    """


@hookspec
def rowport_declare_sections() -> Sequence[str]:
    """Name the sections of a row this plugin's row hooks read.

    Only the stored JSON of sections some plugin of the export declared is parsed for the row
    hooks; the rest reach them as :class:`orjson.Fragment` objects (written back byte for
    byte). The names (:data:`rowport.plugins.SECTIONS`): ``data_row``, ``media_attributes``,
    ``attachments``, ``metadata_fields``, ``embeddings``, ``labels`` (the labels themselves,
    annotations left stored, with their remembered checks), ``annotations`` (of every label
    and prediction), ``projects``, ``experiments``. A plugin that does not implement it reads
    every section. A section a plugin did not declare can still be parsed where it is needed
    with :func:`rowport.plugins.parsed`.

    :return: the section names.
    """


# -- rows ----------------------------------------------------------------------------------------


@hookspec
def rowport_validate_rows(
    rows: list[dict[str, Any]], context: ExportContext
) -> Iterable[Problem] | None:
    """Check a batch of rows and report what is wrong; do not change the rows.

    Each :class:`~rowport.plugins.Problem` names the row by its index in ``rows`` and carries
    a stable ``code`` and a message; rowport writes it to the ERRORS stream with this plugin's
    name and applies the export's error policy (``on_row_error``: keep, skip or fail).

    :param rows: the batch, all of one media type.
    :param context: the export this batch belongs to (request, params, options, catalog).
    :return: the problems found (None or empty when all is well).
    """


@hookspec
def rowport_transform_rows(
    rows: list[dict[str, Any]], context: ExportContext
) -> Iterable[Problem] | None:
    """Enrich or normalise a batch of rows in place (media attributes, interpolated frames...).

    Runs after validation, on the rows the error policy kept. A plugin that raises is retried
    row by row to find the culprits; each failing row becomes a ``PLUGIN_RAISED`` problem.

    :param rows: the batch, all of one media type; change the dicts in place.
    :param context: the export this batch belongs to.
    :return: problems met while transforming (None or empty when all is well).
    """


# -- media -------------------------------------------------------------------------------------


@hookspec
def rowport_probe_media(
    rows: list[dict[str, Any]], context: ExportContext, only_missing: bool
) -> Iterable[Problem] | None:
    """Read the media of a batch of rows and set each row's ``media_attributes`` to what it
    found; a media probe task (``dataset.probe_media()``, ``rowport media probe``) calls it.

    Exports do not read media by default, so this is where attributes come from: rowport
    stores every row whose ``media_attributes`` changed, writes one RESULT line per row and
    an ERRORS line per problem. ``context.options["media"]["fetch"]`` is ``"missing"`` or
    ``"always"`` as ``only_missing`` says, so helpers that read it behave alike.

    :param rows: the batch, all of one media type (``data_row`` and ``media_attributes``,
        labels when the probe is of a project).
    :param context: the probe task (its ``task_id``, ``request`` scope, ``options``).
    :param only_missing: read only rows whose stored attributes lack what this plugin fills;
        False re-reads every row and replaces the attributes it computes.
    :return: media that could not be read or parsed (``MEDIA_UNREACHABLE``...).
    """


@hookspec
def rowport_check_plugin_options(options: Mapping[str, Any]) -> Iterable[str] | None:
    """Check an export's (or media probe's) ``plugin_options`` before any task exists.

    :param options: the whole ``plugin_options`` mapping the caller gave.
    :return: one message per bad value, naming the option, what it got and what is allowed;
        any message refuses the request with :class:`~rowport.errors.InvalidExportRequest`.
    """


# -- where rows go -------------------------------------------------------------------------------


@hookspec
def rowport_register_sinks(register: Callable[..., None]) -> None:
    """Register sink factories: ``register(name, factory)``.

    ``factory(**options)`` returns a sink: an object with ``open(context)``, ``write(batch)``,
    ``close(summary)`` and ``abort(error)`` (see :class:`rowport.sinks.Sink`). Sinks receive rows
    only after the RESULT stream holds them, so a failed sink loses nothing.

    :param register: call it once per sink; a second registration of a name is refused.
    """


@hookspec
def rowport_register_formats(register: Callable[..., None]) -> None:
    """Register training formats: ``register(spec)`` with a :class:`rowport.formats.FormatSpec`.

    A format turns a task's RESULT rows into files people train on (COCO, YOLO, CoNLL...): it
    declares its media types, annotation kinds, file layout and options, and its writer takes
    rows in batches and reports what it could not carry (see ``docs/formats.md``).

    :param register: call it once per format; a second registration of a name is refused
        (a ``trylast`` implementation's yields to the first).
    """


# -- task lifecycle ------------------------------------------------------------------------------


@hookspec
def rowport_export_started(context: ExportContext) -> None:
    """An export task's runner started (before the first row).

    :param context: the export.
    """


@hookspec
def rowport_export_progress(context: ExportContext, rows_done: int, rows_planned: int) -> None:
    """Progress of a running export, a few times a second at most, once its rows are counted
    (an export that pages by key ranges counts them beside its first parts).

    :param context: the export.
    :param rows_done: data rows processed so far.
    :param rows_planned: data rows the export covers.
    """


@hookspec
def rowport_part_ready(context: ExportContext, stream: str, part: dict[str, Any]) -> None:
    """A part file of a stream was committed (durable, readable by any process).

    :param context: the export.
    :param stream: ``"result"`` or ``"errors"``.
    :param part: the part's manifest entry (``file``, ``offsets``, ``lines``, ``sha256``...).
    """


@hookspec
def rowport_export_completed(context: ExportContext, summary: dict[str, Any]) -> None:
    """An export finished COMPLETE.

    :param context: the export.
    :param summary: ``rows``, ``errors``, ``result_bytes``, ``seconds``.
    """


@hookspec
def rowport_export_failed(context: ExportContext, error: str) -> None:
    """An export ended FAILED.

    :param context: the export.
    :param error: the message recorded in the task.
    """


@hookspec
def rowport_export_canceled(context: ExportContext) -> None:
    """An export ended CANCELED.

    :param context: the export.
    """


# -- command line --------------------------------------------------------------------------------


@hookspec
def rowport_register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``rowport`` command line.

    :param cli: the top-level click group; call ``cli.add_command(...)`` or decorate.
    """
