"""Which params and filters each kind of export accepts, after the reference's tables."""

from __future__ import annotations

from collections.abc import Mapping

from rowport.request._models import ExportKind

__all__ = [
    "BOOL_PARAMS",
    "DATE_FILTERS",
    "FILTERS_BY_KIND",
    "ID_LIST_FILTERS",
    "ID_LIST_PARAMS",
    "MAX_DATA_ROWS_PER_EXPORT",
    "MAX_IDS_PER_FILTER",
    "MAX_IDS_PER_PARAM",
    "PARAMS_BY_KIND",
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

PARAMS_BY_KIND: Mapping[ExportKind, frozenset[str]] = {
    ExportKind.PROJECT: _ROW_SECTIONS | _PROJECT_SECTIONS,
    ExportKind.DATASET: _CATALOG_PARAMS,
    ExportKind.SLICE: _CATALOG_PARAMS,
    ExportKind.MODEL_RUN: _ROW_SECTIONS | _RUN_SECTIONS,
    ExportKind.DATA_ROWS: _CATALOG_PARAMS,
    ExportKind.CATALOG: _CATALOG_PARAMS,
}

_DATASET_FILTERS = DATE_FILTERS | {"global_keys", "data_row_ids"}

FILTERS_BY_KIND: Mapping[ExportKind, frozenset[str]] = {
    ExportKind.PROJECT: DATE_FILTERS | ID_LIST_FILTERS | {"workflow_status"},
    ExportKind.DATASET: _DATASET_FILTERS,
    ExportKind.SLICE: frozenset(),
    ExportKind.MODEL_RUN: frozenset(),
    ExportKind.DATA_ROWS: frozenset(),
    ExportKind.CATALOG: _DATASET_FILTERS,
}
