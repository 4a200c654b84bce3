"""The reference SDK's export mutation ``input`` as a rowport export request.

The SDK sends its params as ``include*`` flags and its filters as a ``searchQuery.query`` list;
:func:`translate_export` turns them into the arguments of a native export (kind, scope ids,
params, filters, task name), which the embedded client then validates exactly as a native
export. A key the SDK sends that rowport does not know is refused when it asks for something
(a true flag, a value), and ignored when it is null or false (a newer SDK's unused field).

Each date filter carries the ``timezone`` its naive bounds are in (the SDK sends the user's,
``CurrentUserPyApi``, or ``"UTC"`` once it has rewritten an ISO bound): its bounds are read as
a native filter's are in that zone (``YYYY-MM-DD`` is that local day's 00:00:00; an explicit
offset wins) and handed on as UTC moments, so two filters may name different zones.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from rowport.errors import InvalidExportRequest
from rowport.request import ExportKind, ScopeBy
from rowport.request._dates import parse_date_range, resolve_zone

__all__ = ["MUTATIONS", "ExportCall", "translate_export"]

# the mutation's operation name -> (its data field, the rowport kind, the filters' scope key)
MUTATIONS: Mapping[str, tuple[str, ExportKind, str | None]] = {
    "exportDataRowsInProjectPyApi": ("exportDataRowsInProject", ExportKind.PROJECT, "projectId"),
    "exportDataRowsInCatalogPyApi": ("exportDataRowsInCatalog", ExportKind.CATALOG, None),
    "exportDataRowsInModelRunPyApi": (
        "exportDataRowsInModelRun",
        ExportKind.MODEL_RUN,
        "modelRunId",
    ),
    "exportDataRowsInSlicePyApi": ("exportDataRowsInSlice", ExportKind.SLICE, "sliceId"),
}

_PARAMS = {
    "includeAttachments": "attachments",
    "includeEmbeddings": "embeddings",
    "includeMetadata": "metadata_fields",
    "includeDataRowDetails": "data_row_details",
    "includeProjectDetails": "project_details",
    "includePerformanceDetails": "performance_details",
    "includeLabelDetails": "label_details",
    "includeInterpolatedFrames": "interpolated_frames",
    "includePredictions": "predictions",
    "includeModelRunDetails": "model_run_details",
    "mediaTypeOverride": "media_type_override",
    "projectIds": "project_ids",
    "modelRunIds": "model_run_ids",
    "allProjects": "all_projects",
    "allModelRuns": "all_model_runs",
}
_DATES = {"data_row_last_activity_at": "last_activity_at", "labeled_at": "label_created_at"}
_ID_LISTS = {"data_row_id": "data_row_ids", "global_key": "global_keys", "batch": "batch_ids"}
_ROW_LISTS = frozenset({"data_row_ids", "global_keys"})
_INPUT_KEYS = frozenset({"taskName", "filters", "params", "isStreamableReady", "streamable"})


@attrs.frozen(kw_only=True)
class ExportCall:
    """The arguments of the native export an SDK mutation asks for."""

    kind: ExportKind
    scope_ids: tuple[str, ...]
    params: dict[str, Any]
    filters: dict[str, Any]
    task_name: str | None
    scope_by: ScopeBy = "id"


def _bad(message: str) -> InvalidExportRequest:
    return InvalidExportRequest(message)


def _mapping(name: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _bad(f"input.{name} must be an object, got {value!r}")
    return value


def _unknown(where: str, key: str, value: Any, allowed: Any) -> None:
    """Refuse a key rowport does not know unless it asks for nothing (null or false)."""
    if value is None or value is False:
        return
    raise _bad(f"{where}: unknown key {key!r}; allowed: {', '.join(sorted(allowed))}")


def _params(raw: Mapping[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in raw.items():
        name = _PARAMS.get(key)
        if name is None:
            _unknown("input.params", key, value, _PARAMS)
        elif value is not None:
            params[name] = value
    return params


def _date_range(item: Mapping[str, Any]) -> list[datetime | None]:
    """A date filter item's ``[start, end]`` as UTC moments (either may be None), its naive
    bounds read in the item's ``timezone`` (UTC when it names none)."""
    kind = item.get("type")
    value = _mapping("filters.searchQuery.query[].value", item.get("value"))
    operator = value.get("operator")
    inner = value.get("value")
    if operator == "BETWEEN":
        bounds = _mapping("filters.searchQuery.query[].value.value", inner)
        span = [bounds.get("min"), bounds.get("max")]
    elif operator == "GREATER_THAN_OR_EQUAL":
        span = [inner, None]
    elif operator == "LESS_THAN_OR_EQUAL":
        span = [None, inner]
    else:
        raise _bad(
            f"date filter {kind!r}: unknown operator {operator!r}; allowed: "
            "BETWEEN, GREATER_THAN_OR_EQUAL, LESS_THAN_OR_EQUAL"
        )
    name = _DATES[str(kind)]
    zone_name = value.get("timezone")
    try:
        zone = resolve_zone("UTC" if zone_name is None else zone_name)
    except InvalidExportRequest as exc:
        raise _bad(f"date filter {kind!r} ({name}): {exc}") from None
    moments = parse_date_range(name, span, zone)
    return [None, None] if moments is None else [moments.start, moments.end]


