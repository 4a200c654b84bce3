"""What plugins found checking labels, remembered so an unchanged label is not checked again.

Each entry is keyed by a digest of the plugin's name and version, what the label was checked
against (an ontology's version, an image's size...) and the label's content; the value is the
plugin's findings as JSON (``[]``: none). A changed label, ontology or plugin version makes a
new key, so a stale entry is never read; :meth:`CheckStore.forget` drops entries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rowport._time import now_ts
from rowport.catalog._base import Actor, select_in
from rowport.catalog._db import Database

__all__ = ["CheckStore"]


class CheckStore:
    """Remembered label checks (the ``label_checks`` table)."""

    def __init__(self, db: Database, actor: Actor) -> None:
        self.db = db
        self.actor = actor

    def recall(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        """The stored findings of those ``keys`` that have any entry."""
        return dict(
            select_in(self.db.conn, "SELECT key, found FROM label_checks WHERE key IN ({})", keys)
        )

    def remember(self, plugin: str, version: str, found: Mapping[bytes, bytes]) -> None:
        """Store findings (JSON bytes) by key for ``plugin`` at ``version``."""
        ts = now_ts()
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO label_checks (key, plugin, plugin_version, found,"
                " checked_ts) VALUES (?, ?, ?, ?, ?)",
                [(key, plugin, version, value, ts) for key, value in found.items()],
            )

    def forget(self, plugin: str | None = None) -> int:
        """Drop the remembered checks of ``plugin`` (of every plugin: None); how many."""
        with self.db.transaction() as conn:
            if plugin is None:
                return conn.execute("DELETE FROM label_checks").rowcount
            return conn.execute("DELETE FROM label_checks WHERE plugin = ?", (plugin,)).rowcount
