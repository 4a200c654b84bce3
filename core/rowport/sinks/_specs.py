"""Naming sinks in an export: ``["ndjson_file", {"name": ..., "options": {...}}, (name, opts)]``."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import orjson

from rowport.errors import InvalidInput
from rowport.sinks._contract import build_sink, check_sink, sink_options

if TYPE_CHECKING:
    from rowport.plugins import PluginHost

__all__ = [
    "DEFAULT_BACKOFF",
    "DEFAULT_DEADLINE",
    "DEFAULT_RETRIES",
    "DELIVERY_OPTIONS",
    "RetryPolicy",
    "SinkSpec",
    "check_sinks",
    "parse_sink_specs",
]

DEFAULT_RETRIES = 2  # three attempts in all
DEFAULT_BACKOFF = 0.2  # seconds before the first retry; doubled for each next one
DEFAULT_DEADLINE = 600.0  # seconds one sink call may take (an upload in close()) until abandoned
DELIVERY_OPTIONS = ("retries", "backoff", "deadline")  # options the delivery takes, not the sink


def _freeze(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(value)


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often the delivery retries a failing sink call, and how long it waits."""

    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF

    @property
    def attempts(self) -> int:
        """Calls in all: the first and the retries."""
        return self.retries + 1

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return float(self.backoff * 2 ** (attempt - 1))


@attrs.frozen(kw_only=True)
class SinkSpec:
    """One sink of an export: its registered name and its options (JSON values).

    ``options`` may include the delivery's ``retries`` (default 2: three attempts),
    ``backoff`` (seconds, default 0.2, doubled per retry) and ``deadline`` (seconds one call of
    the sink may take, default 600, after which the sink is abandoned); the others go to the sink.
    """

    name: str
    options: Mapping[str, Any] = attrs.field(factory=dict, converter=_freeze, hash=False)

    def options_for(self, factory: Callable[..., Any]) -> dict[str, Any]:
        """The options for the sink's factory: all but the delivery's, which a sink gets too
        only when it declares an option of that name (the webhook's own ``backoff``)."""
        declared = sink_options(factory)
        return {k: v for k, v in self.options.items() if k not in DELIVERY_OPTIONS or k in declared}

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy these options ask for (checked by :func:`parse_sink_specs`)."""
        return RetryPolicy(
            retries=self.options.get("retries", DEFAULT_RETRIES),
            backoff=float(self.options.get("backoff", DEFAULT_BACKOFF)),
        )

    @property
    def deadline(self) -> float:
        """Seconds one call of this sink may take (checked by :func:`parse_sink_specs`)."""
        return float(self.options.get("deadline", DEFAULT_DEADLINE))

    def to_dict(self) -> dict[str, Any]:
        """The form kept in the request's options: ``{"name": ..., "options": {...}}``."""
        return {"name": self.name, "options": dict(self.options)}


def _shape_error(index: int, value: Any) -> InvalidInput:
    return InvalidInput(
        f"sinks[{index}] must be a sink name, {{'name': ..., 'options': {{...}}}} or"
        f" (name, options); got {value!r}"
    )


def _plain(value: Any) -> Any:
    """Paths become strings, so options stay JSON values (they are kept with the task)."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _check_retry(index: int, name: str, options: Mapping[str, Any]) -> None:
    retries = options.get("retries", DEFAULT_RETRIES)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 100:
        raise InvalidInput(
            f"sinks[{index}] ({name!r}): retries must be a whole number from 0 to 100,"
            f" got {retries!r}"
        )
    backoff = options.get("backoff", DEFAULT_BACKOFF)
    if (
        isinstance(backoff, bool)
        or not isinstance(backoff, (int, float))
        or not math.isfinite(backoff)
        or not 0 <= backoff <= 600
    ):
        raise InvalidInput(
            f"sinks[{index}] ({name!r}): backoff must be seconds from 0 to 600, got {backoff!r}"
        )
    deadline = options.get("deadline", DEFAULT_DEADLINE)
    if (
        isinstance(deadline, bool)
        or not isinstance(deadline, (int, float))
        or not math.isfinite(deadline)
        or not 0 < deadline <= 86400
    ):
        raise InvalidInput(
            f"sinks[{index}] ({name!r}): deadline must be seconds above 0 and at most 86400"
            f" (one day), got {deadline!r}"
        )


def parse_sink_specs(value: Any) -> list[SinkSpec]:
    """Read the ``sinks`` of an export into :class:`SinkSpec` objects.

    Each item is a sink name (``"stdout"``), a dict ``{"name": ..., "options": {...}}`` (the
    form kept in a task's request), a ``(name, options)`` pair, or a :class:`SinkSpec`.

    :raises InvalidInput: naming the item and the shapes allowed.
    """
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise InvalidInput(f"sinks must be a list of sinks, got {value!r}")
    specs: list[SinkSpec] = []
    for index, item in enumerate(value):
        if isinstance(item, SinkSpec):
            name, options = item.name, item.options
        elif isinstance(item, str):
            name, options = item, {}
        elif isinstance(item, Mapping):
            extra = set(item) - {"name", "options"}
            if "name" not in item or extra:
                raise _shape_error(index, item)
            name, options = item["name"], item.get("options") or {}
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            name, options = item[0], item[1] if item[1] is not None else {}
        else:
            raise _shape_error(index, item)
        if not isinstance(name, str) or not name:
            raise _shape_error(index, item)
        if not isinstance(options, Mapping) or not all(isinstance(k, str) for k in options):
            raise InvalidInput(
                f"sinks[{index}] ({name!r}): options must be a dict of option names, got"
                f" {options!r}"
            )
        options = _plain(options)
        try:
            orjson.dumps(options)
        except TypeError as exc:
            raise InvalidInput(
                f"sinks[{index}] ({name!r}): options must be JSON values: {exc}"
            ) from None
        _check_retry(index, name, options)
        specs.append(SinkSpec(name=name, options=options))
    return specs


def check_sinks(host: PluginHost, specs: Sequence[SinkSpec]) -> None:
    """Build each sink once (no I/O) to check its name and options before a task exists, then
    run its optional ``check()`` (the file sinks make sure their path can be written).

    :raises InvalidInput: an unknown sink (listing the registered ones), a bad option
        (naming the sink, the option and the options it takes) or a failed check.
    """
    factories = host.sink_factories()
    for spec in specs:
        if spec.name not in factories:
            known = ", ".join(sorted(factories)) or "none"
            raise InvalidInput(f"no sink is registered as {spec.name!r}; registered sinks: {known}")
        plugin, factory = factories[spec.name]
        sink = build_sink(spec.name, plugin, factory, spec.options_for(factory))
        check_sink(spec.name, plugin, sink)
