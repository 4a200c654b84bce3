"""Reading ``--param`` and ``--filter`` values into the mappings an export takes.

Only the shape is read here (``NAME``, ``NAME=VALUE``, lists, date ranges); whether a key is
allowed for the kind of export, and whether its value is valid, is left to
:func:`rowport.request.build_request`, so the command line and the Python API give the same
messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from rowport.errors import InvalidExportRequest
from rowport.request import DATE_FORMATS, PARAMS_BY_KIND
from rowport.request._kinds import DATE_FILTERS, ID_LIST_FILTERS, ID_LIST_PARAMS

__all__ = ["parse_filters", "parse_params", "parse_plugin_options"]

_TEXT_PARAMS = frozenset({"media_type_override"})
_KNOWN_PARAMS = frozenset[str]().union(*PARAMS_BY_KIND.values())
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def _split(what: str, item: str) -> tuple[str, str | None]:
    """``"name=value"`` -> ``("name", "value")``; ``"name"`` -> ``("name", None)``."""
    name, sep, value = item.partition("=")
    name = name.strip()
    if not name:
        raise InvalidExportRequest(f"{what} {item!r} has no name; write NAME or NAME=VALUE")
    return name, value if sep else None


def _id_list(value: str) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]``: commas separate, blanks are dropped."""
    return [part.strip() for part in value.split(",") if part.strip()]


def _check_unique(what: str, name: str, seen: dict[str, Any]) -> None:
    if name in seen:
        raise InvalidExportRequest(f"{what} {name!r} is given twice; give it once")


def parse_params(items: Iterable[str]) -> dict[str, Any]:
    """Read ``--param`` values: ``NAME`` (on), ``NAME=true|false``, ``project_ids=a,b``,
    ``media_type_override=image``.

    :raises InvalidExportRequest: a value of the wrong shape, or a param given twice.
    """
    params: dict[str, Any] = {}
    for item in items:
        name, value = _split("--param", item)
        _check_unique("param", name, params)
        if value is None:
            if name in ID_LIST_PARAMS or name in _TEXT_PARAMS:
                raise InvalidExportRequest(f"param {name!r} needs a value: --param {name}=VALUE")
            params[name] = True
        elif name in ID_LIST_PARAMS:
            params[name] = _id_list(value)
        elif name in _TEXT_PARAMS or name not in _KNOWN_PARAMS:
            # an unknown name is passed on so the request names it and suggests the closest
            params[name] = value.strip()
        else:
            params[name] = _boolean(name, value)
    return params


def _boolean(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidExportRequest(
        f"param {name!r} is on or off: write --param {name} or --param {name}=true|false,"
        f" got {value!r}"
    )


def parse_filters(items: Iterable[str]) -> dict[str, Any]:
    """Read ``--filter KEY=VALUE`` values: ``workflow_status=InReview``, id lists
    ``batch_ids=a,b``, and date ranges ``last_activity_at=START,END`` with either end empty.

    :raises InvalidExportRequest: a missing value, a malformed range, or a key given twice.
    """
    filters: dict[str, Any] = {}
    for item in items:
        name, value = _split("--filter", item)
        _check_unique("filter", name, filters)
        if value is None:
            raise InvalidExportRequest(f"filter {name!r} needs a value: --filter {name}=VALUE")
        if name in DATE_FILTERS:
            filters[name] = _date_range(name, value)
        elif name in ID_LIST_FILTERS:
            filters[name] = _id_list(value)
        else:  # workflow_status, or an unknown key that the request will name
            filters[name] = value.strip()
    return filters


def _date_range(name: str, value: str) -> list[str | None]:
    """``"START,END"`` -> ``[START, END]``, an empty side being None (an open end)."""
    parts = value.split(",")
    if len(parts) != 2:
        raise InvalidExportRequest(
            f"filter {name!r} takes START,END where either side may be empty for an open end"
            f" ({name}=2024-01-01, or {name}=,2024-06-30), got {value!r};"
            f" dates take one of: {DATE_FORMATS}"
        )
    return [part.strip() or None for part in parts]


def parse_plugin_options(items: Iterable[str]) -> dict[str, Any]:
    """Read ``--plugin-option KEY=VALUE`` values into ``plugin_options``: a dotted key nests
    (``media.fetch=missing`` -> ``{"media": {"fetch": "missing"}}``); VALUE is JSON when it
    parses as JSON, else a string.

    :raises InvalidExportRequest: an item without ``=`` or a name, or a key both a value and a
        group (``media=1`` and ``media.fetch=off``).
    """
    options: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        parts = [part.strip() for part in key.split(".")]
        if not sep or not all(parts):
            raise InvalidExportRequest(
                f"--plugin-option {item!r} must look like KEY=VALUE or PLUGIN.KEY=VALUE"
            )
        try:
            value: Any = orjson.loads(text)
        except orjson.JSONDecodeError:
            value = text
        target = options
        for depth, part in enumerate(parts[:-1]):
            found = target.setdefault(part, {})
            if not isinstance(found, dict):
                where = ".".join(parts[: depth + 1])
                raise InvalidExportRequest(
                    f"--plugin-option {item!r}: {where!r} was given a value, so it cannot also"
                    " hold options"
                )
            target = found
        if isinstance(target.get(parts[-1]), dict) and not isinstance(value, dict):
            raise InvalidExportRequest(
                f"--plugin-option {item!r}: {key.strip()!r} already holds options"
            )
        target[parts[-1]] = value
    return options
