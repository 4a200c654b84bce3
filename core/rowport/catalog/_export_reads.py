"""The reads an export makes: the ordered plan of data rows, then each section per batch.

Every section is one query per batch of rows (never a query per row); rows come back as plain
tuples so the assembler (which knows the row format, not SQL) builds dicts cheaply.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from rowport.catalog._base import placeholders
from rowport.catalog._models import ModelsMixin
from rowport.request import ExportFilters, ExportKind, ExportRequest

__all__ = ["ExportPlan", "ExportReadsMixin"]

# Small per-row lists built as JSON inside SQLite, one correlated subquery each, so a batch
# needs no query per section: the assembler passes the text through (or parses it for plugins).
SECTION_SQL = {
    # INDEXED BY pins each list to an index whose order is the list's order, so no sort runs
    # and json_group_array sees the rows in that order.
    "attachments": (
        "(SELECT json_group_array(json_object('id', a.id, 'type', a.type, 'value', a.value,"
        " 'name', a.name)) FROM attachments a INDEXED BY attachments_row"
        " WHERE a.data_row_id = d.id)"
    ),
    "metadata_fields": (
        "(SELECT json_group_array(json_object('schema_id', v.schema_id, 'schema_name', s.name,"
        " 'value', CASE WHEN s.kind = 'enum' THEN json_object('schema_id', o.id,"
        " 'schema_name', o.name) ELSE json(v.value) END))"
        " FROM metadata_values v INDEXED BY metadata_values_order"
        " JOIN metadata_schemas s ON s.id = v.schema_id LEFT JOIN metadata_schemas o"
        " ON s.kind = 'enum' AND o.id = json_extract(v.value, '$') WHERE v.data_row_id = d.id)"
    ),
    "embeddings": (
        "(SELECT json_group_array(json_object('id', e.id, 'name', e.name, 'dimensions',"
        " e.dimensions, 'is_custom', json(CASE WHEN e.is_custom THEN 'true' ELSE 'false' END),"
        " 'values', (SELECT json_group_array(json_object('value', json(x.vector)))"
        " FROM embedding_vectors x WHERE x.data_row_id = d.id AND x.embedding_id = e.id)))"
        " FROM (SELECT DISTINCT embedding_id FROM embedding_vectors"
        " WHERE data_row_id = d.id) k JOIN embeddings e ON e.id = k.embedding_id)"
    ),
    "workflow_history": (
        "(SELECT json_group_array(json_object('action', h.action, 'created_at', h.created_at,"
        " 'created_by', h.created_by, 'previous_task_id', h.previous_task_id,"
        " 'previous_task_name', h.previous_task_name, 'next_task_id', h.next_task_id,"
        " 'next_task_name', h.next_task_name)) FROM workflow_history h"
        " INDEXED BY workflow_history_row"
        " WHERE h.data_row_id = d.id AND h.project_id = p.project_id)"
    ),
}
_REVIEWS_SQL = (
    "(SELECT json_group_array(json_object('id', r.id, 'action', r.action, 'created_at',"
    " r.created_at, 'created_by', r.created_by)) FROM reviews r INDEXED BY reviews_label"
    " WHERE r.label_id = labels.id)"
)

_ROW_COLUMNS = (
    "d.rid, d.id, d.global_key, d.external_id, d.row_data, d.media_type, d.media_attributes,"
    " d.dataset_id, d.created_at, d.updated_at, d.last_activity_at, d.created_by,"
    " json_valid(COALESCE(d.media_attributes, '{}'))"
)


@attrs.define
class ExportPlan:
    """The data rows an export covers, in ``rid`` order, bounded when the plan was made."""

    from_sql: str
    where: list[str]
    params: list[Any]
    total: int
    max_rid: int
    order_column: str = "d.rid"
    missing: list[str] = attrs.field(factory=list)


class ExportReadsMixin(ModelsMixin):
    """Planning and batch reads for exports."""

    # -- planning ---------------------------------------------------------------------------

    def plan_export(self, request: ExportRequest) -> ExportPlan:
        """Resolve the request's scope and filters into a counted, bounded plan."""
        kind = request.kind
        scope = request.scope_ids
        order = "d.rid"
        where: list[str] = []
        params: list[Any] = []
        missing: list[str] = []
        if kind is ExportKind.PROJECT:
            self.get_project(scope[0])
            from_sql = "project_data_rows p JOIN data_rows d ON d.rid = p.data_row_rid"
            where.append("p.project_id = ?")
            params.append(scope[0])
            order = "p.data_row_rid"
        elif kind is ExportKind.MODEL_RUN:
            self.get_model_run(scope[0])
            from_sql = "model_run_data_rows m JOIN data_rows d ON d.rid = m.data_row_rid"
            where.append("m.model_run_id = ?")
            params.append(scope[0])
            order = "m.data_row_rid"
        elif kind is ExportKind.DATASET:
            self.get_dataset(scope[0])
            from_sql = "data_rows d"
            where.append("d.dataset_id = ?")
            params.append(scope[0])
        elif kind is ExportKind.SLICE:
            saved = self.get_slice(scope[0])
            from_sql = "data_rows d"
            clause, args = self.slice_where(saved["filters"])
            where.append(clause)
            params.extend(args)
        elif kind is ExportKind.DATA_ROWS:
            from_sql = "data_rows d"
            column = "d.global_key" if request.scope_by == "global_key" else "d.id"
            where.append(f"d.organization_id = ? AND {column} IN ({placeholders(len(scope))})")
            params.extend((self.organization_id, *scope))
            found = {
                r[0]
                for r in self.conn.execute(
                    f"SELECT {column} FROM data_rows d WHERE {where[-1]}", params[-len(scope) - 1 :]
                )
            }
            missing = [s for s in scope if s not in found]
        else:
            from_sql = "data_rows d"
            where.append("d.organization_id = ?")
            params.append(self.organization_id)
        self._filter_sql(request, request.filters, where, params)
        sql_where = " AND ".join(where) or "1"
        total, max_rid = self.conn.execute(
            f"SELECT COUNT(*), COALESCE(MAX(d.rid), 0) FROM {from_sql} WHERE {sql_where}", params
        ).fetchone()
        return ExportPlan(
            from_sql=from_sql,
            where=where,
            params=params,
            total=int(total),
            max_rid=int(max_rid),
            order_column=order,
            missing=missing,
        )

    @staticmethod
    def _filter_sql(
        request: ExportRequest, filters: ExportFilters, where: list[str], params: list[Any]
    ) -> None:
        project = request.scope_ids[0] if request.kind is ExportKind.PROJECT else None
        if filters.last_activity_at is not None:
            rng = filters.last_activity_at
            if rng.start_epoch is not None:
                where.append("d.last_activity_ts >= ?")
                params.append(rng.start_epoch)
            if rng.end_epoch is not None:
                where.append("d.last_activity_ts <= ?")
                params.append(rng.end_epoch)
        if filters.label_created_at is not None:
            rng = filters.label_created_at
            cond = ["l.data_row_id = d.id"]
            if project is not None:
                cond.append("l.project_id = ?")
                params.append(project)
            if rng.start_epoch is not None:
                cond.append("l.created_ts >= ?")
                params.append(rng.start_epoch)
            if rng.end_epoch is not None:
                cond.append("l.created_ts <= ?")
                params.append(rng.end_epoch)
            where.append(f"EXISTS (SELECT 1 FROM labels l WHERE {' AND '.join(cond)})")
        if filters.workflow_status is not None:
            where.append("p.workflow_status = ?")
            params.append(filters.workflow_status.stored)
        if filters.batch_ids:
            where.append(f"p.batch_id IN ({placeholders(len(filters.batch_ids))})")
            params.extend(filters.batch_ids)
        if filters.global_keys:
            where.append(f"d.global_key IN ({placeholders(len(filters.global_keys))})")
            params.extend(filters.global_keys)
        if filters.data_row_ids:
            where.append(f"d.id IN ({placeholders(len(filters.data_row_ids))})")
            params.extend(filters.data_row_ids)

    def iter_plan_rows(
        self,
        plan: ExportPlan,
        batch_size: int,
        *,
        with_queue: bool = False,
        sections: Sequence[str] = (),
    ) -> Iterator[list[tuple[Any, ...]]]:
        """The plan's rows, ``batch_size`` at a time, with every data row column the export
        writes, in the layout of :meth:`read_rows`; with ``with_queue`` (project exports) the
        project queue columns follow (batch id and name, workflow status, task id and name,
        priority, selected label, consensus count, the row's ontology id); then one JSON array
        text per name in ``sections`` (keys of :data:`SECTION_SQL`; ``workflow_history`` needs
        ``with_queue``)."""
        last = 0
        col = plan.order_column
        queue = (
            ", p.batch_id, b.name, p.workflow_status, p.task_id, p.task_name, p.priority,"
            " p.selected_label_id, p.consensus_expected_label_count, p.ontology_id"
            if with_queue
            else ""
        )
        joins = " LEFT JOIN batches b ON b.id = p.batch_id" if with_queue else ""
        queue += "".join(f", {SECTION_SQL[name]}" for name in sections)
        sql = (
            f"SELECT {_ROW_COLUMNS}{queue} FROM {plan.from_sql}{joins}"
            f" WHERE {' AND '.join(plan.where) or '1'}"
            f" AND {col} > ? AND {col} <= ? ORDER BY {col} LIMIT ?"
        )
        while True:
            rows = self.conn.execute(sql, (*plan.params, last, plan.max_rid, batch_size)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield rows

    def dataset_names(self) -> dict[str, str]:
        """``{dataset id: name}`` of the organization."""
        return dict(
            self.conn.execute(
                "SELECT id, name FROM datasets WHERE organization_id = ?", (self.organization_id,)
            ).fetchall()
        )

    def iter_plan(self, plan: ExportPlan, batch_size: int) -> Iterator[list[str]]:
        """The plan's data row ids, ``batch_size`` at a time, by keyset pagination on ``rid``."""
        last = 0
        col = plan.order_column  # the indexed column of the scope table, so pages are seeks
        sql = (
            f"SELECT {col}, d.id FROM {plan.from_sql} WHERE {' AND '.join(plan.where) or '1'}"
            f" AND {col} > ? AND {col} <= ? ORDER BY {col} LIMIT ?"
        )
        while True:
            rows = self.conn.execute(sql, (*plan.params, last, plan.max_rid, batch_size)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [r[1] for r in rows]

    # -- sections ---------------------------------------------------------------------------

    def read_rows(self, ids: Sequence[str], sections: Sequence[str] = ()) -> list[tuple[Any, ...]]:
        """``(rid, id, global_key, external_id, row_data, media_type, media_attributes,
        dataset_id, created_at, updated_at, last_activity_at, created_by, attributes_valid)``
        in ``ids`` order, then one JSON array text per name in ``sections``;
        ``attributes_valid`` is 0 when the stored JSON is corrupt."""
        extra = "".join(f", {SECTION_SQL[name]}" for name in sections)
        rows = self.conn.execute(
            f"SELECT {_ROW_COLUMNS}{extra} FROM data_rows d"
            f" WHERE d.id IN ({placeholders(len(ids))})",
            tuple(ids),
        ).fetchall()
        order = {i: n for n, i in enumerate(ids)}
        return sorted(rows, key=lambda r: order[r[1]])

    def read_attachments(self, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """``(data_row_id, id, type, value, name)`` in position order."""
        return self.conn.execute(
            "SELECT data_row_id, id, type, value, name FROM attachments"
            f" WHERE data_row_id IN ({placeholders(len(ids))}) ORDER BY data_row_id, position",
            tuple(ids),
        ).fetchall()

    def read_metadata(self, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """``(data_row_id, schema_id, schema_name, kind, value_json, option_name)``."""
        return self.conn.execute(
            "SELECT v.data_row_id, v.schema_id, s.name, s.kind, v.value, o.name"
            " FROM metadata_values v JOIN metadata_schemas s ON s.id = v.schema_id"
            " LEFT JOIN metadata_schemas o ON s.kind = 'enum' AND o.id = json_extract(v.value, '$')"
            f" WHERE v.data_row_id IN ({placeholders(len(ids))})"
            " ORDER BY v.data_row_id, v.position",
            tuple(ids),
        ).fetchall()

    def read_embeddings(self, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """``(data_row_id, embedding_id, name, dimensions, is_custom, vector_json)``."""
        return self.conn.execute(
            "SELECT v.data_row_id, e.id, e.name, e.dimensions, e.is_custom, v.vector"
            " FROM embedding_vectors v JOIN embeddings e ON e.id = v.embedding_id"
            f" WHERE v.data_row_id IN ({placeholders(len(ids))})"
            " ORDER BY v.data_row_id, e.id, v.position",
            tuple(ids),
        ).fetchall()

    def export_projects(self, request: ExportRequest) -> list[str] | None:
        """The projects a row may show: one for a project export, the asked ones for a catalog
        export (``None`` = all), ``[]`` when the kind shows none."""
        params = request.params
        if request.kind is ExportKind.PROJECT:
            return [request.scope_ids[0]]
        if request.kind is ExportKind.MODEL_RUN:
            return []
        if params.all_projects:
            return None
        return list(params.project_ids)

    def export_runs(self, request: ExportRequest) -> list[str] | None:
        """The model runs a row may show (``None`` = all, ``[]`` = none)."""
        params = request.params
        if request.kind is ExportKind.MODEL_RUN:
            return [request.scope_ids[0]]
        if request.kind is ExportKind.PROJECT:
            return []
        if params.all_model_runs:
            return None
        return list(params.model_run_ids)

    def read_queue(
        self, ids: Sequence[str], projects: Sequence[str] | None
    ) -> list[tuple[Any, ...]]:
        """``(data_row_id, project_id, batch_id, batch_name, workflow_status, task_id,
        task_name, priority, selected_label_id, consensus_count, ontology_id)`` by project id."""
        sql = (
            "SELECT q.data_row_id, q.project_id, q.batch_id, b.name, q.workflow_status,"
            " q.task_id, q.task_name, q.priority, q.selected_label_id,"
            " q.consensus_expected_label_count, COALESCE(q.ontology_id, pr.ontology_id)"
            " FROM project_data_rows q LEFT JOIN batches b ON b.id = q.batch_id"
            " JOIN projects pr ON pr.id = q.project_id"
            f" WHERE q.data_row_id IN ({placeholders(len(ids))})"
        )
        args: list[Any] = list(ids)
        if projects is not None:
            sql += f" AND q.project_id IN ({placeholders(len(projects))})"
            args.extend(projects)
        return self.conn.execute(sql + " ORDER BY q.project_id", args).fetchall()

    def read_history(
        self, ids: Sequence[str], projects: Sequence[str] | None
    ) -> list[tuple[Any, ...]]:
        """``(data_row_id, project_id, action, created_at, created_by, previous_task_id,
        previous_task_name, next_task_id, next_task_name)`` in event order."""
        sql = (
            "SELECT data_row_id, project_id, action, created_at, created_by, previous_task_id,"
            " previous_task_name, next_task_id, next_task_name FROM workflow_history"
            f" WHERE data_row_id IN ({placeholders(len(ids))})"
        )
        args: list[Any] = list(ids)
        if projects is not None:
            sql += f" AND project_id IN ({placeholders(len(projects))})"
            args.extend(projects)
        return self.conn.execute(sql + " ORDER BY seq", args).fetchall()

    def read_labels(
        self, ids: Sequence[str], projects: Sequence[str] | None, *, reviews: bool = False
    ) -> list[tuple[Any, ...]]:
        """``(data_row_id, project_id, id, label_kind, version, annotations_json, created_at,
        updated_at, created_by, content_last_updated_at, performance_json, json_valid)``, in
        creation order for each row and project (the index's order: no sort); with ``reviews``
        a JSON array of the label's reviews follows."""
        sql = (
            "SELECT data_row_id, project_id, id, label_kind, version, annotations, created_at,"
            " updated_at, created_by, content_last_updated_at, performance,"
            " json_valid(annotations) AND json_valid(COALESCE(performance, '{}'))"
            + (f", {_REVIEWS_SQL}" if reviews else "")
            + f" FROM labels WHERE data_row_id IN ({placeholders(len(ids))})"
        )
        args: list[Any] = list(ids)
        if projects is not None:
            sql += f" AND project_id IN ({placeholders(len(projects))})"
            args.extend(projects)
        return self.conn.execute(sql + " ORDER BY data_row_id, project_id, rid", args).fetchall()

    def read_reviews(self, label_ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """``(label_id, id, action, created_at, created_by)`` in time order."""
        if not label_ids:
            return []
        return self.conn.execute(
            "SELECT label_id, id, action, created_at, created_by FROM reviews"
            f" WHERE label_id IN ({placeholders(len(label_ids))}) ORDER BY created_at, rowid",
            tuple(label_ids),
        ).fetchall()

    def read_run_rows(
        self, ids: Sequence[str], runs: Sequence[str] | None
    ) -> list[tuple[Any, ...]]:
        """``(data_row_id, model_id, model_name, run_id, run_name, run_data_row_id, split)``."""
        sql = (
            "SELECT m.data_row_id, r.model_id, md.name, m.model_run_id, r.name,"
            " m.run_data_row_id, m.split FROM model_run_data_rows m"
            " JOIN model_runs r ON r.id = m.model_run_id JOIN models md ON md.id = r.model_id"
            f" WHERE m.data_row_id IN ({placeholders(len(ids))})"
        )
        args: list[Any] = list(ids)
        if runs is not None:
            sql += f" AND m.model_run_id IN ({placeholders(len(runs))})"
            args.extend(runs)
        return self.conn.execute(sql + " ORDER BY r.model_id, m.model_run_id", args).fetchall()

    def read_run_annotations(
        self, ids: Sequence[str], runs: Sequence[str] | None, kinds: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        """``(data_row_id, run_id, kind, id, label_kind, version, annotations_json, valid)``."""
        sql = (
            "SELECT data_row_id, model_run_id, kind, id, label_kind, version, annotations,"
            " json_valid(annotations)"
            f" FROM model_run_annotations WHERE data_row_id IN ({placeholders(len(ids))})"
            f" AND kind IN ({placeholders(len(kinds))})"
        )
        args: list[Any] = [*ids, *kinds]
        if runs is not None:
            sql += f" AND model_run_id IN ({placeholders(len(runs))})"
            args.extend(runs)
        return self.conn.execute(sql + " ORDER BY rid", args).fetchall()

    def project_names_and_tags(
        self, project_ids: Sequence[str]
    ) -> dict[str, tuple[str, list[dict[str, Any]]]]:
        """``{project_id: (name, tags)}`` for the given projects."""
        out: dict[str, tuple[str, list[dict[str, Any]]]] = {}
        for pid in project_ids:
            row = self.conn.execute("SELECT name FROM projects WHERE id = ?", (pid,)).fetchone()
            if row is not None:
                out[pid] = (row[0], self.project_tags(pid))
        return out
