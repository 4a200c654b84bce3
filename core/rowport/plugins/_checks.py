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

__all__ = ["remembered"]

_dumps = orjson.dumps
_loads = orjson.loads
_NOTHING = b"[]"
_DIGESTS = "rowport.plugins.checks.digests"
_DIGESTS_KEPT = 4096  # labels whose content digest is kept (for the next plugin of a batch)


def _content_digest(context: ExportContext, annotations: Any) -> bytes:
    """A digest of ``annotations`` (parsed or stored JSON alike), computed once per label
    object for every plugin that remembers checks of it."""
    memo: dict[int, tuple[Any, bytes]] = context.state.setdefault(_DIGESTS, {})
    found = memo.get(id(annotations))
    if found is not None and found[0] is annotations:
        return found[1]
    digest = hashlib.sha256(_dumps(annotations)).digest()
    if len(memo) >= _DIGESTS_KEPT:
        memo.clear()
    memo[id(annotations)] = (annotations, digest)
    return digest


def _enabled(context: ExportContext) -> bool:
    options = context.options.get("checks")
    return not (isinstance(options, Mapping) and options.get("cache") is False)


def remembered(
    context: ExportContext,
    *,
    plugin: str,
    version: str,
    labels: Sequence[tuple[Any, str]],
    check: Callable[[int], list[Any]],
) -> list[list[Any]]:
    """Each label's findings, from the catalog where remembered, else from ``check``.

    :param plugin: the plugin's name; with ``version`` (bump it whenever the checks change),
        part of every key.
    :param labels: ``(annotations, against)`` per label: the annotations as the row holds them
        (parsed, or still stored JSON when the plugin did not declare ``annotations``: they
        hash the same, and ``check`` may parse them with :func:`rowport.plugins.parsed` for
        the labels it does check), and a string for what they are checked against.
    :param check: ``check(i)`` checks ``labels[i]``: a JSON-serialisable list of findings
        (``[]``: none), which is what this returns for it on the next export.
    :return: the findings per label, in the order of ``labels``.
    """
    if not _enabled(context):
        return [check(i) for i in range(len(labels))]
    heads: dict[str, Any] = {}
    keys: list[bytes] = []
    for content, against in labels:
        head = heads.get(against)
        if head is None:
            head = heads[against] = hashlib.sha256(f"{plugin}\0{version}\0{against}\0".encode())
        digest = head.copy()
        digest.update(_content_digest(context, content))
        keys.append(digest.digest()[:16])
    store = context.catalog.checks
    known = store.recall(keys)
    out: list[list[Any]] = []
    new: dict[bytes, bytes] = {}
    for i, key in enumerate(keys):
        raw = known.get(key)
        if raw is None:
            found = check(i)
            new[key] = _dumps(found) if found else _NOTHING
            known[key] = new[key]  # the same content twice in a batch is checked once
        else:
            found = [] if raw == _NOTHING else _loads(raw)
        out.append(found)
    if new:
        store.remember(plugin, version, new)
    return out
