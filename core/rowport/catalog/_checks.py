"""What plugins found checking labels, remembered so an unchanged label is not checked again.

An entry is a JSON object mapping each plugin's name to a digest of the plugin's version and
what the label was checked against (an ontology's version, an image's size...) and the
plugin's findings (``[]``: none), shared by every plugin that checks the label. A project
label's entry is kept by the label's ``rid`` (``label_rid_checks``): an export reads it in the
same query as the label, and triggers drop it whenever the label is inserted, deleted or its
annotations change, so a stale entry is never read. It is written only while the label still
holds the annotations that were checked (a label changed during the export is not
remembered). Any other label (a model run's, or one a test builds) is kept by a digest of its
annotations (``label_checks``): a changed label is another key. Either way a changed
``against`` or plugin version no longer matches the plugin's part; :meth:`CheckStore.forget`
drops entries.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence

import orjson

from rowport.catalog._base import Actor, select_in
from rowport.catalog._db import Connection, Database

__all__ = ["CheckStore"]

#: the tables of entries, by the column that keys them
_TABLES = (("label_checks", "key"), ("label_rid_checks", "label_rid"))


class CheckStore:
    """Remembered label checks (the ``label_checks`` and ``label_rid_checks`` tables)."""

    def __init__(self, db: Database, actor: Actor) -> None:
        self.db = db
        self.actor = actor

    def recall(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        """The stored entries (JSON bytes) of those content ``keys`` that have any (a
        project label's entry comes with the label: ``read_labels(..., checks=True)``)."""
        return dict(
            select_in(self.db.conn, "SELECT key, found FROM label_checks WHERE key IN ({})", keys)
        )

    def remember(
        self,
        entries: Mapping[bytes, bytes],
        labels: Iterable[tuple[int, str, bytes]] = (),
    ) -> None:
        """Store entries (JSON bytes: every plugin's part), replacing what was there: by
        content key (``entries``), and by label rid (``labels``: ``(rid, the annotations that
        were checked, entry)``, stored only while the label still holds those annotations)."""
        ts = time.time()  # checked_ts is REAL: seconds since the epoch
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO label_checks (key, found, checked_ts) VALUES (?, ?, ?)",
                [(key, value, ts) for key, value in entries.items()],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO label_rid_checks (label_rid, found, checked_ts)"
                " SELECT ?, ?, ? FROM labels WHERE rid = ? AND annotations = ?",
                [(rid, value, ts, rid, text) for rid, text, value in labels],
            )

    def forget(self, plugin: str | None = None) -> int:
        """Drop the remembered checks of ``plugin`` (of every plugin: None); how many labels'
        checks were dropped."""
        with self.db.transaction() as conn:
            return sum(_forget(conn, table, key, plugin) for table, key in _TABLES)


def _forget(conn: Connection, table: str, key: str, plugin: str | None) -> int:
    """Drop ``plugin``'s part of every entry of ``table`` (every entry: None)."""
    if plugin is None:
        return conn.execute(f"DELETE FROM {table}").rowcount
    kept: list[tuple[bytes, bytes | int]] = []
    emptied: list[tuple[bytes | int]] = []
    for name, found in conn.execute(f"SELECT {key}, found FROM {table}").fetchall():
        entry = orjson.loads(found)
        if plugin in entry:
            del entry[plugin]
            if entry:
                kept.append((orjson.dumps(entry), name))
            else:
                emptied.append((name,))
    conn.executemany(f"UPDATE {table} SET found = ? WHERE {key} = ?", kept)
    conn.executemany(f"DELETE FROM {table} WHERE {key} = ?", emptied)
    return len(kept) + len(emptied)
