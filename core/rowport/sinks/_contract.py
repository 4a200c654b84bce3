"""What a sink is: the protocol the delivery calls, an attrs base class, and building one.

A sink's options are its attrs fields, so ``factory(**options)`` is the validation: an unknown or
missing option is a :class:`~rowport.errors.InvalidInput` that names the sink and what it takes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, cast, runtime_checkable

import attrs

from rowport.errors import InvalidInput, RowportError
from rowport.plugins import ExportContext

__all__ = [
    "BaseSink",
    "Sink",
    "SinkError",
    "SinkFatalError",
    "build_sink",
    "check_sink",
    "sink_options",
]


class SinkError(RowportError):
    """Raised by a sink for a failure it can describe in full (``HTTP 500 Internal Server
    Error from http://...``): retried like any error, and reported by its message alone,
    without the exception's class name."""


class SinkFatalError(SinkError):
    """Raised by a sink for an error that retrying cannot fix (a 400 from a webhook, a path
    that is a directory): the delivery gives up on the sink at once instead of retrying."""


@runtime_checkable
class Sink(Protocol):
    """Where the rows of an export go besides its RESULT stream.

    The delivery calls every method of one sink from one thread, in this order: ``open`` once,
    ``write`` for each batch of committed RESULT lines, then ``close`` (the export completed)
    or ``abort`` (it ended early, or the sink failed). A failed ``open``, ``write`` or
    ``close`` is retried with backoff, so each should either succeed whole or leave nothing
    behind (or be idempotent); raise :class:`SinkFatalError` when a retry cannot help.
    """

    def open(self, context: ExportContext) -> None:
        """Prepare for rows of the export ``context`` (connect, create a temp file)."""

    def write(self, batch: list[bytes]) -> None:
        """Take a batch of rows: each item is one NDJSON line without its newline, the exact
        bytes of the RESULT stream, in stream order."""

    def close(self, summary: dict[str, Any]) -> None:
        """The export completed and every row was written: publish (rename, flush, commit).

        :param summary: ``rows``, ``errors``, ``result_bytes``, ``seconds`` and
            ``lines_delivered`` (the lines this sink got).
        """

    def abort(self, error: str) -> None:
        """The export ended early or the sink failed: discard what is incomplete."""


@attrs.define
class BaseSink:
    """An optional base for sinks: subclass it with ``@attrs.define`` and declare options as
    fields (private state as ``attrs.field(init=False)``); override the methods you need."""

    def check(self) -> None:
        """Cheap checks before the export starts (can the path be written?): raise
        :class:`SinkFatalError` naming what is wrong. Optional; nothing by default."""

    def open(self, context: ExportContext) -> None:
        """Do nothing by default."""

    def write(self, batch: list[bytes]) -> None:
        """Subclasses must take rows."""
        raise NotImplementedError(f"{type(self).__name__} does not implement write()")

    def close(self, summary: dict[str, Any]) -> None:
        """Do nothing by default."""

    def abort(self, error: str) -> None:
        """Do nothing by default."""


def _is_attrs(factory: Callable[..., Any]) -> bool:
    return isinstance(factory, type) and attrs.has(factory)


def _init_fields(factory: Callable[..., Any]) -> list[attrs.Attribute[Any]]:
    if not _is_attrs(factory):
        return []
    fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(cast("type[Any]", factory))
    return [f for f in fields if f.init]


def sink_options(factory: Callable[..., Any]) -> list[str]:
    """The option names a sink factory takes (its attrs fields; ``[]`` when unknown)."""
    return [f.alias or f.name for f in _init_fields(factory)]


def _required_options(factory: Callable[..., Any]) -> list[str]:
    return [f.alias or f.name for f in _init_fields(factory) if f.default is attrs.NOTHING]


def build_sink(
    name: str, plugin: str, factory: Callable[..., Any], options: Mapping[str, Any]
) -> Any:
    """Call ``factory(**options)``; a bad option becomes an :class:`InvalidInput` naming the
    sink, the plugin that registered it, the option and the options it takes."""
    allowed = sink_options(factory)
    known = _is_attrs(factory)
    takes = f"; sink {name!r} takes: {', '.join(allowed) or 'no options'}" if known else ""
    if known:
        unknown = [key for key in options if key not in allowed]
        if unknown:
            raise InvalidInput(
                f"sink {name!r} (plugin {plugin!r}) has no option {unknown[0]!r}{takes}"
            )
        missing = [key for key in _required_options(factory) if key not in options]
        if missing:
            raise InvalidInput(
                f"sink {name!r} (plugin {plugin!r}) needs the option {missing[0]!r}{takes}"
            )
    try:
        sink = factory(**options)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"sink {name!r} (plugin {plugin!r}): {exc}{takes}") from None
    missing_methods = [m for m in ("open", "write", "close", "abort") if not hasattr(sink, m)]
    if missing_methods:
        raise InvalidInput(
            f"sink {name!r} (plugin {plugin!r}) built {sink!r}, which has no"
            f" {', '.join(missing_methods)}() method"
        )
    return sink


def check_sink(name: str, plugin: str, sink: Any) -> None:
    """Run the sink's optional ``check()``; its failure becomes an :class:`InvalidInput`
    naming the sink and what is wrong."""
    check = getattr(sink, "check", None)
    if not callable(check):
        return
    try:
        check()
    except Exception as exc:  # a plugin's check: report it by name, never as a traceback
        cause = (
            str(exc) if isinstance(exc, (SinkError, OSError)) else f"{type(exc).__name__}: {exc}"
        )
        raise InvalidInput(f"sink {name!r} (plugin {plugin!r}) cannot start: {cause}") from None
