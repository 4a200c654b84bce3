"""Building export rows from the catalog's batch reads, in the reference's key order.

Knows the row format, not SQL: every read is a :class:`~rowport.catalog.Catalog` method that
returns tuples for a whole batch. The hot path builds plain dicts (orjson encodes them later).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import orjson

from rowport.catalog import Catalog
from rowport.request import ExportKind, ExportRequest

__all__ = ["RowAssembler", "problem"]

_loads = orjson.loads


def problem(
    code: str,
    message: str,
    *,
    data_row: dict[str, Any] | None = None,
    stage: str = "assemble",
    plugin: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One ERRORS-stream object, in the documented key order."""
    return {
        "data_row": data_row,
        "stage": stage,
        "plugin": plugin,
        "code": code,
        "message": message,
        "details": details or {},
    }


def _default_performance() -> dict[str, Any]:
    return {
        "seconds_to_create": 0,
        "seconds_to_review": 0,
        "skipped": False,
        "performance_details_v2": {
            "seconds_to_create": 0,
            "seconds_to_review": 0,
            "seconds_to_rework": 0,
            "seconds_total": 0,
        },
    }


class RowAssembler:
    """Assembles the rows of one export request, batch by batch."""

    def __init__(
        self, catalog: Catalog, request: ExportRequest, *, parse_json: bool = True
    ) -> None:
        self.catalog = catalog
        self.request = request
        # Without pipeline steps nobody looks inside stored JSON: pass it through unparsed.
        self._json = _loads if parse_json else orjson.Fragment
        p = request.params
        self.kind = request.kind
        self.catalog_kind = request.kind not in (ExportKind.PROJECT, ExportKind.MODEL_RUN)
        self.projects = catalog.export_projects(request)
        self.runs = catalog.export_runs(request)
        self.show_projects = self.kind is ExportKind.PROJECT or (
            self.catalog_kind and (p.all_projects or bool(p.project_ids))
        )
        self.show_experiments = self.kind is ExportKind.MODEL_RUN or (
            self.catalog_kind and (p.all_model_runs or bool(p.model_run_ids))
        )
        self._project_info: dict[str, tuple[str, list[dict[str, Any]]]] = {}
        self._dataset_names: dict[str, str] = {}
        self._ontologies: dict[str, str | None] = {}

    def _project(self, project_id: str) -> tuple[str, list[dict[str, Any]]]:
        info = self._project_info.get(project_id)
        if info is None:
            info = self.catalog.project_names_and_tags([project_id]).get(project_id, ("", []))
            self._project_info[project_id] = info
        return info

    def row_sections(self, queue_columns: bool) -> list[str]:
        """The per-row lists the catalog builds as JSON in the plan query, in column order."""
        p = self.request.params
        names = [
            name
            for name, wanted in (
                ("attachments", p.attachments),
                ("metadata_fields", p.metadata_fields),
                ("embeddings", p.embeddings),
            )
            if wanted
        ]
        if queue_columns and p.project_details:
            names.append("workflow_history")
        return names

    def assemble(self, ids: Sequence[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Rows for ``ids`` (in that order) and the problems met; a broken row is a problem."""
        return self.assemble_rows(self.catalog.read_rows(ids, self.row_sections(False)))

    def assemble_rows(
        self, base: Sequence[tuple[Any, ...]], queue_columns: bool = False
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Rows from a batch of plan rows (``Catalog.iter_plan_rows`` / ``read_rows`` layout,
        with the :meth:`row_sections` columns) and the problems met. With ``queue_columns`` the
        project queue state rides along in each base row (project exports)."""
        p = self.request.params
        ids = [r[1] for r in base]
        broken: dict[str, str] = {}
        for r in base:
            if r[12] == 0:
                broken[r[1]] = "its stored media_attributes are not valid JSON"
        first = 22 if queue_columns else 13
        sections = {name: first + i for i, name in enumerate(self.row_sections(queue_columns))}
        lists = [(name, col) for name, col in sections.items() if name != "workflow_history"]
        history_col = sections.get("workflow_history")
        projects = (
            self._projects(ids, base if queue_columns else None, broken, history_col)
            if self.show_projects
            else None
        )
        experiments = self._experiments(ids, broken) if self.show_experiments else None
        names = self._dataset_names

        rows: list[dict[str, Any]] = []
        problems: list[dict[str, Any]] = []
        for r in base:
            row_id = r[1]
            try:
                if row_id in broken:
                    raise ValueError(broken[row_id])
                data_row: dict[str, Any] = {"id": row_id}
                if r[2] is not None:
                    data_row["global_key"] = r[2]
                if r[3] is not None:
                    data_row["external_id"] = r[3]
                data_row["row_data"] = r[4]
                if p.data_row_details:
                    name = names.get(r[7])
                    if name is None:
                        self._dataset_names = names = self.catalog.dataset_names()
                        name = names.get(r[7])
                    data_row["details"] = {
                        "dataset_id": r[7],
                        "dataset_name": name,
                        "created_at": r[8],
                        "updated_at": r[9],
                        "last_activity_at": r[10],
                        "created_by": r[11],
                    }
                row: dict[str, Any] = {
                    "data_row": data_row,
                    "media_attributes": self._json(r[6]) if r[6] else {},
                }
                for name, col in lists:
                    row[name] = self._json(r[col])
                if projects is not None:
                    row["projects"] = projects.get(row_id, {})
                if experiments is not None:
                    row["experiments"] = experiments.get(row_id, {})
            except Exception as exc:  # a corrupt stored value must not stop the export
                problems.append(
                    problem(
                        "ROW_ASSEMBLY_FAILED",
                        f"could not build data row {row_id}: {exc}",
                        data_row={"id": row_id, "global_key": r[2]},
                    )
                )
                continue
            row["_media_type"] = r[5]
            rows.append(row)
        return rows, problems

    def _queue(
        self, ids: Sequence[str], base: Sequence[tuple[Any, ...]] | None
    ) -> list[tuple[Any, ...]]:
        """Queue rows in :meth:`Catalog.read_queue`'s layout, from the plan rows when the plan
        carried them (a project export), else read."""
        if base is None:
            return self.catalog.read_queue(ids, self.projects)
        project_id = self.request.scope_ids[0]
        if project_id not in self._ontologies:
            self._ontologies[project_id] = self.catalog.get_project(project_id)["ontology_id"]
        default = self._ontologies[project_id]
        return [
            (
                r[1],
                project_id,
                r[13],
                r[14],
                r[15],
                r[16],
                r[17],
                r[18],
                r[19],
                r[20],
                r[21] or default,
            )
            for r in base
        ]

    def _projects(
        self,
        ids: Sequence[str],
        base: Sequence[tuple[Any, ...]] | None,
        broken: dict[str, str],
        history_col: int | None,
    ) -> dict[str, dict[str, Any]]:
        cat = self.catalog
        p = self.request.params
        out: dict[str, dict[str, Any]] = defaultdict(dict)
        labels: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        label_rows = cat.read_labels(ids, self.projects, reviews=p.label_details)
        for r in label_rows:
            if not r[11]:
                broken[r[0]] = f"label {r[2]} has stored JSON that is not valid"
                continue
            label: dict[str, Any] = {"label_kind": r[3], "version": r[4], "id": r[2]}
            if p.label_details:
                label["label_details"] = {
                    "created_at": r[6],
                    "updated_at": r[7],
                    "created_by": r[8],
                    "content_last_updated_at": r[9],
                    "reviews": self._json(r[12]),
                }
            if p.performance_details:
                label["performance_details"] = (
                    self._json(r[10]) if r[10] is not None else _default_performance()
                )
            label["annotations"] = self._json(r[5])
            labels[(r[0], r[1])].append(label)
        history: dict[tuple[str, str], Any] = defaultdict(list)
        if base is not None and history_col is not None:
            project_id = self.request.scope_ids[0]
            for r in base:
                history[(r[1], project_id)] = self._json(r[history_col])
        elif p.project_details:
            for r in cat.read_history(ids, self.projects):
                history[(r[0], r[1])].append(
                    {
                        "action": r[2],
                        "created_at": r[3],
                        "created_by": r[4],
                        "previous_task_id": r[5],
                        "previous_task_name": r[6],
                        "next_task_id": r[7],
                        "next_task_name": r[8],
                    }
                )
        for q in self._queue(ids, base):
            row_id, project_id = q[0], q[1]
            name, tags = self._project(project_id)
            section: dict[str, Any] = {
                "name": name,
                "labels": labels.get((row_id, project_id), []),
            }
            if p.project_details:
                section["project_details"] = {
                    "ontology_id": q[10],
                    "task_id": q[5],
                    "task_name": q[6],
                    "batch_id": q[2],
                    "batch_name": q[3],
                    "workflow_status": q[4],
                    "priority": q[7],
                    "selected_label_id": q[8],
                    "consensus_expected_label_count": q[9],
                    "workflow_history": history.get((row_id, project_id), []),
                }
            section["project_tags"] = tags
            out[row_id][project_id] = section
        return out

    def _experiments(self, ids: Sequence[str], broken: dict[str, str]) -> dict[str, dict[str, Any]]:
        cat = self.catalog
        p = self.request.params
        kinds = ["label", "prediction"] if p.predictions else ["label"]
        annotations: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in cat.read_run_annotations(ids, self.runs, kinds):
            if not r[7]:
                broken[r[0]] = f"model run {r[2]} {r[3]} has stored JSON that is not valid"
                continue
            annotations[(r[0], r[1], r[2])].append(
                {
                    "label_kind": r[4],
                    "version": r[5],
                    "id": r[3],
                    "annotations": self._json(r[6]),
                }
            )
        out: dict[str, dict[str, Any]] = defaultdict(dict)
        for r in cat.read_run_rows(ids, self.runs):
            row_id, model_id, model_name, run_id, run_name, run_row_id, split = r
            experiment = out[row_id].setdefault(model_id, {"name": model_name, "runs": {}})
            run: dict[str, Any] = {
                "name": run_name,
                "run_data_row_id": run_row_id,
                "labels": annotations.get((row_id, run_id, "label"), []),
            }
            if p.predictions:
                run["predictions"] = annotations.get((row_id, run_id, "prediction"), [])
            if p.model_run_details:
                run["split"] = split
            experiment["runs"][run_id] = run
        return out
