"""Reading the options the export gives each plugin (``plugin_options[NAME]``) and the shared
``media`` options: when this export reads media (``fetch``), tolerances and counts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rowport.plugins import ExportContext
from rowport_plugins._media._values import is_int, is_number

__all__ = [
    "FETCH_MODES",
    "SOURCES",
    "count_option",
    "fetch_enabled",
    "fetch_mode",
    "fills_attributes",
    "plugin_options",
    "reads",
    "source_option",
    "tolerance",
]

FETCH_MODES = ("off", "missing", "always")
SOURCES = ("auto", "inline", "fetch")


def plugin_options(context: ExportContext, name: str) -> Mapping[str, Any]:
    """The options the export gives plugin ``name`` (``plugin_options[name]``), or ``{}``."""
    value = context.options.get(name)
    return value if isinstance(value, Mapping) else {}


def fetch_mode(context: ExportContext) -> str:
    """When this export reads media: ``"off"`` (default), ``"missing"`` or ``"always"``
    (``plugin_options["media"]["fetch"]``; ``True`` reads as ``"missing"``, ``False`` as
    ``"off"``; anything else was refused before the task started)."""
    value = plugin_options(context, "media").get("fetch", "off")
    if value is True:
        return "missing"
    return value if value in FETCH_MODES else "off"


def fills_attributes(context: ExportContext) -> bool:
    """False only for ``media.fetch = False``: no attributes are added, not even those a
    plugin derives from ``row_data`` without reading anything."""
    return plugin_options(context, "media").get("fetch") is not False


def reads(
    context: ExportContext, stored: Mapping[str, Any] | None, required: Iterable[str]
) -> bool:
    """Whether this export reads a row's media, given its stored attributes and the keys the
    plugin needs: always with ``"always"``, when one is absent with ``"missing"``, never with
    ``"off"``."""
    mode = fetch_mode(context)
    if mode == "always":
        return True
    if mode == "off":
        return False
    have = stored or {}
    return not all(key in have for key in required)


def fetch_enabled(context: ExportContext) -> bool:
    """Whether this export may read media at all (``media.fetch`` is not ``"off"``)."""
    return fetch_mode(context) != "off"


def tolerance(options: Mapping[str, Any], default: float) -> float:
    """``options["tolerance"]``: a number >= 0, else ``default``."""
    value = options.get("tolerance", default)
    return float(value) if is_number(value) and value >= 0 else default


def count_option(options: Mapping[str, Any], key: str, default: int) -> int:
    """``options[key]``: an int >= 0, else ``default``."""
    value: Any = options.get(key)
    return int(value) if is_int(value) and value >= 0 else default


def source_option(context: ExportContext, name: str) -> str:
    """``plugin_options[name]["source"]``: ``auto`` (default), ``inline`` or ``fetch``."""
    value = plugin_options(context, name).get("source", "auto")
    return value if value in SOURCES else "auto"
