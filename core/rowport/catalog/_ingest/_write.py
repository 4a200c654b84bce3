"""Running a batch's planned writes: in bulk, or row by row when the bulk write fails."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from rowport.catalog._db import Connection
from rowport.catalog._ingest._known import Write
from rowport.catalog._ingest._plan import RowPlan
from rowport.catalog._ingest._sql import ORDER, SHARED

__all__ = ["write_batch"]

_RANK = {sql: i for i, sql in enumerate(ORDER)}


def _bulk(conn: Connection, plans: Sequence[RowPlan], extra: Sequence[Write]) -> None:
    grouped: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for plan in plans:
        for sql, params in plan.writes:
            grouped[sql].append(params)
    for sql, params in extra:
        grouped[sql].append(params)
    for sql in ORDER:
        rows = grouped.get(sql)
        if rows:
            conn.executemany(sql, list(dict.fromkeys(rows)) if sql in SHARED else rows)


def _one_by_one(
    conn: Connection,
    plans: Sequence[RowPlan],
    extra: Sequence[Write],
    refused: list[tuple[int, str]],
) -> list[RowPlan]:
    written = []
    for plan in plans:
        conn.execute("SAVEPOINT ingest_row")
        try:
            for sql, params in sorted(plan.writes, key=lambda w: _RANK[w[0]]):
                conn.execute(sql, params)
        except (sqlite3.Error, OverflowError) as exc:
            conn.execute("ROLLBACK TO ingest_row")
            conn.execute("RELEASE ingest_row")
            refused.append((plan.line, f"could not be written: {exc}"))
            continue
        conn.execute("RELEASE ingest_row")
        written.append(plan)
    for sql, params in extra:  # features of the ontologies the written rows use
        try:
            conn.execute(sql, params)
        except sqlite3.Error:
            pass
    return written


def write_batch(
    conn: Connection,
    plans: Sequence[RowPlan],
    extra: Sequence[Write],
    refused: list[tuple[int, str]],
) -> tuple[list[RowPlan], bool]:
    """Write ``plans`` (inside the caller's transaction) with one ``executemany`` per statement.

    If the bulk write fails (a constraint the plan did not foresee), it is undone and the rows
    are written one by one, each in a savepoint, so only the rows at fault are refused (added
    to ``refused``). Returns the plans written and whether the bulk write held.
    """
    conn.execute("SAVEPOINT ingest_batch")
    try:
        _bulk(conn, plans, extra)
    except (sqlite3.Error, OverflowError):
        conn.execute("ROLLBACK TO ingest_batch")
        conn.execute("RELEASE ingest_batch")
        return _one_by_one(conn, plans, extra, refused), False
    conn.execute("RELEASE ingest_batch")
    return list(plans), True
