"""The reads an export makes: the ordered plan of data rows, then each section per batch.

Every section is one query per batch of rows (never a query per row); rows come back as plain
tuples in the column order of their declared layout (``rowport.request.QUEUE_ROW`` ...; the SQL
of each column is in ``_section_sql``), so the assembler (which knows the row format, not SQL)
reads them by name and builds dicts cheaply.
"""

from __future__ import annotations

import itertools
import re
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from rowport.catalog._base import Actor, placeholders, select_in
from rowport.catalog._datarows import RowStore
from rowport.catalog._db import Database
from rowport.catalog._models import ModelStore
from rowport.catalog._plan_state import (
    ACTIVITY_MS,
    KnownPlanState,
    SnapshotPlanState,
    listed_state,
    plan_state,
    restrict_plan,
    resume_plan,
    state_of,
    state_reads,
)
from rowport.catalog._projects import ProjectStore
from rowport.catalog._protocols import DeferredPlanState, PlanState, SectionRow
from rowport.catalog._section_sql import CHECKS_JOIN, CHECKS_SQL, REVIEWS_SQL, select_list
from rowport.catalog._stored_sections import SECTIONS
from rowport.request import (
    DATA_ROW_COLUMNS,
    HISTORY_ROW,
    KIND_SPECS,
    LABEL_ROW,
    PLAN_SECTIONS,
    QUEUE_COLUMNS,
    QUEUE_ROW,
    RUN_ANNOTATION_ROW,
    RUN_ROW,
    ExportRequest,
    PlanLayout,
    ProjectInfo,
    Scope,
    ScopeEntity,
)

__all__ = ["KEY_LIST_LIMIT", "PLAN_COLUMN_SQL", "ExportPlan", "SQLiteExportSource"]

#: the most keys a plan lists (8 bytes each; see ExportPlan.keys): a plan matching more rows
#: pages by key ranges instead, evaluating the filters again as it reads
KEY_LIST_LIMIT = 2_000_000

# The per-row lists, stored ready as JSON array text (NULL when empty; see _stored_sections):
# a batch concatenates them, and the assembler passes the text through (or parses it for
# plugins). A data row's lists are in its own record, a project's history in its queue entry.
_ALIASES = {"data_rows": "d", "project_data_rows": "p"}
SECTION_SQL: dict[str, str] = {
    section.name: f"COALESCE({_ALIASES[section.table]}.{section.column}, '[]')"
    for section in SECTIONS
    if section.name in PLAN_SECTIONS
}

# The SQL of each plan column (rowport.request.PlanLayout names them and their order); the
# queue columns read the scope project's ``project_data_rows p`` and its batch ``b``.
PLAN_COLUMN_SQL: dict[str, str] = {
    "rid": "d.rid",
    "id": "d.id",
    "global_key": "d.global_key",
    "external_id": "d.external_id",
    "row_data": "d.row_data",
    "media_type": "d.media_type",
    "media_attributes": "d.media_attributes",
    "dataset_id": "d.dataset_id",
    "created_at": "d.created_at",
    "updated_at": "d.updated_at",
    "last_activity_at": "d.last_activity_at",
    "created_by": "d.created_by",
    "attributes_valid": "json_valid(COALESCE(d.media_attributes, '{}'))",
    "batch_id": "p.batch_id",
    "batch_name": "b.name",
    "workflow_status": "p.workflow_status",
    "task_id": "p.task_id",
    "task_name": "p.task_name",
    "priority": "p.priority",
    "selected_label_id": "p.selected_label_id",
    "consensus_count": "p.consensus_expected_label_count",
    "ontology_id": "p.ontology_id",
    **SECTION_SQL,
}
if not set(PLAN_COLUMN_SQL) >= {*DATA_ROW_COLUMNS, *QUEUE_COLUMNS}:  # pragma: no cover
    raise ImportError("PLAN_COLUMN_SQL lacks a column of rowport.request.PlanLayout")