def _search_filters(query: Any) -> tuple[dict[str, Any], list[Any]]:
    """Native filters (dates as UTC moments) and the dataset ids of a ``searchQuery.query``."""
    if query is None:
        return {}, []
    if not isinstance(query, list):
        raise _bad(f"filters.searchQuery.query must be a list, got {query!r}")
    filters: dict[str, Any] = {}
    datasets: list[Any] = []
    for item in query:
        item = _mapping("filters.searchQuery.query[]", item)
        kind = item.get("type")
        if kind in _DATES:
            filters[_DATES[kind]] = _date_range(item)
        elif kind in _ID_LISTS or kind == "dataset":
            if item.get("operator", "is") != "is":
                raise _bad(
                    f"filter {kind!r}: unknown operator {item.get('operator')!r}; allowed: is"
                )
            ids = item.get("ids")
            if kind == "dataset":
                datasets.extend(ids if isinstance(ids, list) else [ids])
            else:
                filters[_ID_LISTS[kind]] = ids
        elif kind == "task_queue_status":
            filters["workflow_status"] = item.get("status")
        elif kind == "task_queue_not_exist":
            filters["workflow_status"] = "ToLabel"
        else:
            allowed = [*_DATES, *_ID_LISTS, "dataset", "task_queue_status", "task_queue_not_exist"]
            raise _bad(f"unknown filter type {kind!r}; allowed: {', '.join(allowed)}")
    return filters, datasets


def translate_export(operation: str, variables: Mapping[str, Any]) -> ExportCall:
    """The native export of the mutation ``operation`` with ``variables``.

    :raises InvalidExportRequest: an input rowport cannot express, naming the key.
    """
    _, kind, scope_key = MUTATIONS[operation]
    data = _mapping("variables", variables)
    source = _mapping("input", data.get("input"))
    for key, value in source.items():
        if key not in _INPUT_KEYS:
            _unknown("input", key, value, _INPUT_KEYS)
    raw_filters = _mapping("filters", source.get("filters"))
    scope_ids: list[str] = []
    if scope_key is not None:
        scope = raw_filters.get(scope_key)
        if not isinstance(scope, str) or not scope:
            raise _bad(f"input.filters.{scope_key} must name the {kind.value} to export")
        scope_ids.append(scope)
    search = _mapping("filters.searchQuery", raw_filters.get("searchQuery"))
    filters, datasets = _search_filters(search.get("query"))
    if datasets:
        if kind is not ExportKind.CATALOG:
            raise _bad("a dataset filter is only allowed in a catalog (dataset) export")
        if len(datasets) != 1:
            raise _bad(f"a dataset export names one dataset, got {datasets!r}")
        kind, scope_ids = ExportKind.DATASET, list(datasets)
    scope_by: ScopeBy = "id"
    if kind is ExportKind.CATALOG and len(filters) == 1 and set(filters) & _ROW_LISTS:
        # ``DataRow.export(client, data_rows=...|global_keys=...)``: a data rows export, whose
        # unknown ids are DATA_ROW_NOT_FOUND lines of its ERRORS stream
        ((name, ids),) = filters.items()
        kind, filters = ExportKind.DATA_ROWS, {}
        scope_ids = list(ids) if isinstance(ids, list) else [ids]
        scope_by = "global_key" if name == "global_keys" else "id"
    task_name = source.get("taskName")
    return ExportCall(
        kind=kind,
        scope_ids=tuple(scope_ids),
        params=_params(_mapping("params", source.get("params"))),
        filters=filters,
        task_name=task_name if task_name is None else str(task_name),
        scope_by=scope_by,
    )
