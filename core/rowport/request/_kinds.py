"""The rules of each kind of export, in one table: its scope, the entity it names, where its
project and model-run sections come from, whether its plan carries queue columns, and which
params and filters it accepts (after the reference's tables).

Adding a kind means adding an :class:`ExportKind` member and one :class:`KindSpec` here (and,
for a new scope entity, its plan query in the catalog).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

import attrs

from rowport.request._models import ExportKind, ExportParams, ExportRequest

__all__ = [
    "BOOL_PARAMS",
    "DATE_FILTERS",
    "FILTERS_BY_KIND",
    "ID_LIST_FILTERS",
    "ID_LIST_PARAMS",
    "KIND_SPECS",
    "MAX_DATA_ROWS_PER_EXPORT",
    "MAX_IDS_PER_FILTER",
    "MAX_IDS_PER_PARAM",
    "PARAMS_BY_KIND",
    "KindSpec",
    "Scope",
    "ScopeEntity",
    "SectionSource",
]

MAX_IDS_PER_PARAM = 30
MAX_IDS_PER_FILTER = 2_000
MAX_DATA_ROWS_PER_EXPORT = 2_000

BOOL_PARAMS = frozenset(
    {
        "attachments",
        "metadata_fields",
        "embeddings",
        "data_row_details",
        "project_details",
        "label_details",
        "performance_details",
        "interpolated_frames",
        "predictions",
        "model_run_details",
        "all_projects",
        "all_model_runs",
    }
)
ID_LIST_PARAMS = frozenset({"project_ids", "model_run_ids"})
DATE_FILTERS = frozenset({"last_activity_at", "label_created_at"})
ID_LIST_FILTERS = frozenset({"batch_ids", "global_keys", "data_row_ids"})

_ROW_SECTIONS = frozenset(
    {
        "attachments",
        "metadata_fields",
        "embeddings",
        "data_row_details",
        "interpolated_frames",
        "media_type_override",
    }
)
_PROJECT_SECTIONS = frozenset({"project_details", "label_details", "performance_details"})
_RUN_SECTIONS = frozenset({"predictions", "model_run_details"})
_CATALOG_SCOPE = frozenset({"project_ids", "model_run_ids", "all_projects", "all_model_runs"})
# Catalog-side exports may read the model runs they include, so they take the run sections too.
_CATALOG_PARAMS = _ROW_SECTIONS | _PROJECT_SECTIONS | _RUN_SECTIONS | _CATALOG_SCOPE

_DATASET_FILTERS = DATE_FILTERS | {"global_keys", "data_row_ids"}


class Scope(str, Enum):
    """What ``scope_ids`` holds."""

    ENTITY = "entity"  # exactly one id of the entity the kind names
    DATA_ROWS = "data_rows"  # data row ids or global keys (``scope_by``)
    ORGANIZATION = "organization"  # nothing: the whole catalog


class ScopeEntity(str, Enum):
    """The entity an ``ENTITY``-scoped export names."""

    PROJECT = "project"
    DATASET = "dataset"
    SLICE = "slice"
    MODEL_RUN = "model_run"


class SectionSource(str, Enum):
    """Where the projects (or model runs) a row shows come from."""

    SCOPE = "scope"  # the exported entity itself: a project export shows its project
    PARAMS = "params"  # ``project_ids`` / ``all_projects`` (``model_run_ids`` / ``all_model_runs``)
    NONE = "none"  # never shown


@attrs.frozen(kw_only=True)
class KindSpec:
    """The rules of one kind of export."""

    kind: ExportKind
    scope: Scope
    entity: ScopeEntity | None
    projects_from: SectionSource
    runs_from: SectionSource
    queue_columns: bool  # the plan rows are the scope project's queue entries (PlanLayout)
    params: frozenset[str]
    filters: frozenset[str]

    def shows_projects(self, params: ExportParams) -> bool:
        """Whether rows carry a ``projects`` section."""
        if self.projects_from is SectionSource.PARAMS:
            return params.all_projects or bool(params.project_ids)
        return self.projects_from is SectionSource.SCOPE

    def shows_runs(self, params: ExportParams) -> bool:
        """Whether rows carry an ``experiments`` section."""
        if self.runs_from is SectionSource.PARAMS:
            return params.all_model_runs or bool(params.model_run_ids)
        return self.runs_from is SectionSource.SCOPE

    def projects(self, request: ExportRequest) -> list[str] | None:
        """The projects a row may show: the scope's, the asked ones (``None`` = all), or
        ``[]`` when the kind shows none."""
        if self.projects_from is SectionSource.SCOPE:
            return [request.scope_ids[0]]
        if self.projects_from is SectionSource.NONE:
            return []
        return None if request.params.all_projects else list(request.params.project_ids)

    def runs(self, request: ExportRequest) -> list[str] | None:
        """The model runs a row may show (``None`` = all, ``[]`` = none)."""
        if self.runs_from is SectionSource.SCOPE:
            return [request.scope_ids[0]]
        if self.runs_from is SectionSource.NONE:
            return []
        return None if request.params.all_model_runs else list(request.params.model_run_ids)


KIND_SPECS: Mapping[ExportKind, KindSpec] = {
    ExportKind.PROJECT: KindSpec(
        kind=ExportKind.PROJECT,
        scope=Scope.ENTITY,
        entity=ScopeEntity.PROJECT,
        projects_from=SectionSource.SCOPE,
        runs_from=SectionSource.NONE,
        queue_columns=True,
        params=_ROW_SECTIONS | _PROJECT_SECTIONS,
        filters=DATE_FILTERS | ID_LIST_FILTERS | {"workflow_status"},
    ),
    ExportKind.DATASET: KindSpec(
        kind=ExportKind.DATASET,
        scope=Scope.ENTITY,
        entity=ScopeEntity.DATASET,
        projects_from=SectionSource.PARAMS,
        runs_from=SectionSource.PARAMS,
        queue_columns=False,
        params=_CATALOG_PARAMS,
        filters=_DATASET_FILTERS,
    ),
    ExportKind.SLICE: KindSpec(
        kind=ExportKind.SLICE,
        scope=Scope.ENTITY,
        entity=ScopeEntity.SLICE,
        projects_from=SectionSource.PARAMS,
        runs_from=SectionSource.PARAMS,
        queue_columns=False,
        params=_CATALOG_PARAMS,
        filters=frozenset(),
    ),
    ExportKind.MODEL_RUN: KindSpec(
        kind=ExportKind.MODEL_RUN,
        scope=Scope.ENTITY,
        entity=ScopeEntity.MODEL_RUN,
        projects_from=SectionSource.NONE,
        runs_from=SectionSource.SCOPE,
        queue_columns=False,
        params=_ROW_SECTIONS | _RUN_SECTIONS,
        filters=frozenset(),
    ),
    ExportKind.DATA_ROWS: KindSpec(
        kind=ExportKind.DATA_ROWS,
        scope=Scope.DATA_ROWS,
        entity=None,
        projects_from=SectionSource.PARAMS,
        runs_from=SectionSource.PARAMS,
        queue_columns=False,
        params=_CATALOG_PARAMS,
        filters=frozenset(),
    ),
    ExportKind.CATALOG: KindSpec(
        kind=ExportKind.CATALOG,
        scope=Scope.ORGANIZATION,
        entity=None,
        projects_from=SectionSource.PARAMS,
        runs_from=SectionSource.PARAMS,
        queue_columns=False,
        params=_CATALOG_PARAMS,
        filters=_DATASET_FILTERS,
    ),
}

PARAMS_BY_KIND: Mapping[ExportKind, frozenset[str]] = {
    kind: spec.params for kind, spec in KIND_SPECS.items()
}
FILTERS_BY_KIND: Mapping[ExportKind, frozenset[str]] = {
    kind: spec.filters for kind, spec in KIND_SPECS.items()
}