# The rows an entity scope covers: its FROM clause, the WHERE on the entity's id, and the
# indexed column of the scope table the plan pages by (so pages are seeks). A slice's WHERE
# comes from its saved filters.
_ENTITY_SCOPES: dict[ScopeEntity, tuple[str, str | None, str]] = {
    ScopeEntity.PROJECT: (
        "project_data_rows p JOIN data_rows d ON d.rid = p.data_row_rid",
        "p.project_id = ?",
        "p.data_row_rid",
    ),
    ScopeEntity.MODEL_RUN: (
        "model_run_data_rows m JOIN data_rows d ON d.rid = m.data_row_rid",
        "m.model_run_id = ?",
        "m.data_row_rid",
    ),
    ScopeEntity.DATASET: ("data_rows d", "d.dataset_id = ?", "d.rid"),
    ScopeEntity.SLICE: ("data_rows d", None, "d.rid"),
}
# The condition that, with ``order_column IN (keys)``, picks a page of a plan's listed keys
# (see ExportPlan.keys): the scope table's own scope (a catalog export's is its organization);
# a data rows export needs none (its keys are the organization's rows, and rid is unique).
_KEY_SCOPES: dict[ScopeEntity, str] = {
    ScopeEntity.PROJECT: "p.project_id = ?",
    ScopeEntity.MODEL_RUN: "m.model_run_id = ?",
    ScopeEntity.DATASET: "+d.dataset_id = ?",
}
# The scope condition under which the scope table's ordered index gives the last key by a seek.
_LAST_KEY_SCOPES: dict[ScopeEntity, str] = {
    ScopeEntity.PROJECT: "p.project_id = ?",
    ScopeEntity.MODEL_RUN: "m.model_run_id = ?",
    ScopeEntity.DATASET: "d.dataset_id = ?",
}
# Keys counted per read of a count: between two reads, a canceled or finished export stops it.
_COUNT_SPAN = 250_000
# A condition that reads a column of the data row ``d`` (not only of the scope table).
_DATA_ROW_COLUMN = re.compile(r"(?<![\w.])d\.")
# Checking that a scope entity exists without reading its record (a dataset's or a model run's
# record counts its rows: a cost in every task, which the plan does not need).
_EXISTS_SQL: dict[ScopeEntity, tuple[str, str]] = {
    ScopeEntity.DATASET: ("SELECT 1 FROM datasets WHERE id = ?", "dataset"),
    ScopeEntity.MODEL_RUN: ("SELECT 1 FROM model_runs WHERE id = ?", "model run"),
}


def _rows_alone(plan: ExportPlan, layout: PlanLayout) -> bool:
    """Whether a page of ``plan`` reads the data rows alone: its keys were listed from its
    scope when it was made (every key is a data row's rid) and ``layout`` reads nothing of
    the scope table (no queue columns or project sections)."""
    return (
        plan.keys is not None
        and plan.keys_in_scope
        and not layout.queue
        and not any(name in layout.sections for name in ("workflow_history", "labels"))
    )


def _listing(order: str, scan: str, where: str) -> str:
    """The read of a plan's listing pass: each row of the FROM ``scan`` (a scope table, or one
    joined to ``data_rows d``) that matches ``where``, in key order, with its key and what its
    state sums (``updated_at``, last activity), so that the pass gives the plan's state too.
    Where ``scan`` does not read the data rows, the rows' state index is joined, which holds
    both (hundreds of rows a page): a second pass over the same keys for the state, beside the
    export, cost as much again."""
    if scan != "data_rows d" and " JOIN data_rows d " not in f"{scan} ":
        scan = f"{scan} JOIN data_rows d INDEXED BY data_rows_state ON d.rid = {order}"
    return f"SELECT {order}, d.updated_at, {ACTIVITY_MS} FROM {scan} WHERE {where} ORDER BY {order}"


def _page_select(plan: ExportPlan, layout: PlanLayout) -> str:
    """The SELECT ... FROM of a page of ``plan`` in ``layout`` (the batch record only with the
    queue columns: without them a project's page reads its ordered index, not its entries;
    a page of keys listed from the scope reads the data rows alone when it can)."""
    select = ", ".join(PLAN_COLUMN_SQL[name] for name in layout.columns)
    if _rows_alone(plan, layout):
        return f"SELECT {select} FROM data_rows d"
    joins = " LEFT JOIN batches b ON b.id = p.batch_id" if layout.queue else ""
    return f"SELECT {select} FROM {plan.from_sql}{joins}"


def _keys_page(
    plan: ExportPlan, select: str, page: Sequence[int], alone: bool = False
) -> tuple[str, list[Any]]:
    """The read of one page of a plan's listed keys: a seek per key on the scope index (on
    the data rows' key when the page reads them ``alone``)."""
    if alone:
        sql = f"{select} WHERE d.rid IN ({placeholders(len(page))}) ORDER BY d.rid"
        return sql, list(page)
    col = plan.order_column
    scope, args = plan.key_scope
    sql = f"{select} WHERE {scope} AND {col} IN ({placeholders(len(page))}) ORDER BY {col}"
    return sql, [*args, *page]


