"""What a resume needs of a SQLite plan: its state (to tell whether its rows changed), the same
plan made again and continued after a key, and a plan narrowed to some of its rows.

The change check is one aggregate over the plan's rows, read through the index the plan pages
by: the rows' count, the sum of their keys (a deleted row, or one that joined the plan, changes
it), their latest ``updated_at`` and the sum of their last-activity stamps (every edit of a row,
its labels, reviews, metadata or workflow bumps one of these). It costs a fraction of the
export: no JSON, no sections.
"""

from __future__ import annotations

import hashlib
import sqlite3
from array import array
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from rowport.catalog._base import placeholders
from rowport.catalog._db import Connection, Database
from rowport.catalog._protocols import PlanState

if TYPE_CHECKING:
    from rowport.catalog._export_reads import ExportPlan

__all__ = ["SnapshotPlanState", "plan_state", "restrict_plan", "resume_plan"]

_AGGREGATE = (
    "SELECT COUNT(*), COALESCE(SUM(d.rid), 0), COALESCE(MAX(d.updated_at), ''),"
    " COALESCE(SUM(CAST(d.last_activity_ts * 1000 AS INTEGER)), 0)"
)
_SLICE = 500  # keys per IN (...) of a listed plan's aggregate


def plan_state(conn: Connection, plan: ExportPlan) -> PlanState:
    """The plan's bound, how many rows it covers after ``start_after`` and their digest."""
    col = plan.order_column
    if plan.keys is not None:
        keys = [key for key in plan.keys if plan.start_after < key <= plan.max_rid]
        count = total = activity = 0
        latest = ""
        for start in range(0, len(keys), _SLICE):
            page = keys[start : start + _SLICE]
            scope, args = plan.key_scope
            where = f"{scope} AND {col} IN ({placeholders(len(page))})"
            sql = f"{_AGGREGATE} FROM {plan.from_sql} WHERE {where}"
            n, s, u, a = conn.execute(sql, [*args, *page]).fetchone()
            count, total, activity = count + n, total + s, activity + a
            latest = max(latest, u)
        row: tuple[Any, ...] = (count, total, latest, activity)
    else:
        sql = (
            f"{_AGGREGATE} FROM {plan.from_sql} WHERE {' AND '.join(plan.where) or '1'}"
            f" AND {col} > ? AND {col} <= ?"
        )
        row = conn.execute(sql, (*plan.params, plan.start_after, plan.max_rid)).fetchone()
    digest = hashlib.sha256("|".join(map(str, row)).encode()).hexdigest()[:32]
    return PlanState(bound=plan.max_rid, rows=int(row[0]), digest=digest)


class SnapshotPlanState:
    """:func:`plan_state` of the catalog as it was when this was made (the
    :class:`~rowport.catalog.DeferredPlanState` of the catalog source): a read snapshot is
    taken at once, on a connection of its own (SQLite: a WAL read transaction; PostgreSQL: a
    ``REPEATABLE READ`` one), and the aggregate runs in it when called."""

    def __init__(self, db: Database, plan: ExportPlan) -> None:
        self._db = db
        self._plan = plan
        self._conn = db.snapshot()

    def __call__(self, stop: Callable[[], bool]) -> PlanState | None:
        """The state; None when ``stop()`` is true first, or :meth:`cancel` interrupted it."""
        try:
            if stop():
                return None
            return plan_state(self._conn, self._plan)
        except sqlite3.OperationalError:
            if stop():
                return None  # interrupted: the export ended
            raise
        finally:
            self._db.release(self._conn)

    def cancel(self) -> None:
        """Interrupt the aggregate if it runs (``Connection.interrupt`` is thread-safe)."""
        try:
            self._conn.interrupt()
        except sqlite3.ProgrammingError:
            pass  # already released


def resume_plan(plan: ExportPlan, state: PlanState, after: int | None) -> ExportPlan:
    """``plan`` bounded by ``state.bound`` (rows added since are left out), counting
    ``state.rows``, its pages starting after key ``after``."""
    start = 0 if after is None else after
    keys = plan.keys
    if keys is not None:
        keys = array("q", (key for key in keys if key <= state.bound))
    narrowed = attrs.evolve(plan, max_rid=state.bound, total=state.rows, keys=keys)
    if keys is not None and start:
        return attrs.evolve(narrowed, keys=array("q", (key for key in keys if key > start)))
    return attrs.evolve(narrowed, start_after=start)


def restrict_plan(plan: ExportPlan, keys: Sequence[int]) -> ExportPlan:
    """``plan`` narrowed to ``keys`` (its pages seek them in order)."""
    ordered = array("q", sorted(set(keys)))
    return attrs.evolve(
        plan, keys=ordered, total=len(ordered), max_rid=ordered[-1] if ordered else 0
    )
