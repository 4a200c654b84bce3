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
    MAX_DATA_ROWS_PER_EXPORT,
    MAX_IDS_PER_FILTER,
    MAX_IDS_PER_PARAM,
    PARAMS_BY_KIND,
)
from rowport.request._models import (
    DateRange,
    ExportFilters,
    ExportKind,
    ExportParams,
    ExportRequest,
    ScopeBy,
    WorkflowStatus,
)

__all__ = [
    "DATE_FILTERS",
    "DATE_FORMATS",
    "FILTERS_BY_KIND",
    "ID_LIST_FILTERS",
    "ID_LIST_PARAMS",
    "MAX_DATA_ROWS_PER_EXPORT",
    "MAX_IDS_PER_FILTER",
    "MAX_IDS_PER_PARAM",
    "PARAMS_BY_KIND",
    "DateRange",
    "ExportFilters",
    "ExportKind",
    "ExportParams",
    "ExportRequest",
    "ScopeBy",
    "WorkflowStatus",
    "build_request",
]
