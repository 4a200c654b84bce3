"""Built-in plugin for the options every media-type plugin shares (``plugin_options["media"]``):
refuses bad values before an export or a media probe starts.

``fetch``: when an export reads media, ``"off"`` (default), ``"missing"`` or ``"always"``
(``False`` is the older spelling of "read nothing, add no attributes"); ``cache``: a bool;
``timeout``: seconds (> 0); ``max_bytes``: a positive integer. See ``docs/plugins.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from rowport import hookimpl

__all__ = ["FETCH_VALUES", "media_option_problems", "rowport_check_plugin_options"]

FETCH_VALUES = ("off", "missing", "always")


def _positive_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def media_option_problems(options: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``options["media"]`` (and dotted ``"media.KEY"`` names), as messages."""
    problems = [
        f"plugin option {key!r} is a dotted name: write plugin_options={{'media': {{"
        f"{key.partition('.')[2]!r}: ...}}}} (the command line's --plugin-option {key}=VALUE"
        " does this)"
        for key in options
        if isinstance(key, str) and key.startswith("media.")
    ]
    media = options.get("media")
    if media is None:
        return problems
    if not isinstance(media, Mapping):
        return [*problems, f"plugin option 'media' must be an object, got {media!r}"]
    fetch = media.get("fetch", "off")
    if fetch is not False and fetch not in FETCH_VALUES:
        problems.append(
            f"plugin option media.fetch must be one of {', '.join(repr(v) for v in FETCH_VALUES)},"
            f" got {fetch!r}"
        )
    if "cache" in media and not isinstance(media["cache"], bool):
        problems.append(f"plugin option media.cache must be true or false, got {media['cache']!r}")
    if "timeout" in media and not _positive_number(media["timeout"]):
        problems.append(
            f"plugin option media.timeout must be a number of seconds above 0,"
            f" got {media['timeout']!r}"
        )
    if "max_bytes" in media and not (
        isinstance(media["max_bytes"], int)
        and not isinstance(media["max_bytes"], bool)
        and media["max_bytes"] > 0
    ):
        problems.append(
            f"plugin option media.max_bytes must be a positive integer, got {media['max_bytes']!r}"
        )
    return problems


@hookimpl(trylast=True)
def rowport_check_plugin_options(options: Mapping[str, Any]) -> list[str]:
    """Check ``plugin_options["media"]``."""
    return media_option_problems(options)
