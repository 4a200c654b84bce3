"""How an export runs beyond what it selects: the error policy, sinks and plugin options.

:class:`ExportOptions` is checked once, where a request is made (``Client.export(...)``) or
read back (``ExportRequest.from_dict``); the runner and task manager read its typed fields.
It is also a read-only mapping of the options that were set (plus any ``extra`` keys a later
version may add), which is the form stored with a task.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs
import orjson

from rowport.errors import InvalidExportRequest, InvalidInput

__all__ = ["ERROR_POLICIES", "ExportOptions", "check_error_policy"]

ERROR_POLICIES = ("keep", "skip", "fail")
_KNOWN = ("on_row_error", "max_error_ratio", "sinks", "plugin_options")


def check_error_policy(
    on_row_error: object, max_error_ratio: object, *, error: type[InvalidInput] = InvalidInput
) -> tuple[str, float | None]:
    """``(on_row_error, max_error_ratio)`` checked; ``error`` names what is wrong otherwise."""
    if on_row_error not in ERROR_POLICIES:
        raise error(
            f"on_row_error must be one of {', '.join(ERROR_POLICIES)}, got {on_row_error!r}"
        )
    ratio = max_error_ratio
    if ratio is not None and (
        isinstance(ratio, bool)
        or not isinstance(ratio, (int, float))
        or not math.isfinite(ratio)
        or not 0 <= ratio <= 1
    ):
        raise error(f"max_error_ratio must be a number from 0 to 1, got {ratio!r}")
    return str(on_row_error), None if ratio is None else float(ratio)


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


def _frozen_or_none(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return None if value is None else MappingProxyType(dict(value))


def _frozen_sinks(value: Sequence[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    return tuple(
        MappingProxyType({"name": s["name"], "options": MappingProxyType(dict(s["options"]))})
        for s in value
    )


@attrs.frozen(kw_only=True, eq=False)
class ExportOptions(Mapping[str, Any]):
    """The options of one export.

    Each field is None (or empty) when the caller did not set it.

    :ivar on_row_error: what a row with problems does: ``keep`` (the default), ``skip`` or
        ``fail``; :attr:`row_error_policy` resolves the default.
    :ivar max_error_ratio: fail the task once more than this share of rows had problems.
    :ivar sinks: ``{"name": ..., "options": {...}}`` per sink, checked against the plugins.
    :ivar plugin_options: handed to plugins as ``context.options``.
    :ivar extra: keys this version does not know, kept as given.
    """

    on_row_error: str | None = None
    max_error_ratio: float | None = None
    sinks: tuple[Mapping[str, Any], ...] = attrs.field(default=(), converter=_frozen_sinks)
    plugin_options: Mapping[str, Any] | None = attrs.field(default=None, converter=_frozen_or_none)
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen)

    @property
    def row_error_policy(self) -> str:
        """``on_row_error``, or ``keep`` when it was not set."""
        return self.on_row_error or "keep"

    @classmethod
    def build(
        cls,
        *,
        on_row_error: object = None,
        max_error_ratio: object = None,
        sinks: Sequence[Mapping[str, Any]] = (),
        plugin_options: object = None,
        extra: Mapping[str, Any] | None = None,
    ) -> ExportOptions:
        """Options from what a caller gave (None = not given).

        :raises InvalidExportRequest: naming the bad option and what is allowed.
        """
        policy, ratio = check_error_policy(
            "keep" if on_row_error is None else on_row_error,
            max_error_ratio,
            error=InvalidExportRequest,
        )
        if plugin_options is not None:
            if not isinstance(plugin_options, Mapping):
                raise InvalidExportRequest("plugin_options must be a dict")
            try:
                orjson.dumps(plugin_options)
            except TypeError as exc:
                raise InvalidExportRequest(f"plugin_options must be JSON values: {exc}") from None
        checked_sinks = []
        for index, sink in enumerate(sinks):
            if (
                not isinstance(sink, Mapping)
                or not isinstance(sink.get("name"), str)
                or not isinstance(sink.get("options", {}), Mapping)
            ):
                raise InvalidExportRequest(
                    f"sinks[{index}] must be {{'name': ..., 'options': {{...}}}}, got {sink!r}"
                )
            checked_sinks.append({"name": sink["name"], "options": sink.get("options", {})})
        return cls(
            on_row_error=None if on_row_error is None else policy,
            max_error_ratio=ratio,
            sinks=tuple(checked_sinks),
            plugin_options=None if plugin_options is None else dict(plugin_options),
            extra=dict(extra or {}),
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ExportOptions:
        """Options stored as a mapping (a task's saved request), checked again."""
        if isinstance(data, ExportOptions):
            return data
        if not isinstance(data, Mapping):
            raise InvalidExportRequest(f"export options must be a mapping, got {data!r}")
        return cls.build(
            on_row_error=data.get("on_row_error"),
            max_error_ratio=data.get("max_error_ratio"),
            sinks=data.get("sinks") or (),
            plugin_options=data.get("plugin_options"),
            extra={k: v for k, v in data.items() if k not in _KNOWN},
        )

    def _set(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.on_row_error is not None:
            out["on_row_error"] = self.on_row_error
        if self.max_error_ratio is not None:
            out["max_error_ratio"] = self.max_error_ratio
        if self.plugin_options is not None:
            out["plugin_options"] = dict(self.plugin_options)
        if self.sinks:
            out["sinks"] = [{"name": s["name"], "options": dict(s["options"])} for s in self.sinks]
        out.update(self.extra)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The options that were set, as JSON-ready data (the form stored with a task)."""
        return self._set()

    def __getitem__(self, key: str) -> Any:
        return self._set()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._set())

    def __len__(self) -> int:
        return len(self._set())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._set() == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]
