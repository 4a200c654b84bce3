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
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from rowport.catalog._base import placeholders
from rowport.catalog._db import Connection, Database
from rowport.catalog._protocols import PlanState

if TYPE_CHECKING:
    from rowport.catalog._export_reads import ExportPlan

__all__ = [
    "ACTIVITY_MS",
    "KnownPlanState",
    "SnapshotPlanState",
    "listed_state",
    "plan_state",
    "restrict_plan",
    "resume_plan",
    "state_of",
    "state_reads",
]

#: a data row's last-activity stamp in ms, as the state sums it
ACTIVITY_MS = "CAST(d.last_activity_ts * 1000 AS INTEGER)"
_AGGREGATE = (
    "SELECT COUNT(*), COALESCE(SUM(d.rid), 0), COALESCE(MAX(d.updated_at), ''),"
    f" COALESCE(SUM({ACTIVITY_MS}), 0)"
)
_SLICE = 500  # keys per IN (...) of a listed plan's aggregate
# The aggregate of keys listed from the scope (every plan key is a data row's rid), read in
# the rows' state index: what it reads of a row, many rows a page (a table page holds a few
# dozen rows, so keys spread over the catalog read a page each there)
_LISTED = f"{_AGGREGATE} FROM data_rows d INDEXED BY data_rows_state WHERE d.rid IN ({{}})"


def state_reads(plan: ExportPlan) -> Iterator[tuple[str, list[Any]]]:
    """The aggregates (SQL and parameters) whose sum is the state of ``plan``'s rows after
    ``start_after``: one per slice of listed keys, else one over the plan's key range."""
    col = plan.order_column
    if plan.keys is None:
        where = f"{' AND '.join(plan.where) or '1'} AND {plan.key_range(plan.from_sql)}"
        bounds = plan.range_args(plan.from_sql, plan.start_after, plan.max_rid)
        yield f"{_AGGREGATE} FROM {plan.from_sql} WHERE {where}", [*plan.params, *bounds]
        return
    keys = [key for key in plan.keys if plan.start_after < key <= plan.max_rid]
    scope, args = plan.key_scope
    for start in range(0, len(keys), _SLICE):
        page = keys[start : start + _SLICE]
        marks = placeholders(len(page))
        if plan.keys_in_scope:
            # listed from the scope when the plan was made: the scope is not read again (a
            # row that left it since is not in the plan made again for a resume, whose
            # state then differs)
            yield _LISTED.format(marks), page
        else:
            sql = f"{_AGGREGATE} FROM {plan.from_sql} WHERE {scope} AND {col} IN ({marks})"
            yield sql, [*args, *page]


def plan_state(conn: Connection, plan: ExportPlan) -> PlanState:
    """The plan's bound, how many rows it covers after ``start_after`` and their digest (as
    the pass that listed its keys read it, when it did: see :func:`listed_state`)."""
    known = listed_state(plan)
    if known is not None:
        return known
    count = total = activity = 0
    latest = ""
    for sql, params in state_reads(plan):
        n, s, u, a = conn.execute(sql, params).fetchone()
        count, total, activity = count + n, total + s, activity + a
        latest = max(latest, u)
    return state_of(plan.max_rid, count, total, latest, activity)


def state_of(bound: int, count: int, total: int, latest: str, activity: int) -> PlanState:
    """The state of rows up to key ``bound``: ``count`` of them, whose keys sum to ``total``,
    latest ``updated_at`` is ``latest`` ('' for none) and last-activity stamps (in ms, as
    :data:`ACTIVITY_MS` reads them) sum to ``activity``."""
    row = (count, total, latest, activity)
    digest = hashlib.sha256("|".join(map(str, row)).encode()).hexdigest()[:32]
    return PlanState(bound=bound, rows=int(count), digest=digest)


def listed_state(plan: ExportPlan) -> PlanState | None:
    """The state of ``plan`` read by the pass that listed its keys, while the plan still
    covers those keys from the first (None otherwise: a resumed, narrowed or sharded plan
    holds keys of its own, whose state is read)."""
    known = plan.listed_state
    if known is None or known[0] is not plan.keys or plan.start_after:
        return None
    return known[1]


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


@attrs.frozen
class KnownPlanState:
    """The deferred state of a plan whose state is known already (see :func:`listed_state`):
    nothing is read."""

    state: PlanState

    def __call__(self, stop: Callable[[], bool]) -> PlanState | None:
        return None if stop() else self.state

    def cancel(self) -> None:
        """Nothing runs: nothing to interrupt."""


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
    last = ordered[-1] if ordered else 0
    return attrs.evolve(plan, keys=ordered, total=len(ordered), max_rid=last, keys_in_scope=False)
