"""What a plugin puts into rows must be JSON: a value that is not (a set, bytes, an int past
64 bits, an object) becomes a ``PLUGIN_OUTPUT_INVALID`` problem of that row, naming the plugin
and the key, and is left out of the row, instead of failing the whole export when the row is
encoded."""

from __future__ import annotations

from typing import Any

import orjson

from rowport.plugins._model import Problem

__all__ = ["PLUGIN_OUTPUT_INVALID", "encode_rows", "unserialisable_values"]

PLUGIN_OUTPUT_INVALID = "PLUGIN_OUTPUT_INVALID"


def unserialisable_values(name: str, stage: str, rows: list[dict[str, Any]]) -> list[Problem]:
    """Check ``rows`` after plugin ``name`` changed them (one ``orjson`` call when they are
    all JSON, which is the normal case); remove each value that is not, and describe it."""
    try:
        orjson.dumps(rows)
        return []
    except TypeError:
        pass
    problems: list[Problem] = []
    for index, row in enumerate(rows):
        problems.extend(_removed(name, stage, index, row))
    return problems


def encode_rows(
    name: str, stage: str, rows: list[dict[str, Any]]
) -> tuple[list[bytes], list[Problem]]:
    """Each of ``rows`` encoded as its RESULT line (without its ``"_media_type"``, which is
    taken out of the row), after plugin ``name`` was the last to change them: the check of
    :func:`unserialisable_values` and the row's encoding in one ``orjson`` call per row, so
    the rows are not encoded twice. A value that is not JSON is removed and described, and
    its row encoded without it."""
    dumps = orjson.dumps
    encoded: list[bytes] = []
    problems: list[Problem] = []
    for index, row in enumerate(rows):
        row.pop("_media_type", None)
        try:
            encoded.append(dumps(row))
        except TypeError:
            problems.extend(_removed(name, stage, index, row))
            encoded.append(dumps(row))
    return encoded, problems


def _removed(name: str, stage: str, index: int, row: dict[str, Any]) -> list[Problem]:
    """Remove the values of ``row`` that JSON cannot hold; a problem for each."""
    problems = []
    for path, value, error in _remove_bad(row, ""):
        kind = type(value).__name__
        problems.append(
            Problem(
                index=index,
                code=PLUGIN_OUTPUT_INVALID,
                message=(
                    f"plugin {name!r} set {path} to a {kind} in {stage}, which JSON cannot"
                    f" hold ({error}); the value was left out of the row"
                ),
                details={"key": path, "type": kind},
            )
        )
    return problems


def _remove_bad(container: Any, prefix: str) -> list[tuple[str, Any, str]]:
    """Find and remove the values of a dict or list that JSON cannot hold, depth first;
    ``(path, value, orjson's reason)`` for each."""
    found: list[tuple[str, Any, str]] = []
    is_dict = isinstance(container, dict)
    items = list(container.items()) if is_dict else list(enumerate(container))
    bad_keys = []
    for key, value in items:
        if is_dict and not isinstance(key, str):
            found.append((f"{prefix}[{key!r}]".removeprefix("."), key, "keys must be strings"))
            bad_keys.append(key)
            continue
        path = f"{prefix}.{key}".removeprefix(".") if is_dict else f"{prefix}[{key}]"
        try:
            orjson.dumps(value)
            continue
        except TypeError as exc:
            reason = str(exc)
        if isinstance(value, (dict, list)):
            found.extend(_remove_bad(value, path))
        else:
            found.append((path, value, reason))
            bad_keys.append(key)
    for key in bad_keys:
        if is_dict:
            del container[key]
        else:
            container[key] = None  # keeps the positions of the other items
    return found
