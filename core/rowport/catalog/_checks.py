"""What plugins found checking labels, remembered so an unchanged label is not checked again.

One entry per label content, keyed by a digest of the label's annotations, shared by every
plugin that checks it: its value is a JSON object mapping each plugin's name to a digest of
the plugin's version and what the label was checked against (an ontology's version, an image's
size...) and the plugin's findings (``[]``: none). A changed label is another key; a changed
``against`` or plugin version no longer matches the plugin's part, so a stale finding is never
read; :meth:`CheckStore.forget` drops entries.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import orjson

from rowport.catalog._base import Actor, select_in
from rowport.catalog._db import Database

__all__ = ["CheckStore"]


class CheckStore:
    """Remembered label checks (the ``label_checks`` table)."""

    def __init__(self, db: Database, actor: Actor) -> None:
        self.db = db
        self.actor = actor

    def recall(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        """The stored entries (JSON bytes) of those ``keys`` that have any."""
        return dict(
            select_in(self.db.conn, "SELECT key, found FROM label_checks WHERE key IN ({})", keys)
        )

    def remember(self, entries: Mapping[bytes, bytes]) -> None:
        """Store entries (JSON bytes: every plugin's part) by key, replacing what was there."""
        ts = time.time()  # checked_ts is REAL: seconds since the epoch
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO label_checks (key, found, checked_ts) VALUES (?, ?, ?)",
                [(key, value, ts) for key, value in entries.items()],
            )

    def forget(self, plugin: str | None = None) -> int:
        """Drop the remembered checks of ``plugin`` (of every plugin: None); how many labels'
        checks were dropped."""
        with self.db.transaction() as conn:
            if plugin is None:
                return conn.execute("DELETE FROM label_checks").rowcount
            kept: list[tuple[bytes, bytes]] = []
            emptied: list[tuple[bytes]] = []
            for key, found in conn.execute("SELECT key, found FROM label_checks").fetchall():
                entry = orjson.loads(found)
                if plugin in entry:
                    del entry[plugin]
                    if entry:
                        kept.append((orjson.dumps(entry), key))
                    else:
                        emptied.append((key,))
            conn.executemany("UPDATE label_checks SET found = ? WHERE key = ?", kept)
            conn.executemany("DELETE FROM label_checks WHERE key = ?", emptied)
            return len(kept) + len(emptied)
