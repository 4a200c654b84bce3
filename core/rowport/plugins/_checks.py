"""Checks of labels that are not repeated: what plugins found on a label, remembered in the
catalog with what each plugin checked it against and its version.

The first export of a label pays for the checks; the next exports of the same, unchanged label
read what was found (possibly nothing) instead. The catalog holds one entry per label, shared
by every plugin that remembers checks of it: a project label's by its rid, read in the same
query as the label (the assembler hands it over in a :class:`~rowport.export.CatalogLabel`;
the catalog drops it when the label changes), any other label's by a digest of its
annotations (one read per batch). A label costs one written row when it is first checked,
however many plugins check it. A changed ``against`` (an ontology's version, an image's size
and the plugin's options) or a new plugin version no longer matches the plugin's part of the
entry, so the check runs again (and replaces that part).
``plugin_options["checks"]["cache"] = False`` turns remembering off for an export (every label
is checked, nothing is stored).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from rowport.export import CatalogLabel
from rowport.plugins._model import ExportContext

__all__ = ["flush_checks", "forget_batch", "remembered", "wait_for_checks"]

logger = logging.getLogger(__name__)

_dumps = orjson.dumps
_loads = orjson.loads
_sha256 = hashlib.sha256
_DIGESTS = "rowport.plugins.checks.digests"
_DIGESTS_KEPT = 1024  # labels whose content digest is kept (for the next plugin of a batch)
_ENTRIES = "rowport.plugins.checks.entries"  # the entries of the batch's labels
_PENDING = "rowport.plugins.checks.pending"
_PARSED = "rowport.plugins.checks.parsed"  # catalog labels' entries, parsed, by their bytes
_PARSED_KEPT = 256
_SHARED = "\0shared"  # in a parsed entry shared by labels (no plugin has this name)
_PENDING_MAX = 2048  # new or changed entries kept in memory before one transaction writes them
_WRITING = "rowport.plugins.checks.writing"  # the thread writing the last entries handed over

#: a label's entry: plugin name -> [a digest of its version and ``against``, its findings]
_Entry = dict[str, list[Any]]
#: an entry's key: a catalog label's rid, or a digest of another label's annotations
_Key = int | bytes


def _keys(context: ExportContext, labels: Sequence[tuple[Mapping[str, Any], str]]) -> list[_Key]:
    """Each label's key: a :class:`CatalogLabel`'s rid, else a digest of its annotations
    (parsed or stored JSON alike), computed once per label for every plugin that remembers
    checks of it (before one of them parses it)."""
    memo: dict[int, tuple[Any, bytes]] | None = context.state.get(_DIGESTS)
    if memo is None or len(memo) >= _DIGESTS_KEPT:
        memo = context.state[_DIGESTS] = {}
    out: list[_Key] = []
    for label, _ in labels:
        if type(label) is CatalogLabel:
            out.append(label.rid)
            continue
        found = memo.get(id(label))
        if found is not None and found[0] is label:
            out.append(found[1])
            continue
        digest = _sha256(_dumps(label.get("annotations"))).digest()[:16]
        memo[id(label)] = (label, digest)
        out.append(digest)
    return out


def _parsed_entry(context: ExportContext, raw: bytes) -> _Entry:
    """A catalog label's entry, parsed: once per export for every label stored with the same
    bytes (most labels of a project have the same entry: every plugin found nothing, against
    the same ontology version and image size). The parsed entry is shared, marked
    :data:`_SHARED`: :func:`remembered` copies it before it changes it."""
    memo: dict[bytes, _Entry] | None = context.state.get(_PARSED)
    if memo is None or len(memo) >= _PARSED_KEPT:
        memo = context.state[_PARSED] = {}
    entry = memo.get(raw)
    if entry is None:
        entry = memo[raw] = _loads(raw)
        entry[_SHARED] = True
    return entry


def _enabled(context: ExportContext) -> bool:
    options = context.options.get("checks")
    return not (isinstance(options, Mapping) and options.get("cache") is False)


def _state(
    context: ExportContext,
) -> tuple[dict[_Key, _Entry], dict[_Key, tuple[_Entry, str | None]]]:
    """The entries of the batch's labels (by key), and those not written yet, each with the
    annotations a catalog label was checked with (None for a digest's entry)."""
    state = context.state
    entries: dict[_Key, _Entry] | None = state.get(_ENTRIES)
    if entries is None:
        entries = state[_ENTRIES] = {}
    pending: dict[_Key, tuple[_Entry, str | None]] | None = state.get(_PENDING)
    if pending is None:
        pending = state[_PENDING] = {}
    return entries, pending


def forget_batch(context: ExportContext) -> None:
    """Drop the entries read for a batch (the plugin step does it once a batch is done; what
    is not written yet stays until :func:`flush_checks`)."""
    context.state.pop(_ENTRIES, None)
    context.state.pop(_DIGESTS, None)


def flush_checks(context: ExportContext) -> None:
    """Hand the findings :func:`remembered` keeps in memory to a thread that writes them (the
    plugin step does it at the end of an export, then waits for it with
    :func:`wait_for_checks`; :func:`remembered` every few thousand labels). The writes are
    the catalog's own work, so they run beside the export's (on another core): one at a
    time, in order. A write that fails loses only what it remembers (those labels are checked
    again next time), with a warning: never a row."""
    pending: dict[_Key, tuple[_Entry, str | None]] | None = context.state.get(_PENDING)
    if not pending:
        return
    # in key order: the tables' B-trees take sorted keys a page at a time (about a third
    # cheaper than random order)
    by_content = {
        key: _dumps(entry)
        for key, (entry, _) in sorted((k, v) for k, v in pending.items() if type(k) is bytes)
    }
    by_rid = [
        (key, text, _dumps(entry))
        for key, (entry, text) in sorted((k, v) for k, v in pending.items() if type(k) is int)
        if text is not None
    ]
    pending.clear()
    wait_for_checks(context)
    catalog = context.catalog

    def write() -> None:
        try:
            catalog.checks.remember(by_content, by_rid)
        except Exception as exc:
            logger.warning(
                "export %s: the checks of %d labels could not be remembered (they are checked"
                " again next time): %s",
                context.task_id,
                len(by_content) + len(by_rid),
                exc,
            )
        finally:
            catalog.db.close_thread()

    thread = threading.Thread(target=write, name=f"rowport-checks-{context.task_id}")
    context.state[_WRITING] = thread
    thread.start()


def wait_for_checks(context: ExportContext) -> None:
    """Wait until the findings handed over by :func:`flush_checks` are written (the plugin
    step does it when the export ends, however it ends)."""
    thread: threading.Thread | None = context.state.pop(_WRITING, None)
    if thread is not None:
        thread.join()


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
        ``annotations``: they hash the same, and ``check`` may read them with
        :func:`rowport.plugins.peek` for the labels it does check), and a string for what it
        is checked against.
    :param check: ``check(i)`` checks ``labels[i]``: a JSON-serialisable list of findings
        (``[]``: none), which is what this returns for it on the next export.
    :return: the findings per label, in the order of ``labels``.
    """
    if not _enabled(context):
        return [check(i) for i in range(len(labels))]
    entries, pending = _state(context)
    keys = _keys(context, labels)
    unread = [
        k for k in dict.fromkeys(keys) if type(k) is bytes and k not in entries and k not in pending
    ]
    if unread:
        known = context.catalog.checks.recall(unread)
        for digest in unread:
            raw = known.get(digest)
            entries[digest] = _loads(raw) if raw is not None else {}
    tags: dict[str, str] = {}
    out: list[list[Any]] = []
    for i, (label, against) in enumerate(labels):
        tag = tags.get(against)
        if tag is None:
            tag = tags[against] = _sha256(f"{version}\0{against}".encode()).hexdigest()[:24]
        key = keys[i]
        entry = entries.get(key)
        if entry is None:
            waiting = pending.get(key)
            if waiting is not None:  # checked earlier in this export, not written yet
                entry = waiting[0]
            else:  # a catalog label: its entry was read with it
                raw = label.checks  # type: ignore[attr-defined]
                entry = _parsed_entry(context, raw) if raw is not None else {}
            entries[key] = entry
        mine = entry.get(plugin)
        if mine is not None and mine[0] == tag:
            out.append(mine[1])
            continue
        found = check(i)
        _dumps(found)  # not JSON-serialisable: fails here, in the plugin that found it
        if entry.get(_SHARED):  # parsed once for every label stored with the same entry
            entry = {k: v for k, v in entry.items() if k != _SHARED}
            entries[key] = entry
        entry[plugin] = [tag, found]
        pending[key] = (entry, label.text if type(label) is CatalogLabel else None)
        out.append(found)
    if len(pending) >= _PENDING_MAX:
        flush_checks(context)
    return out
