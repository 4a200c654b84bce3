"""What the catalog's stores share: the acting user, activity bumps, and small helpers."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs
import orjson

from rowport._ids import new_id
from rowport._time import format_ts, now_ts, parse_ts
from rowport.catalog._db import Connection, Database
from rowport.errors import InvalidInput

__all__ = ["Activity", "Actor", "chunked", "dumps", "loads", "select_in", "stamp"]

_SQL_VARS = 500  # stay well below SQLite's host-parameter limit


def dumps(value: Any) -> str:
    """Encode a value as compact JSON text for a TEXT column."""
    return orjson.dumps(value).decode()


def loads(text: str | bytes | None) -> Any:
    """Decode a JSON column (None stays None)."""
    return None if text is None else orjson.loads(text)


def chunked(items: Sequence[Any], size: int = _SQL_VARS) -> Iterable[Sequence[Any]]:
    """Slices of ``items`` small enough for one ``IN (...)`` query."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def placeholders(n: int) -> str:
    """``?,?,?`` for ``n`` parameters."""
    return ",".join("?" * n)


def select_in(
    conn: Connection, sql: str, keys: Sequence[Any], *args: Any
) -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql`` over every key in ``keys``, in slices that fit one ``IN (...)``:
    ``sql`` holds one ``{}`` where the placeholders go, after the parameters ``args``."""
    for part in chunked(list(keys)):
        yield from conn.execute(sql.format(placeholders(len(part))), (*args, *part))


@attrs.frozen
class Actor:
    """Who acts on the catalog: the organization every entity belongs to and the user recorded
    as ``created_by``. :meth:`ensure` creates both on a new database."""

    organization_id: str
    user_email: str

    @classmethod
    def ensure(
        cls, db: Database, email: str = "admin@rowport.local", *, organization_name: str = "rowport"
    ) -> Actor:
        """The database's organization (created, named ``organization_name``, when there is
        none) and the user ``email``."""
        # reads first: opening a catalog that has both must not take the write lock
        conn = db.conn
        row = conn.execute("SELECT id FROM organizations ORDER BY id LIMIT 1").fetchone()
        if (
            row is not None
            and conn.execute(
                "SELECT 1 FROM users WHERE organization_id = ? AND email = ?", (row[0], email)
            ).fetchone()
        ):
            return cls(str(row[0]), email)
        with db.transaction() as conn:
            row = conn.execute("SELECT id FROM organizations ORDER BY id LIMIT 1").fetchone()
            if row is None:
                org = new_id()
                conn.execute(
                    "INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)",
                    (org, organization_name, now_ts()),
                )
            else:
                org = row[0]
            conn.execute(
                "INSERT OR IGNORE INTO users (id, organization_id, email, created_at)"
                " VALUES (?, ?, ?, ?)",
                (new_id(), org, email, now_ts()),
            )
        return cls(str(org), email)


def stamp() -> tuple[str, float]:
    """Now as an export timestamp and as seconds since the epoch (the same instant)."""
    now = time.time()
    return format_ts_epoch(now), now


class Activity:
    """Bumps ``last_activity_at`` of data rows after an event the reference counts as activity
    (a batch, a workflow move, a label, a review, metadata...): the stores that record such
    events are handed this, so the rule lives once."""

    def touch(self, conn: Connection, data_row_ids: Iterable[str], at: str | None = None) -> None:
        """Bump the rows to ``at`` (default: now) inside the caller's transaction ``conn``;
        a row whose activity is already later keeps it."""
        ts_text, ts = (at, parse_ts(at).timestamp()) if at else stamp()
        ids = list(dict.fromkeys(data_row_ids))
        for part in chunked(ids):
            conn.execute(
                f"UPDATE data_rows SET last_activity_at = ?, last_activity_ts = ?"
                f" WHERE id IN ({placeholders(len(part))}) AND last_activity_ts <= ?",
                (ts_text, ts, *part, ts),
            )


def format_ts_epoch(epoch: float) -> str:
    """Format seconds since the epoch as an export timestamp."""
    from datetime import datetime, timezone

    return format_ts(datetime.fromtimestamp(epoch, tz=timezone.utc))


def require_str(value: Any, field: str, *, allow_empty: bool = False) -> str:
    """``value`` when it is a (non-empty) string, else an :class:`InvalidInput` naming ``field``."""
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise InvalidInput(f"{field} must be a non-empty string, got {value!r}")
    return value


def optional_str(value: Any, field: str) -> str | None:
    """None, or a non-empty string; anything else is an :class:`InvalidInput`."""
    if value is None:
        return None
    return require_str(value, field)
