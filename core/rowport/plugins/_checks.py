"""Checks of labels that are not repeated: a plugin's findings on a label, remembered in the
catalog by the label's content, what it was checked against and the plugin's name and version.

The first export of a label pays for the check; the next exports of the same, unchanged label
read what was found (possibly nothing) instead. A changed label (its annotations), a changed
``against`` (an ontology's version, an image's size and the plugin's options) or a new plugin
version makes a new key, so the check runs again. ``plugin_options["checks"]["cache"] = False``
turns remembering off for an export (every label is checked, nothing is stored).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from rowport.plugins._model import ExportContext

__all__ = ["flush_checks", "remembered"]

_dumps = orjson.dumps
_loads = orjson.loads
_NOTHING = b"[]"
_DIGESTS = "rowport.plugins.checks.digests"
_DIGESTS_KEPT = 1024  # labels whose content digest is kept (for the next plugin of a batch)
_PENDING = "rowport.plugins.checks.pending"
_PENDING_MAX = 4096  # findings kept in memory before they are written in one transaction


def _content_digest(context: ExportContext, label: Mapping[str, Any]) -> bytes:
    """A digest of a label's annotations (parsed or stored JSON alike), computed once per
    label for every plugin that remembers checks of it (before one of them parses it)."""
    memo: dict[int, tuple[Any, bytes]] = context.state.setdefault(_DIGESTS, {})
    found = memo.get(id(label))
    if found is not None and found[0] is label:
        return found[1]
    digest = hashlib.sha256(_dumps(label.get("annotations"))).digest()
    if len(memo) >= _DIGESTS_KEPT:
        memo.clear()
    memo[id(label)] = (label, digest)
    return digest


def _enabled(context: ExportContext) -> bool:
    options = context.options.get("checks")
    return not (isinstance(options, Mapping) and options.get("cache") is False)


def _pending(context: ExportContext) -> dict[tuple[str, str], dict[bytes, bytes]]:
    found: dict[tuple[str, str], dict[bytes, bytes]] = context.state.setdefault(_PENDING, {})
    return found


def flush_checks(context: ExportContext) -> None:
    """Write the findings :func:`remembered` keeps in memory (the plugin step does it at the
    end of an export, and :func:`remembered` every few thousand labels)."""
    pending = _pending(context)
    for (plugin, version), found in pending.items():
        if found:
            context.catalog.checks.remember(plugin, version, found)
    pending.clear()


def remembered(
    context: ExportContext,
    *,
    plugin: str,
    version: str,
    labels: Sequence[tuple[Mapping[str, Any], str]],
    check: Callable[[int], list[Any]],
) -> list[list[Any]]:
    """Each label's findings, from the catalog where remembered, else from ``check``.

    :param plugin: the plugin's name; with ``version`` (bump it whenever the checks change),
        part of every key.
    :param labels: ``(label, against)`` per label: the label as the row holds it (its
        ``annotations`` parsed, or still stored JSON when the plugin did not declare
        ``annotations``: they hash the same, and ``check`` may parse them with
        :func:`rowport.plugins.parsed` for the labels it does check), and a string for what it
        is checked against.
    :param check: ``check(i)`` checks ``labels[i]``: a JSON-serialisable list of findings
        (``[]``: none), which is what this returns for it on the next export.
    :return: the findings per label, in the order of ``labels``.
    """
    if not _enabled(context):
        return [check(i) for i in range(len(labels))]
    heads: dict[str, Any] = {}
    keys: list[bytes] = []
    for label, against in labels:
        head = heads.get(against)
        if head is None:
            head = heads[against] = hashlib.sha256(f"{plugin}\0{version}\0{against}\0".encode())
        digest = head.copy()
        digest.update(_content_digest(context, label))
        keys.append(digest.digest()[:16])
    pending = _pending(context)
    new = pending.setdefault((plugin, version), {})
    known = context.catalog.checks.recall([k for k in keys if k not in new]) if keys else {}
    out: list[list[Any]] = []
    for i, key in enumerate(keys):
        raw = known.get(key) or new.get(key)
        if raw is None:
            found = check(i)
            new[key] = _dumps(found) if found else _NOTHING  # a repeat in the batch: read back
        else:
            found = [] if raw == _NOTHING else _loads(raw)
        out.append(found)
    if sum(len(found) for found in pending.values()) >= _PENDING_MAX:
        flush_checks(context)
    return out
