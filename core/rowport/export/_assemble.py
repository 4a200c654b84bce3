"""Building export rows from the catalog's batch reads, in the reference's key order.

Knows the row format, not SQL: every read is an :class:`~rowport.catalog.ExportSource` method
that returns tuples for a whole batch, and plan rows are read by the names of their
:class:`~rowport.request.PlanLayout`. The hot path builds plain dicts (orjson encodes them later).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import orjson

from rowport.catalog import ExportSource
from rowport.request import KIND_SPECS, ExportRequest, PlanLayout, SectionSource

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
        self,
        source: ExportSource,
        request: ExportRequest,
        layout: PlanLayout | None = None,
        *,
        parse_json: bool = True,
    ) -> None:
        self.source = source
        self.request = request
        self.layout = layout if layout is not None else PlanLayout.for_request(request)
        # Without pipeline steps nobody looks inside stored JSON: pass it through unparsed.
        self._json = _loads if parse_json else orjson.Fragment
        spec = KIND_SPECS[request.kind]
        self.projects = spec.projects(request)
        self.runs = spec.runs(request)
        self.show_projects = spec.shows_projects(request.params)
        self.show_experiments = spec.shows_runs(request.params)
        # project_tags: "Always" for the project an export is scoped to, n/a for model run and
        # catalog exports (the seed's field table)
        self.project_tags = spec.projects_from is SectionSource.SCOPE
        self._project_info: dict[str, tuple[str, list[dict[str, Any]]]] = {}
        self._dataset_names: dict[str, str] = {}
        self._ontologies: dict[str, str | None] = {}

    def _project(self, project_id: str) -> tuple[str, list[dict[str, Any]]]:
        info = self._project_info.get(project_id)
        if info is None:
            info = self.source.project_names_and_tags([project_id]).get(project_id, ("", []))
            self._project_info[project_id] = info
        return info

    def assemble_rows(
        self, base: Sequence[tuple[Any, ...]]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Rows from a batch of plan rows (in :attr:`layout`) and the problems met. When the
        layout has queue columns the project queue state rides along in each plan row
        (project exports)."""
        p = self.request.params
        at = self.layout.positions
        i_id, i_key, i_valid = at["id"], at["global_key"], at["attributes_valid"]
        ids = [r[i_id] for r in base]
        broken: dict[str, str] = {}
        for r in base:
            if r[i_valid] == 0:
                broken[r[i_id]] = "its stored media_attributes are not valid JSON"
        lists = [(name, at[name]) for name in self.layout.list_sections]
        queued = self.layout.queue
        projects = (
            self._projects(ids, base if queued else None, broken) if self.show_projects else None
        )
        experiments = self._experiments(ids, broken) if self.show_experiments else None
        i_external, i_row_data, i_media_type = at["external_id"], at["row_data"], at["media_type"]
        i_attributes, i_dataset = at["media_attributes"], at["dataset_id"]
        i_created, i_updated = at["created_at"], at["updated_at"]
        i_activity, i_created_by = at["last_activity_at"], at["created_by"]
        names = self._dataset_names

        rows: list[dict[str, Any]] = []
        problems: list[dict[str, Any]] = []
        for r in base:
            row_id = r[i_id]
            try:
                if row_id in broken:
                    raise ValueError(broken[row_id])
                data_row: dict[str, Any] = {"id": row_id}
                if r[i_key] is not None:
                    data_row["global_key"] = r[i_key]
                if r[i_external] is not None:
                    data_row["external_id"] = r[i_external]
                data_row["row_data"] = r[i_row_data]
                if p.data_row_details:
                    name = names.get(r[i_dataset])
                    if name is None:
                        self._dataset_names = names = self.source.dataset_names()
                        name = names.get(r[i_dataset])
                    data_row["details"] = {
                        "dataset_id": r[i_dataset],
                        "dataset_name": name,
                        "created_at": r[i_created],
                        "updated_at": r[i_updated],
                        "last_activity_at": r[i_activity],
                        "created_by": r[i_created_by],
                    }
                row: dict[str, Any] = {
                    "data_row": data_row,
                    "media_attributes": self._json(r[i_attributes]) if r[i_attributes] else {},
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
                        data_row={"id": row_id, "global_key": r[i_key]},
                    )
                )
                continue
            row["_media_type"] = r[i_media_type]
            rows.append(row)
        return rows, problems

    def _queue(
        self, ids: Sequence[str], base: Sequence[tuple[Any, ...]] | None
    ) -> list[tuple[Any, ...]]:
        """Queue rows in :meth:`ExportSource.read_queue`'s layout, from the plan rows when the
        plan carried them (a project export), else read."""
        if base is None:
            return self.source.read_queue(ids, self.projects)
        project_id = self.request.scope_ids[0]
        if project_id not in self._ontologies:
            self._ontologies[project_id] = self.source.project_ontology(project_id)
        default = self._ontologies[project_id]
        at = self.layout.positions
        i_id, i_batch, i_batch_name = at["id"], at["batch_id"], at["batch_name"]
        i_status, i_task, i_task_name = at["workflow_status"], at["task_id"], at["task_name"]
        i_priority, i_selected = at["priority"], at["selected_label_id"]
        i_consensus, i_ontology = at["consensus_count"], at["ontology_id"]
        return [
            (
                r[i_id],
                project_id,
                r[i_batch],
                r[i_batch_name],
                r[i_status],
                r[i_task],
                r[i_task_name],
                r[i_priority],
                r[i_selected],
                r[i_consensus],
                r[i_ontology] or default,
            )
            for r in base
        ]

    def _projects(
        self,
        ids: Sequence[str],
        base: Sequence[tuple[Any, ...]] | None,
        broken: dict[str, str],
    ) -> dict[str, dict[str, Any]]:
        source = self.source
        p = self.request.params
        out: dict[str, dict[str, Any]] = defaultdict(dict)
        labels: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        label_rows = source.read_labels(ids, self.projects, reviews=p.label_details)
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
        history_col = self.layout.positions.get("workflow_history")
        if base is not None and history_col is not None:
            project_id = self.request.scope_ids[0]
            i_id = self.layout.positions["id"]
            for r in base:
                history[(r[i_id], project_id)] = self._json(r[history_col])
        elif p.project_details:
            for r in source.read_history(ids, self.projects):
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
            if self.project_tags:
                section["project_tags"] = tags
            out[row_id][project_id] = section
        return out

    def _experiments(self, ids: Sequence[str], broken: dict[str, str]) -> dict[str, dict[str, Any]]:
        source = self.source
        p = self.request.params
        kinds = ["label", "prediction"] if p.predictions else ["label"]
        annotations: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in source.read_run_annotations(ids, self.runs, kinds):
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
        for r in source.read_run_rows(ids, self.runs):
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