def _keyset_page(plan: ExportPlan, select: str) -> str:
    """The read of the page after a key up to the planned bound (``plan.range_args``), ``?``
    rows long."""
    col = plan.order_column
    return (
        f"{select} WHERE {' AND '.join(plan.where) or '1'}"
        f" AND {plan.key_range(plan.from_sql)} ORDER BY {col} LIMIT ?"
    )


@attrs.define
class ExportPlan:
    """The data rows an export covers, in ``rid`` order, bounded when the plan was made."""

    from_sql: str
    where: list[str]
    params: list[Any]
    #: the rows the plan covers; None until :meth:`SQLiteExportSource.count` counts them
    #: (a plan that pages by key ranges is not counted before its first page)
    total: int | None
    max_rid: int
    order_column: str = "d.rid"
    missing: list[str] = attrs.field(factory=list)
    #: the plan's keys (values of ``order_column``), listed when the plan was made for an
    #: id-list scope or filter or a label date filter (up to :data:`KEY_LIST_LIMIT`): batches
    #: then seek these keys instead of walking the scope and evaluating the filters again
    keys: Sequence[int] | None = None
    #: the condition (and its parameters) that, with ``order_column IN (keys)``, selects a
    #: page of ``keys``: the scope table's own scope, or nothing for ``data_rows`` itself
    key_scope: tuple[str, list[Any]] = ("1", [])
    #: ``keys`` were listed from the scope when the plan was made (not given, as a retry's
    #: are): the plan's state reads those rows alone, without checking the scope again
    keys_in_scope: bool = False
    #: the read (and its parameters) that counted the plan or listed its keys
    planned: tuple[str, Sequence[Any]] = ("SELECT 1", ())
    #: the key the first page starts after (a resumed plan's last exported key)
    start_after: int = 0
    #: the FROM of the count: the scope table alone unless a filter reads the data rows
    counted_from: str = "data_rows d"
    #: ``(keys, state)``: the state of ``keys`` (the object listed), read by the pass that
    #: listed them (see ``_listing`` and ``_plan_state.listed_state``)
    listed_state: tuple[Sequence[int], PlanState] | None = None

    def _joins_data_row(self, from_sql: str) -> bool:
        col = self.order_column
        return col != "d.rid" and f"d.rid = {col}" in from_sql

    def key_range(self, from_sql: str) -> str:
        """The condition of the plan's keys after one key up to another (their parameters:
        :meth:`range_args`) in ``from_sql`` (the plan's FROM, or the one it is counted in).
        Where that joins the data row ``d`` to the scope table on the key, the range bounds
        ``d.rid`` too: PostgreSQL carries an equality through a join, not a range, so its
        merge join walked ``data_rows`` from the first key to the page on every page (a page's
        cost grew with its offset). The unary ``+`` keeps the copy out of SQLite's plan, a
        check of the row it read by key."""
        col = self.order_column
        sql = f"{col} > ? AND {col} <= ?"
        if self._joins_data_row(from_sql):
            sql += " AND +d.rid > ? AND +d.rid <= ?"
        return sql

    def range_args(self, from_sql: str, after: int, last: int) -> list[int]:
        """The parameters of :meth:`key_range` in ``from_sql``: the keys after ``after`` up to
        ``last``."""
        return [after, last, after, last] if self._joins_data_row(from_sql) else [after, last]


