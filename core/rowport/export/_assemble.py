"""Building export rows from the catalog's batch reads, in the reference's key order.

Knows the row format, not SQL: every read is an :class:`~rowport.catalog.ExportSource` method
that returns tuples for a whole batch, read by the names of their declared layout (plan rows by
their :class:`~rowport.request.PlanLayout`, section rows by ``QUEUE_ROW``, ``LABEL_ROW`` ...):
positions are bound to locals before each loop, so reading by name costs nothing per row. The
hot path builds plain dicts (orjson encodes them later).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Generic

import attrs
import orjson

from rowport.catalog import LABELS_UNREADY, ExportSource, PlanT, SectionRow
from rowport.export._labels import CatalogLabel
from rowport.media_types import MediaType
from rowport.request import (
    HISTORY_ROW,
    KIND_SPECS,
    LABEL_ROW,
    QUEUE_COLUMNS,
    QUEUE_ROW,
    RUN_ANNOTATION_ROW,
    RUN_ROW,
    ExportRequest,
    PlanLayout,
    ProjectInfo,
    SectionSource,
    default_performance,
)

__all__ = ["RowAssembler", "problem", "sections_read_by"]

_loads = orjson.loads
_Parse = Callable[[Any], Any]
Sections = Collection[str] | None  # section names (rowport.plugins.SECTIONS); None: all
#: the sections whose readers read labels (and so the checks remembered for them)
_LABEL_READERS = ("labels", "annotations", "projects", "experiments")


def sections_read_by(steps: Iterable[object]) -> dict[str, Sections]:
    """The sections whose stored JSON a pipeline reads, per media type: each step's
    ``sections`` (a set of :data:`rowport.plugins.SECTIONS` names for every media type, or a
    mapping of media type to such a set; None: all), or all of them for a step with
    ``needs_json`` (default) and no ``sections``, none for ``needs_json = False``."""
    out: dict[str, Sections] = {m: frozenset() for m in (*(t.value for t in MediaType), "")}
    for step in steps:
        if hasattr(step, "sections"):
            declared = step.sections
        else:
            declared = None if getattr(step, "needs_json", True) else frozenset()
        for media_type, have in out.items():
            names = declared.get(media_type) if isinstance(declared, Mapping) else declared
            out[media_type] = None if have is None or names is None else {*have, *names}
    return out


@attrs.frozen
class _Parsers:
    """How each kind of stored JSON of a row is read: parsed, or passed through."""

    attributes: _Parse
    lists: dict[str, _Parse]
    labels: _Parse  # project labels' annotations
    details: _Parse  # label details (reviews), performance details, workflow history
    runs: _Parse  # model run labels' and predictions' annotations
    #: no step reads any section of these rows: a queue entry's stored labels text is written
    #: as it is (a step that reads nothing never looks at a label)
    labels_text: bool
    #: a step reads these rows' labels: their project labels are :class:`CatalogLabel`
    #: objects, with the checks remembered for them (read with the labels)
    checks: bool

    @classmethod
    def of(cls, wanted: Sections, lists: Sequence[str]) -> _Parsers:
        def json_of(*names: str) -> _Parse:
            return _loads if wanted is None or any(n in wanted for n in names) else orjson.Fragment

        return cls(
            attributes=json_of("media_attributes"),
            lists={name: json_of(name) for name in lists},
            labels=json_of("annotations", "projects"),
            details=json_of("projects"),
            runs=json_of("annotations", "experiments"),
            labels_text=wanted is not None and not wanted,
            checks=wanted is None or any(n in wanted for n in _LABEL_READERS),
        )


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


class RowAssembler(Generic[PlanT]):
    """Assembles the rows of one export request, batch by batch."""

    def __init__(
        self,
        source: ExportSource[PlanT],
        request: ExportRequest,
        layout: PlanLayout | None = None,
        *,
        parse_json: bool = True,
        sections: Mapping[str, Sections] | None = None,
    ) -> None:
        """``sections``: per media type, the sections whose stored JSON is parsed (default:
        every one unless ``parse_json`` is False; a media type left out: none); the rest pass
        through unparsed, as :class:`orjson.Fragment`, written byte for byte."""
        self.source = source
        self.request = request
        self.layout = layout if layout is not None else PlanLayout.for_request(request)
        lists = self.layout.list_sections
        self._none = _Parsers.of((), lists)
        if sections is None:
            every = _Parsers.of(None if parse_json else (), lists)
            self._parsers: dict[str, _Parsers] = {m.value: every for m in MediaType} | {"": every}
        else:
            self._parsers = {m: _Parsers.of(names, lists) for m, names in sections.items()}
        self._unknown = self._parsers.get("", self._none)  # rows of no known media type
        # remembered checks are read with the labels when a step looks at some rows' labels
        self._checks = sections is not None and any(p.checks for p in self._parsers.values())
        spec = KIND_SPECS[request.kind]
        self.projects = spec.projects(request)
        self.runs = spec.runs(request)
        self.show_projects = spec.shows_projects(request.params)
        self.show_experiments = spec.shows_runs(request.params)
        # project_tags: "Always" for the project an export is scoped to, n/a for model run and
        # catalog exports (the seed's field table)
        self.project_tags = spec.projects_from is SectionSource.SCOPE
        self._project_info: dict[str, ProjectInfo] = {}
        self._dataset_names: Mapping[str, str] = {}
        self._ontologies: dict[str, str | None] = {}

    def _project(self, project_id: str) -> ProjectInfo:
        info = self._project_info.get(project_id)
        if info is None:
            found = self.source.project_names_and_tags([project_id])
            info = found.get(project_id) or ProjectInfo("", [])
            self._project_info[project_id] = info
        return info

    def _ontology(self, project_id: str) -> str | None:
        if project_id not in self._ontologies:
            self._ontologies[project_id] = self.source.project_ontology(project_id)
        return self._ontologies[project_id]

    def assemble_rows(
        self, base: Sequence[SectionRow]
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
        i_external, i_row_data, i_media_type = at["external_id"], at["row_data"], at["media_type"]
        parsers, unknown = self._parsers, self._unknown
        kinds = {r[i_id]: parsers.get(r[i_media_type], unknown) for r in base}
        entries = self.layout.entries
        projects = (
            self._projects(ids, base if entries else None, broken, kinds)
            if self.show_projects
            else None
        )
        experiments = self._experiments(ids, broken, kinds) if self.show_experiments else None
        i_attributes, i_dataset = at["media_attributes"], at["dataset_id"]
        i_created, i_updated = at["created_at"], at["updated_at"]
        i_activity, i_created_by = at["last_activity_at"], at["created_by"]
        names = self._dataset_names

        rows: list[dict[str, Any]] = []
        problems: list[dict[str, Any]] = []
        for r in base:
            row_id = r[i_id]
            parse = kinds[row_id]
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
                    "media_attributes": parse.attributes(r[i_attributes])
                    if r[i_attributes]
                    else {},
                }
                for name, col in lists:
                    row[name] = parse.lists[name](r[col])
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
        self, ids: Sequence[str], base: Sequence[SectionRow] | None
    ) -> tuple[Sequence[SectionRow], Mapping[str, int], str | None]:
        """The batch's queue entries, where their columns are (by :data:`QUEUE_ROW` name), and
        the one project they are all in when the plan rows carried them (a project export:
        the plan rows are the entries), else the rows of :meth:`ExportSource.read_queue`."""
        if base is None:
            return self.source.read_queue(ids, self.projects), QUEUE_ROW.positions, None
        at = self.layout.positions
        queue = QUEUE_COLUMNS if self.layout.queue else ()  # with project_details only
        in_plan = {"data_row_id": at["id"], **{name: at[name] for name in queue}}
        return base, in_plan, self.request.scope_ids[0]

    def _projects(
        self,
        ids: Sequence[str],
        base: Sequence[SectionRow] | None,
        broken: dict[str, str],
        kinds: Mapping[str, _Parsers],
    ) -> dict[str, dict[str, Any]]:
        source = self.source
        p = self.request.params
        out: dict[str, dict[str, Any]] = defaultdict(dict)
        labels: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        at = LABEL_ROW.positions
        i_row, i_project, i_id, i_valid = (
            at["data_row_id"],
            at["project_id"],
            at["id"],
            at["json_valid"],
        )
        i_kind, i_version, i_annotations = at["label_kind"], at["version"], at["annotations"]
        i_created, i_updated, i_created_by = at["created_at"], at["updated_at"], at["created_by"]
        i_content, i_reviews = at["content_last_updated_at"], at["reviews"]
        i_performance, i_rid, i_checks = at["performance"], at["rid"], at["checks"]
        stored, read = self._stored_labels(ids, base, kinds)
        labels_read = (
            source.read_labels(read, self.projects, reviews=p.label_details, checks=self._checks)
            if read
            else ()
        )
        for r in labels_read:
            if not r[i_valid]:
                broken[r[i_row]] = f"label {r[i_id]} has stored JSON that is not valid"
                continue
            parse = kinds.get(r[i_row], self._none)
            label: dict[str, Any]
            if parse.checks:
                label = CatalogLabel(
                    r[i_rid],
                    r[i_annotations],
                    r[i_checks],
                    label_kind=r[i_kind],
                    version=r[i_version],
                    id=r[i_id],
                )
            else:
                label = {"label_kind": r[i_kind], "version": r[i_version], "id": r[i_id]}
            if p.label_details:
                label["label_details"] = {
                    "created_at": r[i_created],
                    "updated_at": r[i_updated],
                    "created_by": r[i_created_by],
                    "content_last_updated_at": r[i_content],
                    "reviews": parse.details(r[i_reviews]),
                }
            if p.performance_details:
                performance = r[i_performance]
                label["performance_details"] = (
                    parse.details(performance) if performance is not None else default_performance()
                )
            label["annotations"] = parse.labels(r[i_annotations])
            labels[(r[i_row], r[i_project])].append(label)
        history: dict[tuple[str, str], Any] = defaultdict(list)
        history_col = self.layout.positions.get("workflow_history")
        if base is not None and history_col is not None:
            project_id = self.request.scope_ids[0]
            i_plan_id = self.layout.positions["id"]
            for r in base:
                parse = kinds.get(r[i_plan_id], self._none)
                history[(r[i_plan_id], project_id)] = parse.details(r[history_col])
        elif p.project_details:
            at = HISTORY_ROW.positions
            i_row, i_project, i_action = at["data_row_id"], at["project_id"], at["action"]
            i_created, i_created_by = at["created_at"], at["created_by"]
            i_previous, i_previous_name = at["previous_task_id"], at["previous_task_name"]
            i_next, i_next_name = at["next_task_id"], at["next_task_name"]
            for r in source.read_history(ids, self.projects):
                history[(r[i_row], r[i_project])].append(
                    {
                        "action": r[i_action],
                        "created_at": r[i_created],
                        "created_by": r[i_created_by],
                        "previous_task_id": r[i_previous],
                        "previous_task_name": r[i_previous_name],
                        "next_task_id": r[i_next],
                        "next_task_name": r[i_next_name],
                    }
                )
        queue, at, scope_project = self._queue(ids, base)
        # plan entries have no project_id column: they are all in scope_project (and carry
        # the queue columns only with project_details, the one place they are written)
        i_row, i_project = at["data_row_id"], at.get("project_id", -1)
        if p.project_details:
            default_ontology = self._ontology(scope_project) if scope_project is not None else None
            i_ontology, i_task, i_task_name = at["ontology_id"], at["task_id"], at["task_name"]
            i_batch, i_batch_name = at["batch_id"], at["batch_name"]
            i_status, i_priority = at["workflow_status"], at["priority"]
            i_selected, i_consensus = at["selected_label_id"], at["consensus_count"]
        for q in queue:
            row_id = q[i_row]
            project_id = scope_project if scope_project is not None else q[i_project]
            info = self._project(project_id)
            section: dict[str, Any] = {
                "name": info.name,
                "labels": stored.get(row_id) or labels.get((row_id, project_id), []),
            }
            if p.project_details:
                ontology = q[i_ontology]
                if scope_project is not None:  # an entry's own ontology, else the project's
                    ontology = ontology or default_ontology
                section["project_details"] = {
                    "ontology_id": ontology,
                    "task_id": q[i_task],
                    "task_name": q[i_task_name],
                    "batch_id": q[i_batch],
                    "batch_name": q[i_batch_name],
                    "workflow_status": q[i_status],
                    "priority": q[i_priority],
                    "selected_label_id": q[i_selected],
                    "consensus_expected_label_count": q[i_consensus],
                    "workflow_history": history.get((row_id, project_id), []),
                }
            if self.project_tags:
                section["project_tags"] = info.tags
            out[row_id][project_id] = section
        return out

    def _stored_labels(
        self,
        ids: Sequence[str],
        base: Sequence[SectionRow] | None,
        kinds: Mapping[str, _Parsers],
    ) -> tuple[dict[str, orjson.Fragment], Sequence[str]]:
        """The labels of the scope project written as the plan rows carry them (``{row id:
        text}``: rows no step reads, whose labels are all readable), and the ids of the rows
        whose labels are read and built here instead (all of ``ids`` when the plan carries
        none)."""
        at = self.layout.positions
        i_labels = at.get("labels")
        if base is None or i_labels is None:
            return {}, ids
        i_id, fragment, none = at["id"], orjson.Fragment, self._none
        stored: dict[str, orjson.Fragment] = {}
        read: list[str] = []
        for r in base:
            text = r[i_labels]
            if text != LABELS_UNREADY and kinds.get(r[i_id], none).labels_text:
                stored[r[i_id]] = fragment(text)
            else:
                read.append(r[i_id])
        return stored, read

    def _experiments(
        self, ids: Sequence[str], broken: dict[str, str], parsers: Mapping[str, _Parsers]
    ) -> dict[str, dict[str, Any]]:
        source = self.source
        p = self.request.params
        kinds = ["label", "prediction"] if p.predictions else ["label"]
        annotations: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        at = RUN_ANNOTATION_ROW.positions
        i_row, i_run, i_kind, i_id = at["data_row_id"], at["run_id"], at["kind"], at["id"]
        i_label_kind, i_version = at["label_kind"], at["version"]
        i_annotations, i_valid = at["annotations"], at["json_valid"]
        for r in source.read_run_annotations(ids, self.runs, kinds):
            if not r[i_valid]:
                broken[r[i_row]] = (
                    f"model run {r[i_kind]} {r[i_id]} has stored JSON that is not valid"
                )
                continue
            annotations[(r[i_row], r[i_run], r[i_kind])].append(
                {
                    "label_kind": r[i_label_kind],
                    "version": r[i_version],
                    "id": r[i_id],
                    "annotations": parsers.get(r[i_row], self._none).runs(r[i_annotations]),
                }
            )
        out: dict[str, dict[str, Any]] = defaultdict(dict)
        at = RUN_ROW.positions
        i_row, i_model, i_model_name = at["data_row_id"], at["model_id"], at["model_name"]
        i_run, i_run_name = at["run_id"], at["run_name"]
        i_run_row, i_split = at["run_data_row_id"], at["split"]
        for r in source.read_run_rows(ids, self.runs):
            row_id, run_id = r[i_row], r[i_run]
            experiment = out[row_id].setdefault(r[i_model], {"name": r[i_model_name], "runs": {}})
            run: dict[str, Any] = {
                "name": r[i_run_name],
                "run_data_row_id": r[i_run_row],
                "labels": annotations.get((row_id, run_id, "label"), []),
            }
            if p.predictions:
                run["predictions"] = annotations.get((row_id, run_id, "prediction"), [])
            if p.model_run_details:
                run["split"] = r[i_split]
            experiment["runs"][run_id] = run
        return out
