"""Checks of labels that are not repeated: what plugins found on a label, remembered in the
catalog by the label's content, with what each plugin checked it against and its version.

The first export of a label pays for the checks; the next exports of the same, unchanged label
read what was found (possibly nothing) instead. The catalog holds one entry per label content,
shared by every plugin that remembers checks of it: one read per batch and one written row per
new label, however many plugins check it. A changed label (its annotations) is another entry; a
changed ``against`` (an ontology's version, an image's size and the plugin's options) or a new
plugin version no longer matches the plugin's part of the entry, so the check runs again (and
replaces that part). ``plugin_options["checks"]["cache"] = False`` turns remembering off for an
export (every label is checked, nothing is stored).
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
_sha256 = hashlib.sha256
_DIGESTS = "rowport.plugins.checks.digests"
_DIGESTS_KEPT = 1024  # labels whose content digest is kept (for the next plugin of a batch)
_ENTRIES = "rowport.plugins.checks.entries"
_ENTRIES_KEPT = 8192  # entries kept in memory (read or new) before they are dropped
_PENDING = "rowport.plugins.checks.pending"
_PENDING_MAX = 4096  # new or changed entries kept in memory before one transaction writes them

#: a label's entry: plugin name -> [a digest of its version and ``against``, its findings]
_Entry = dict[str, list[Any]]


def _content_digests(
    context: ExportContext, labels: Sequence[tuple[Mapping[str, Any], str]]
) -> list[bytes]:
    """A digest of each label's annotations (parsed or stored JSON alike), computed once per
    label for every plugin that remembers checks of it (before one of them parses it)."""
    memo: dict[int, tuple[Any, bytes]] | None = context.state.get(_DIGESTS)
    if memo is None or len(memo) >= _DIGESTS_KEPT:
        memo = context.state[_DIGESTS] = {}
    out: list[bytes] = []
    for label, _ in labels:
        found = memo.get(id(label))
        if found is not None and found[0] is label:
            out.append(found[1])
            continue
        digest = _sha256(_dumps(label.get("annotations"))).digest()[:16]
        memo[id(label)] = (label, digest)
        out.append(digest)
    return out


def _enabled(context: ExportContext) -> bool:
    options = context.options.get("checks")
    return not (isinstance(options, Mapping) and options.get("cache") is False)


def _state(context: ExportContext) -> tuple[dict[bytes, _Entry], set[bytes]]:
    """The entries this export read or made (by content digest), and the digests of those not
    written yet."""
    state = context.state
    entries: dict[bytes, _Entry] | None = state.get(_ENTRIES)
    if entries is None:
        entries = state[_ENTRIES] = {}
        state[_PENDING] = set()
    pending: set[bytes] = state[_PENDING]
    return entries, pending


def flush_checks(context: ExportContext) -> None:
    """Write the findings :func:`remembered` keeps in memory (the plugin step does it at the
    end of an export, and :func:`remembered` every few thousand labels)."""
    if _ENTRIES not in context.state:
        return
    entries, pending = _state(context)
    if pending:
        # in key order: the table's B-tree takes sorted keys a page at a time (about a third
        # cheaper than the random order of the digests)
        context.catalog.checks.remember({key: _dumps(entries[key]) for key in sorted(pending)})
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
        what its remembered findings are kept under.
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
    entries, pending = _state(context)
    if len(entries) >= _ENTRIES_KEPT:
        flush_checks(context)
        entries.clear()
    digests = _content_digests(context, labels)
    unread = [d for d in dict.fromkeys(digests) if d not in entries]
    if unread:
        known = context.catalog.checks.recall(unread)
        for digest in unread:
            raw = known.get(digest)
            entries[digest] = _loads(raw) if raw is not None else {}
    tags: dict[str, str] = {}
    out: list[list[Any]] = []
    for i, (_, against) in enumerate(labels):
        tag = tags.get(against)
        if tag is None:
            tag = tags[against] = _sha256(f"{version}\0{against}".encode()).hexdigest()[:24]
        digest = digests[i]
        entry = entries[digest]
        mine = entry.get(plugin)
        if mine is not None and mine[0] == tag:
            out.append(mine[1])
            continue
        found = check(i)
        _dumps(found)  # not JSON-serialisable: fails here, in the plugin that found it
        entry[plugin] = [tag, found]
        pending.add(digest)
        out.append(found)
    if len(pending) >= _PENDING_MAX:
        flush_checks(context)
    return out
