"""Building and re-validating export requests: every violation is an InvalidExportRequest."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import tzinfo
from enum import Enum
from typing import Any

import attrs

from rowport.errors import InvalidExportRequest
from rowport.request._dates import parse_date_range, resolve_zone
from rowport.request._kinds import (
    DATE_FILTERS,
    FILTERS_BY_KIND,
    ID_LIST_PARAMS,
    KIND_SPECS,
    MAX_DATA_ROWS_PER_EXPORT,
    MAX_IDS_PER_FILTER,
    MAX_IDS_PER_PARAM,
    PARAMS_BY_KIND,
    Scope,
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

__all__ = ["build_request", "request_from_dict"]

_SCOPE_BY: tuple[ScopeBy, ...] = ("id", "global_key")


def build_request(
    kind: ExportKind | str,
    *,
    scope_ids: tuple[str, ...] | list[str] = (),
    scope_by: ScopeBy = "id",
    params: Mapping[str, Any] | None = None,
    filters: Mapping[str, Any] | None = None,
    task_name: str | None = None,
    timezone: str = "UTC",
) -> ExportRequest:
    """Validate an export's arguments for its kind and return the request.

    A param set to None takes its default; a filter set to None is absent. Naive dates in
    filters are read in ``timezone`` (an IANA zone name) and every date is kept in UTC.

    :param kind: what the export is scoped to.
    :param scope_ids: the one project, dataset, slice or model run id; the data row ids or
        global keys of a data rows export; nothing for a catalog export.
    :param scope_by: ``"global_key"`` when a data rows export lists global keys.
    :raises InvalidExportRequest: naming the offending key and what is allowed.
    """
    export_kind = _check_kind(kind)
    zone = resolve_zone(timezone)
    return ExportRequest(
        kind=export_kind,
        scope_ids=_check_scope(export_kind, scope_ids, scope_by),
        scope_by=scope_by,
        params=_check_params(export_kind, params),
        filters=_check_filters(export_kind, filters, zone),
        task_name=_check_task_name(task_name),
    )


def request_from_dict(data: Mapping[str, Any]) -> ExportRequest:
    """Structure a request saved with ``ExportRequest.to_dict`` and validate it again."""
    from rowport._converters import structure_request

    saved = structure_request(data)
    checked = build_request(
        saved.kind,
        scope_ids=saved.scope_ids,
        scope_by=saved.scope_by,
        params=_non_default(saved.params),
        filters=_non_default(saved.filters),
        task_name=saved.task_name,
    )
    return attrs.evolve(checked, options=saved.options)


def _non_default(record: ExportParams | ExportFilters) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in attrs.fields(type(record)):
        value = getattr(record, field.name)
        if value != field.default:
            values[field.name] = [value.start, value.end] if isinstance(value, DateRange) else value
    return values


def _describe(value: object) -> str:
    return f"{value!r} ({type(value).__name__})"


def _check_kind(kind: object) -> ExportKind:
    try:
        return ExportKind(kind)
    except ValueError:
        allowed = ", ".join(member.value for member in ExportKind)
        raise InvalidExportRequest(f"unknown export kind {kind!r}; allowed: {allowed}") from None


def _check_task_name(task_name: object) -> str | None:
    if task_name is None or isinstance(task_name, str):
        return task_name
    raise InvalidExportRequest(f"task_name must be a string or None, got {_describe(task_name)}")


def _id_list(name: str, value: object, *, limit: int | None, allow_empty: bool) -> tuple[str, ...]:
    """Check a list of ids or keys: non-empty strings, at most ``limit``; duplicates dropped."""
    if not isinstance(value, (list, tuple)):
        raise InvalidExportRequest(
            f"{name} must be a list of non-empty strings, got {_describe(value)}"
        )
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise InvalidExportRequest(
                f"{name} must be a list of non-empty strings; item {index} is {_describe(item)}"
            )
    if not value and not allow_empty:
        bound = f"1 to {limit:,}" if limit is not None else "at least 1"
        raise InvalidExportRequest(f"{name} must hold {bound} values, got an empty list")
    if limit is not None and len(value) > limit:
        raise InvalidExportRequest(f"{name} takes at most {limit:,} values, got {len(value):,}")
    return tuple(dict.fromkeys(value))


def _check_scope(kind: ExportKind, scope_ids: object, scope_by: object) -> tuple[str, ...]:
    if scope_by not in _SCOPE_BY:
        raise InvalidExportRequest(f"scope_by must be 'id' or 'global_key', got {scope_by!r}")
    scope = KIND_SPECS[kind].scope
    if scope is Scope.DATA_ROWS:
        what = "global keys" if scope_by == "global_key" else "data row ids"
        return _id_list(
            f"scope_ids (the {what} of a data rows export)",
            scope_ids,
            limit=MAX_DATA_ROWS_PER_EXPORT,
            allow_empty=False,
        )
    if scope_by != "id":
        raise InvalidExportRequest(
            f"scope_by {scope_by!r} applies only to a data rows export; "
            f"a {kind.noun} export is scoped by id"
        )
    ids = _id_list("scope_ids", scope_ids, limit=None, allow_empty=True)
    if scope is Scope.ORGANIZATION:
        if ids:
            raise InvalidExportRequest(
                f"a catalog export covers the whole catalog and takes no scope_ids, got {ids!r}"
            )
    elif len(ids) != 1:
        raise InvalidExportRequest(
            f"a {kind.noun} export takes exactly one {kind.noun} id in scope_ids, got {len(ids)}"
        )
    return ids


def _check_key(
    what: str, key: object, kind: ExportKind, table: Mapping[ExportKind, frozenset[str]]
) -> None:
    allowed = table[kind]
    if key in allowed:
        return
    allowed_text = ", ".join(sorted(allowed)) or f"none (a {kind.noun} export takes no {what}s)"
    known = frozenset[str]().union(*table.values())
    if not isinstance(key, str) or key not in known:
        close = difflib.get_close_matches(key, sorted(known), n=1) if isinstance(key, str) else []
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InvalidExportRequest(
            f"unknown {what} {key!r} for a {kind.noun} export; allowed: {allowed_text}{hint}"
        )
    supporters = ", ".join(other.noun for other in ExportKind if key in table[other])
    raise InvalidExportRequest(
        f"{what} {key!r} is not supported for a {kind.noun} export "
        f"(supported by: {supporters} exports); allowed: {allowed_text}"
    )


def _as_mapping(what: str, value: object) -> Mapping[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidExportRequest(
            f"{what} must be a mapping of name to value, got {_describe(value)}"
        )
    return value


def _check_params(kind: ExportKind, params: object) -> ExportParams:
    values: dict[str, Any] = {}
    for key, value in _as_mapping("params", params).items():
        _check_key("param", key, kind, PARAMS_BY_KIND)
        if value is None:
            continue
        if key in ID_LIST_PARAMS:
            values[key] = _id_list(
                f"param {key!r}", value, limit=MAX_IDS_PER_PARAM, allow_empty=True
            )
        elif key == "media_type_override":
            values[key] = _media_type(value)
        elif isinstance(value, bool):
            values[key] = value
        else:
            raise InvalidExportRequest(
                f"param {key!r} must be a bool (True or False), got {_describe(value)}"
            )
    return ExportParams(**values)


def _media_type(value: object) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, str) and value:
        return value
    raise InvalidExportRequest(
        f"param 'media_type_override' must be a media type name, got {_describe(value)}"
    )


def _workflow_status(value: object) -> WorkflowStatus:
    if isinstance(value, WorkflowStatus):
        return value
    if isinstance(value, str):
        try:
            return WorkflowStatus(value)
        except ValueError:
            pass
    allowed = ", ".join(member.value for member in WorkflowStatus)
    raise InvalidExportRequest(
        f"filter 'workflow_status' must be one of {allowed}, got {_describe(value)}"
    )


def _check_filters(kind: ExportKind, filters: object, zone: tzinfo) -> ExportFilters:
    values: dict[str, Any] = {}
    for key, value in _as_mapping("filters", filters).items():
        _check_key("filter", key, kind, FILTERS_BY_KIND)
        if value is None:
            continue
        if key in DATE_FILTERS:
            values[key] = parse_date_range(key, value, zone)
        elif key == "workflow_status":
            values[key] = _workflow_status(value)
        else:
            values[key] = _id_list(
                f"filter {key!r}", value, limit=MAX_IDS_PER_FILTER, allow_empty=False
            )
    if values.get("data_row_ids") is not None and values.get("global_keys") is not None:
        raise InvalidExportRequest(
            "filters 'data_row_ids' and 'global_keys' cannot be used together; pick one"
        )
    return ExportFilters(**values)