class SQLiteExportSource:
    """Planning and batch reads for exports (the :class:`ExportSource` of the catalog)."""

    def __init__(
        self,
        db: Database,
        actor: Actor,
        rows: RowStore,
        projects: ProjectStore,
        models: ModelStore,
    ) -> None:
        self.db = db
        self.actor = actor
        self.rows = rows
        self.projects = projects
        self.models = models

    # -- planning ---------------------------------------------------------------------------

    def _require_entity(self, entity: ScopeEntity, entity_id: str) -> dict[str, Any]:
        if entity is ScopeEntity.PROJECT:
            return self.projects.get_project(entity_id)
        if entity is ScopeEntity.DATASET:
            return self.rows.get_dataset(entity_id)
        if entity is ScopeEntity.SLICE:
            return self.models.get_slice(entity_id)
        return self.models.get_model_run(entity_id)

    def _check_entity(self, entity: ScopeEntity, entity_id: str) -> dict[str, Any]:
        """The record of a project or slice scope (the plan needs it), or ``{}`` once a dataset
        or model run scope is known to exist; :class:`NotFound` when it does not."""
        if entity in _EXISTS_SQL:
            sql, what = _EXISTS_SQL[entity]
            self.db.one(sql, (entity_id,), what, entity_id)
            return {}
        return self._require_entity(entity, entity_id)

    def require_scope(self, request: ExportRequest) -> None:
        """Raise NotFound when the export's scope, or a project or run it asks for, is missing."""
        entity = KIND_SPECS[request.kind].entity
        if entity is not None:
            self._check_entity(entity, request.scope_ids[0])
        for project_id in request.params.project_ids:
            self.projects.get_project(project_id)
        for run_id in request.params.model_run_ids:
            self.models.get_model_run(run_id)

    def plan(self, request: ExportRequest) -> ExportPlan:
        """Resolve the request's scope and filters into a counted, bounded plan."""
        spec = KIND_SPECS[request.kind]
        scope = request.scope_ids
        order = "d.rid"
        where: list[str] = []
        params: list[Any] = []
        missing: list[str] = []
        key_scope: tuple[str, list[Any]] = ("1", [])
        given: list[int] | None = None
        if spec.entity is not None:
            entity = self._check_entity(spec.entity, scope[0])
            from_sql, clause, order = _ENTITY_SCOPES[spec.entity]
            if clause is None:
                clause, args = self.models.slice_where(entity["filters"])
                where.append(clause)
                params.extend(args)
            else:
                where.append(clause)
                params.append(scope[0])
            if spec.entity in _KEY_SCOPES:
                key_scope = (_KEY_SCOPES[spec.entity], [scope[0]])
        elif spec.scope is Scope.DATA_ROWS:
            from_sql = "data_rows d"
            found = self._rids_of(request.scope_by, scope)
            missing = [s for s in scope if s not in found]
            given = sorted(found.values())
            where.append(f"d.rid IN ({placeholders(len(found))})")
            params.extend(found.values())
        else:
            from_sql = "data_rows d"
            where.append("+d.organization_id = ?")  # rid order, not (organization, global key)
            params.append(self.actor.organization_id)
            key_scope = ("+d.organization_id = ?", [self.actor.organization_id])
        scoped = len(where)
        self._filter_sql(request, where, params)
        filters = request.filters
        listed = filters.data_row_ids or filters.global_keys
        if listed:
            # resolved through the unique index once: the plan then seeks these rows by key. The
            # scope holds only the organization's rows, so ids need no organization check (which
            # would read every listed row: the id index does not hold the organization)
            column = "id" if filters.data_row_ids else "global_key"
            rids = self._rids_of(column, listed, check_organization=False)
            where.append(f"{order} IN ({placeholders(len(rids))})")
            params.extend(rids.values())
        sql_where = " AND ".join(where) or "1"
        keys: Sequence[int] | None
        total: int | None
        state: PlanState | None = None
        counted = from_sql
        if given is not None:  # a data rows export takes no filters: its rows are the keys
            keys, total, max_rid = given, len(given), given[-1] if given else 0
            planned = (f"SELECT d.rid FROM data_rows d WHERE {sql_where}", params)
        elif listed and len(where) == scoped + 1:
            # the id list alone: its keys in the scope table (and their state: see _listing)
            clause, args = key_scope
            table = from_sql.split(" JOIN ")[0]
            sql = _listing(order, table, f"{clause} AND {where[-1]}")
            planned = (sql, [*args, *rids.values()])
            keys, total, max_rid, state = self._list_keys(*planned)
        else:
            # A project's or run's entry names an existing data row (a foreign key): the pass
            # reads the data row only for a filter on it (else its state alone: see _listing)
            scan = from_sql
            if not any(_DATA_ROW_COLUMN.search(clause) for clause in where):
                scan = from_sql.split(" JOIN ")[0]
            if listed or filters.label_created_at is not None:
                # an id list, or a label probe per row: one pass lists the matching keys (which
                # counts them), so the pages seek these keys instead of re-reading the id list
                # or probing the whole scope again
                planned = (_listing(order, scan, sql_where), params)
                keys, total, max_rid, state = self._list_keys(*planned)
            else:
                # the other filters are cheap column checks on the index the pages walk anyway:
                # nothing is read before the first page. The plan is bounded by the scope's
                # last key (an index seek); its rows are counted beside the pages (count())
                keys, total = None, None
                max_rid = self._last_key(spec.entity, scope, from_sql, order)
                planned = (
                    f"SELECT COUNT(*) FROM {scan} WHERE {sql_where} AND {order} <= ?",
                    [*params, max_rid],
                )
                counted = scan
        return ExportPlan(
            from_sql=from_sql,
            where=where,
            params=params,
            total=None if total is None else int(total),
            max_rid=int(max_rid),
            counted_from=counted,
            order_column=order,
            missing=missing,
            keys=keys,
            key_scope=key_scope,
            keys_in_scope=keys is not None,
            planned=planned,
            listed_state=None if keys is None or state is None else (keys, state),
        )

    def _list_keys(
        self, sql: str, params: Sequence[Any]
    ) -> tuple[Sequence[int] | None, int, int, PlanState | None]:
        """``(keys, count, last key, state)`` of ``sql``'s rows (each its key, ``updated_at``
        and last activity: see :func:`_listing`, in key order), read in one pass: ``state`` is
        the listed rows' state, as :func:`plan_state` would read it now. Past
        :data:`KEY_LIST_LIMIT` rows neither is kept (the pass only counts the rest): the plan
        then pages by key ranges, filtering as it goes, and its state is read beside it."""
        cursor = self.db.conn.execute(sql, params)
        keys = array("q")
        latest, activity = "", 0
        for key, updated, stamp in itertools.islice(cursor, KEY_LIST_LIMIT):
            keys.append(key)
            if updated is not None and updated > latest:
                latest = updated
            if stamp is not None:
                activity += stamp
        if len(keys) < KEY_LIST_LIMIT:
            last = keys[-1] if keys else 0
            return keys, len(keys), last, state_of(last, len(keys), sum(keys), latest, activity)
        count, last = len(keys), keys[-1]
        for row in cursor:
            count, last = count + 1, int(row[0])
        return None, count, last, None

    def _last_key(
        self, entity: ScopeEntity | None, scope: Sequence[str], from_sql: str, order: str
    ) -> int:
        """The last key of a scope (the bound of its plan), by one seek of the scope's ordered
        index; the organization's last row for a slice or catalog scope."""
        if entity in _LAST_KEY_SCOPES:
            table = from_sql.split(" JOIN ")[0]
            sql = f"SELECT COALESCE(MAX({order}), 0) FROM {table} WHERE {_LAST_KEY_SCOPES[entity]}"
            return int(self.db.conn.execute(sql, (scope[0],)).fetchone()[0])
        return int(
            self.db.conn.execute("SELECT COALESCE(MAX(rid), 0) FROM data_rows").fetchone()[0]
        )

    def count(self, plan: ExportPlan, stop: Callable[[], bool]) -> int | None:
        """The rows of ``plan``: its ``total`` when the plan counted them, else counted now in
        key ranges on a connection of its own (so it runs beside the export's pages, in
        another thread); None when ``stop()`` turned true between two ranges."""
        if plan.total is not None:
            return plan.total
        counted = plan.counted_from
        sql = (
            f"SELECT COUNT(*) FROM {counted} WHERE {' AND '.join(plan.where) or '1'}"
            f" AND {plan.key_range(counted)}"
        )
        total = 0
        with self.db.reader() as conn:
            for low in range(0, plan.max_rid, _COUNT_SPAN):
                if stop():
                    return None
                high = min(low + _COUNT_SPAN, plan.max_rid)
                args = (*plan.params, *plan.range_args(counted, low, high))
                total += int(conn.execute(sql, args).fetchone()[0])
        return total

    @staticmethod
    def _filter_sql(request: ExportRequest, where: list[str], params: list[Any]) -> None:
        """AND the request's filters into ``where``. Each is written so that the plan keeps
        walking the scope's ``rid``-ordered index (a page is then a seek, never a sort): a
        unary ``+`` keeps SQLite from driving by an unordered index, and the label search
        probes the row's own labels (``labels_row_created``), never the project's labels by
        date. ``workflow_status`` and a single batch id drive by their own ``rid``-ordered
        index, which holds the other of the two after the key (migration 13): a status with
        batches is checked in the index walked, never in the queue entry. Id lists
        (``data_row_ids``, ``global_keys``) are not here: :meth:`plan` resolves them to keys
        once."""
        filters = request.filters
        project = KIND_SPECS[request.kind].entity is ScopeEntity.PROJECT
        if filters.last_activity_at is not None:
            rng = filters.last_activity_at
            if rng.start_epoch is not None:
                where.append("+d.last_activity_ts >= ?")
                params.append(rng.start_epoch)
            if rng.end_epoch is not None:
                where.append("+d.last_activity_ts <= ?")
                params.append(rng.end_epoch)
        if filters.label_created_at is not None:
            rng = filters.label_created_at
            # in a project export the queue entry names the row: no data row read to reject one
            cond = ["l.data_row_id = p.data_row_id" if project else "l.data_row_id = d.id"]
            if project:
                cond.append("l.project_id = p.project_id")
            if rng.start_epoch is not None:
                cond.append("l.created_ts >= ?")
                params.append(rng.start_epoch)
            if rng.end_epoch is not None:
                cond.append("l.created_ts <= ?")
                params.append(rng.end_epoch)
            where.append(
                "EXISTS (SELECT 1 FROM labels l INDEXED BY labels_row_created"
                f" WHERE {' AND '.join(cond)})"
            )
        if filters.workflow_status is not None:
            where.append("p.workflow_status = ?")
            params.append(filters.workflow_status.stored)
        if filters.batch_ids and len(filters.batch_ids) == 1:
            where.append("p.batch_id = ?")
            params.extend(filters.batch_ids)
        elif filters.batch_ids:
            # several batches: an IN on project_data_rows_batch would need a sort per page
            where.append(f"+p.batch_id IN ({placeholders(len(filters.batch_ids))})")
            params.extend(filters.batch_ids)

    def _rids_of(
        self, column: str, values: Sequence[str], *, check_organization: bool = True
    ) -> dict[str, int]:
        """``{value: rid}`` of the organization's rows whose ``id`` or ``global_key`` is one of
        ``values`` (unknown ones are left out), through that column's unique index. Without
        ``check_organization`` an ``id`` may name another organization's row, for a caller
        whose scope bounds the rows anyway: the read then stays in the id index."""
        org: tuple[str, ...] = (self.actor.organization_id,)
        if column == "global_key":
            sql = "SELECT global_key, rid FROM data_rows WHERE organization_id = ? AND global_key"
        elif check_organization:
            # "+": the (organization_id, global_key) index would scan the whole organization
            sql = "SELECT id, rid FROM data_rows WHERE +organization_id = ? AND id"
        else:
            sql, org = "SELECT id, rid FROM data_rows WHERE id", ()
        return dict(select_in(self.db.conn, sql + " IN ({})", values, *org))

    def iter_batches(
        self, plan: ExportPlan, batch_size: int, layout: PlanLayout
    ) -> Iterator[list[tuple[Any, ...]]]:
        """The plan's rows, ``batch_size`` at a time, with the columns of ``layout`` (every
        data row column the export writes; the queue columns of the scope project with
        ``layout.queue``; then one JSON array text per name in ``layout.sections``)."""
        select = _page_select(plan, layout)
        if plan.keys is not None:
            alone = _rows_alone(plan, layout)
            for start in range(0, len(plan.keys), batch_size):
                page = plan.keys[start : start + batch_size]
                rows = self.db.conn.execute(*_keys_page(plan, select, page, alone)).fetchall()
                if rows:
                    yield rows
            return
        last = plan.start_after
        sql = _keyset_page(plan, select)
        rid = layout.positions["rid"]
        while True:
            bounds = plan.range_args(plan.from_sql, last, plan.max_rid)
            rows = self.db.conn.execute(sql, (*plan.params, *bounds, batch_size)).fetchall()
            if not rows:
                return
            last = rows[-1][rid]
            yield rows

    def shard_bounds(self, plan: ExportPlan, rows_per_shard: int) -> list[tuple[int, int, int]]:
        """``(after, last, rows)`` of each shard of ``plan``: runs of ``rows_per_shard`` plan
        rows in key order (the last one shorter), each the keys after ``after`` up to ``last``.
        A plan that lists its keys is cut in its list (no read); one that pages by key ranges
        asks for the key ``rows_per_shard`` rows on, shard after shard, in the table it is
        counted in (the database skips the rows: none is read out), and for the last and
        count of the rest."""
        if rows_per_shard < 1:
            raise ValueError(f"rows_per_shard must be at least 1, got {rows_per_shard}")
        shards: list[tuple[int, int, int]] = []
        after = plan.start_after
        if plan.keys is not None:
            keys = plan.keys
            for start in range(0, len(keys), rows_per_shard):
                page = keys[start : start + rows_per_shard]
                shards.append((after, int(page[-1]), len(page)))
                after = int(page[-1])
            return shards
        col, counted = plan.order_column, plan.counted_from
        where = f"{' AND '.join(plan.where) or '1'} AND {plan.key_range(counted)}"
        nth = f"SELECT {col} FROM {counted} WHERE {where} ORDER BY {col} LIMIT 1 OFFSET ?"
        rest = f"SELECT MAX({col}), COUNT(*) FROM {counted} WHERE {where}"
        conn = self.db.conn
        while True:
            bounds = (*plan.params, *plan.range_args(counted, after, plan.max_rid))
            found = conn.execute(nth, (*bounds, rows_per_shard - 1)).fetchone()
            if found is None:
                last, left = conn.execute(rest, bounds).fetchone()
                if left:
                    shards.append((after, int(last), int(left)))
                return shards
            shards.append((after, int(found[0]), rows_per_shard))
            after = int(found[0])

    def plan_state(self, plan: ExportPlan) -> PlanState:
        """The plan's bound, count and change digest (see :mod:`._plan_state`)."""
        return plan_state(self.db.conn, plan)

    def plan_state_later(self, plan: ExportPlan) -> DeferredPlanState:
        """The plan's state as the catalog is now, computed when called (see
        :class:`SnapshotPlanState`); the state its listing pass read, when it did."""
        known = listed_state(plan)
        if known is not None:
            return KnownPlanState(known)
        return SnapshotPlanState(self.db, plan)

    def resume_plan(self, plan: ExportPlan, state: PlanState, after: int | None) -> ExportPlan:
        """``plan`` bounded as ``state`` was, starting after key ``after``."""
        return resume_plan(plan, state, after)

    def data_row_keys(self, data_row_ids: Sequence[str]) -> dict[str, int]:
        """``{data row id: rid}`` of the organization's rows among ``data_row_ids``."""
        return self._rids_of("id", data_row_ids)

    def restrict_plan(self, plan: ExportPlan, keys: Sequence[int]) -> ExportPlan:
        """``plan`` narrowed to ``keys``."""
        return restrict_plan(plan, keys)

    def explain_plan(
        self, plan: ExportPlan, batch_size: int = 100, layout: PlanLayout | None = None
    ) -> dict[str, list[str]]:
        """SQLite's query plan (the ``EXPLAIN QUERY PLAN`` details) of the read that counted
        or listed ``plan`` (``"plan"``), of a page of its rows (``"page"``: of ``layout``'s
        columns, else of the keys and ids alone) and of (the first read of) its state
        (``"state"``), to check which indexes an export walks."""
        alone = _rows_alone(plan, layout or PlanLayout())
        if layout is None:
            select = f"SELECT d.rid, d.id FROM {'data_rows d' if alone else plan.from_sql}"
        else:
            select = _page_select(plan, layout)
        if plan.keys is not None:
            # a page of no keys is never read; explain one of a key instead
            keys = plan.keys[:batch_size] or [0]
            page: tuple[str, Sequence[Any]] = _keys_page(plan, select, keys, alone)
        else:
            bounds = plan.range_args(plan.from_sql, 0, plan.max_rid)
            page = (_keyset_page(plan, select), (*plan.params, *bounds, batch_size))
        state = next(state_reads(plan), ("SELECT 1", []))  # no key: no read
        return {
            "plan": self._explain(*plan.planned),
            "page": self._explain(*page),
            "state": self._explain(*state),
        }

    def _explain(self, sql: str, params: Sequence[Any]) -> list[str]:
        rows = self.db.conn.execute(f"EXPLAIN QUERY PLAN {sql}", tuple(params))
        return [str(r[3]) for r in rows]

    def dataset_names(self) -> dict[str, str]:
        """``{dataset id: name}`` of the organization."""
        return dict(
            self.db.conn.execute(
                "SELECT id, name FROM datasets WHERE organization_id = ?",
                (self.actor.organization_id,),
            ).fetchall()
        )

    # -- sections ---------------------------------------------------------------------------

    def read_queue(self, ids: Sequence[str], projects: Sequence[str] | None) -> list[SectionRow]:
        """The rows' queue entries (:data:`~rowport.request.QUEUE_ROW`) by project id."""
        sql = (
            f"SELECT {select_list(QUEUE_ROW)}"
            " FROM project_data_rows q LEFT JOIN batches b ON b.id = q.batch_id"
            " JOIN projects pr ON pr.id = q.project_id"
            f" WHERE q.data_row_id IN ({placeholders(len(ids))})"
        )
        args: list[Any] = list(ids)
        if projects is not None:
            sql += f" AND q.project_id IN ({placeholders(len(projects))})"
            args.extend(projects)
        return self.db.conn.execute(sql + " ORDER BY q.project_id", args).fetchall()

    def read_history(self, ids: Sequence[str], projects: Sequence[str] | None) -> list[SectionRow]:
        """The rows' workflow history (:data:`~rowport.request.HISTORY_ROW`) in event order."""
        sql = (
            f"SELECT {select_list(HISTORY_ROW)} FROM workflow_history"
            f" WHERE data_row_id IN ({placeholders(len(ids))})"
        )
        args: list[Any] = list(ids)
        if projects is not None:
            sql += f" AND project_id IN ({placeholders(len(projects))})"
            args.extend(projects)
        return self.db.conn.execute(sql + " ORDER BY seq", args).fetchall()

    def read_labels(
        self,
        ids: Sequence[str],
        projects: Sequence[str] | None,
        *,
        reviews: bool = False,
        checks: bool = False,
    ) -> list[SectionRow]:
        """The rows' labels (:data:`~rowport.request.LABEL_ROW`), in creation order for each
        row and project (the index's order: no sort); ``reviews`` is a JSON array of the
        label's reviews with ``reviews``, else None; ``checks`` the label's remembered checks
        with ``checks`` (None when it has none)."""
        replace = {"reviews": REVIEWS_SQL} if reviews else {}
        if checks:
            replace["checks"] = CHECKS_SQL
        sql = (
            f"SELECT {select_list(LABEL_ROW, **replace)} FROM labels"
            f"{CHECKS_JOIN if checks else ''} WHERE data_row_id IN ({placeholders(len(ids))})"
        )
        args: list[Any] = list(ids)
        if projects is not None:
            sql += f" AND project_id IN ({placeholders(len(projects))})"
            args.extend(projects)
        return self.db.conn.execute(sql + " ORDER BY data_row_id, project_id, rid", args).fetchall()

    def read_run_rows(self, ids: Sequence[str], runs: Sequence[str] | None) -> list[SectionRow]:
        """The rows' model runs (:data:`~rowport.request.RUN_ROW`) by model and run."""
        sql = (
            f"SELECT {select_list(RUN_ROW)} FROM model_run_data_rows m"
            " JOIN model_runs r ON r.id = m.model_run_id JOIN models md ON md.id = r.model_id"
            f" WHERE m.data_row_id IN ({placeholders(len(ids))})"
        )
        args: list[Any] = list(ids)
        if runs is not None:
            sql += f" AND m.model_run_id IN ({placeholders(len(runs))})"
            args.extend(runs)
        return self.db.conn.execute(sql + " ORDER BY r.model_id, m.model_run_id", args).fetchall()

    def read_run_annotations(
        self, ids: Sequence[str], runs: Sequence[str] | None, kinds: Sequence[str]
    ) -> list[SectionRow]:
        """The rows' model run labels and predictions of ``kinds``
        (:data:`~rowport.request.RUN_ANNOTATION_ROW`), in the order they were added."""
        sql = (
            f"SELECT {select_list(RUN_ANNOTATION_ROW)}"
            f" FROM model_run_annotations WHERE data_row_id IN ({placeholders(len(ids))})"
            f" AND kind IN ({placeholders(len(kinds))})"
        )
        args: list[Any] = [*ids, *kinds]
        if runs is not None:
            sql += f" AND model_run_id IN ({placeholders(len(runs))})"
            args.extend(runs)
        return self.db.conn.execute(sql + " ORDER BY rid", args).fetchall()

    def project_names_and_tags(self, project_ids: Sequence[str]) -> dict[str, ProjectInfo]:
        """``{project_id: ProjectInfo(name, tags)}`` for the given projects that exist."""
        out: dict[str, ProjectInfo] = {}
        for pid in project_ids:
            row = self.db.conn.execute("SELECT name FROM projects WHERE id = ?", (pid,)).fetchone()
            if row is not None:
                (name,) = row
                out[pid] = ProjectInfo(name, self.projects.project_tags(pid))
        return out

    def project_ontology(self, project_id: str) -> str | None:
        """The ontology id of a project (None when it has none)."""
        ontology: str | None = self.projects.get_project(project_id)["ontology_id"]
        return ontology

    def set_media_attributes(self, values: Mapping[str, Mapping[str, Any]]) -> None:
        """Write back media attributes computed during an export (see :class:`RowStore`)."""
        self.rows.set_media_attributes(values)
