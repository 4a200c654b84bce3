"""Export requests: params and filters per kind of export, validated and normalised to UTC.

Build one with :func:`build_request`; every violation raises
:class:`~rowport.errors.InvalidExportRequest` naming the key and what is allowed. A request
round-trips through ``to_dict()`` / ``ExportRequest.from_dict()`` so it can be stored as JSON.
"""

from __future__ import annotations

from rowport.request._build import build_request
from rowport.request._dates import DATE_FORMATS
from rowport.request._kinds import (
    DATE_FILTERS,
    FILTERS_BY_KIND,
    ID_LIST_FILTERS,
    ID_LIST_PARAMS,
    KIND_SPECS,
    MAX_DATA_ROWS_PER_EXPORT,
    MAX_IDS_PER_FILTER,
    MAX_IDS_PER_PARAM,
    PARAMS_BY_KIND,
    KindSpec,
    Scope,
    ScopeEntity,
    SectionSource,
)
from rowport.request._layout import DATA_ROW_COLUMNS, PLAN_SECTIONS, QUEUE_COLUMNS, PlanLayout
from rowport.request._models import (
    DateRange,
    ExportFilters,
    ExportKind,
    ExportParams,
    ExportRequest,
    ScopeBy,
    WorkflowStatus,
)
from rowport.request._options import ERROR_POLICIES, ExportOptions
from rowport.request._sections import (
    HISTORY_ROW,
    LABEL_ROW,
    QUEUE_ROW,
    RUN_ANNOTATION_ROW,
    RUN_ROW,
    SECTION_LAYOUTS,
    ProjectInfo,
    RowLayout,
    default_performance,
)

__all__ = [
    "DATA_ROW_COLUMNS",
    "DATE_FILTERS",
    "DATE_FORMATS",
    "ERROR_POLICIES",
    "FILTERS_BY_KIND",
    "HISTORY_ROW",
    "ID_LIST_FILTERS",
    "ID_LIST_PARAMS",
    "KIND_SPECS",
    "LABEL_ROW",
    "MAX_DATA_ROWS_PER_EXPORT",
    "MAX_IDS_PER_FILTER",
    "MAX_IDS_PER_PARAM",
    "PARAMS_BY_KIND",
    "PLAN_SECTIONS",
    "QUEUE_COLUMNS",
    "QUEUE_ROW",
    "RUN_ANNOTATION_ROW",
    "RUN_ROW",
    "SECTION_LAYOUTS",
    "DateRange",
    "ExportFilters",
    "ExportKind",
    "ExportOptions",
    "ExportParams",
    "ExportRequest",
    "KindSpec",
    "PlanLayout",
    "ProjectInfo",
    "RowLayout",
    "Scope",
    "ScopeBy",
    "ScopeEntity",
    "SectionSource",
    "WorkflowStatus",
    "build_request",
    "default_performance",
]
