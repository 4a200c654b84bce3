"""The values an export request is made of: its kind, params, filters and date ranges."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Literal

import attrs

from rowport.request._options import ExportOptions

__all__ = [
    "DateRange",
    "ExportFilters",
    "ExportKind",
    "ExportParams",
    "ExportRequest",
    "ScopeBy",
    "WorkflowStatus",
]

ScopeBy = Literal["id", "global_key"]


class ExportKind(str, Enum):
    """What an export is scoped to."""

    PROJECT = "project"
    DATASET = "dataset"
    SLICE = "slice"
    MODEL_RUN = "model_run"
    DATA_ROWS = "data_rows"
    CATALOG = "catalog"

    @property
    def noun(self) -> str:
        """The kind as prose: ``"model run"`` for ``MODEL_RUN``."""
        return self.value.replace("_", " ")


class WorkflowStatus(str, Enum):
    """A data row's place in a project's workflow, as the ``workflow_status`` filter spells it."""

    TO_LABEL = "ToLabel"
    IN_REVIEW = "InReview"
    IN_REWORK = "InRework"
    DONE = "Done"

    @property
    def stored(self) -> str:
        """The upper snake form rows and the catalog use: ``IN_REVIEW`` for ``InReview``."""
        return self.name

    @classmethod
    def from_stored(cls, value: str) -> WorkflowStatus:
        """The member for an upper snake value such as ``"IN_REVIEW"``; KeyError if none."""
        return cls[value]


def _to_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"a DateRange needs timezone-aware datetimes, got {value!r}")
    return value.astimezone(timezone.utc)


@attrs.frozen(kw_only=True)
class DateRange:
    """A closed time range in UTC; either end may be open (None)."""

    start: datetime | None = attrs.field(default=None, converter=_to_utc)
    end: datetime | None = attrs.field(default=None, converter=_to_utc)

    def contains(self, ts: datetime) -> bool:
        """True when ``ts`` lies in the range, ends included; a naive ``ts`` is taken as UTC."""
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=timezone.utc)
        return (self.start is None or self.start <= ts) and (self.end is None or ts <= self.end)

    @property
    def start_epoch(self) -> float | None:
        """The start in seconds since the epoch, or None when open."""
        return None if self.start is None else self.start.timestamp()

    @property
    def end_epoch(self) -> float | None:
        """The end in seconds since the epoch, or None when open."""
        return None if self.end is None else self.end.timestamp()


@attrs.frozen(kw_only=True)
class ExportParams:
    """Which optional sections an export includes, and which projects and model runs it reads."""

    attachments: bool = False
    metadata_fields: bool = False
    embeddings: bool = False
    data_row_details: bool = False
    project_details: bool = False
    label_details: bool = False
    performance_details: bool = False
    interpolated_frames: bool = False
    predictions: bool = False
    model_run_details: bool = False
    all_projects: bool = False
    all_model_runs: bool = False
    project_ids: tuple[str, ...] = ()
    model_run_ids: tuple[str, ...] = ()
    media_type_override: str | None = None

    def enabled(self) -> list[str]:
        """The names of the boolean params that are switched on, in declaration order."""
        return [
            field.name for field in attrs.fields(ExportParams) if getattr(self, field.name) is True
        ]


@attrs.frozen(kw_only=True)
class ExportFilters:
    """Which data rows an export selects; filters combine with AND, None means absent."""

    last_activity_at: DateRange | None = None
    label_created_at: DateRange | None = None
    workflow_status: WorkflowStatus | None = None
    batch_ids: tuple[str, ...] | None = None
    global_keys: tuple[str, ...] | None = None
    data_row_ids: tuple[str, ...] | None = None

    @property
    def is_empty(self) -> bool:
        """True when no filter is set, so the export selects its whole scope."""
        return all(getattr(self, field.name) is None for field in attrs.fields(ExportFilters))


def _to_options(value: Mapping[str, Any]) -> ExportOptions:
    return ExportOptions.from_mapping(value)


@attrs.frozen(kw_only=True)
class ExportRequest:
    """A validated export: build one with :func:`rowport.request.build_request`.

    ``scope_ids`` holds the project, dataset, slice or model run id, the data row ids or global
    keys (``scope_by``) of a data rows export, and nothing for a catalog export. ``options`` are
    the checked :class:`ExportOptions` (error policy, sinks, plugin options; a mapping is
    converted and checked).
    """

    kind: ExportKind
    scope_ids: tuple[str, ...] = ()
    scope_by: ScopeBy = "id"
    params: ExportParams = attrs.field(factory=ExportParams)
    filters: ExportFilters = attrs.field(factory=ExportFilters)
    task_name: str | None = None
    options: ExportOptions = attrs.field(factory=ExportOptions, converter=_to_options, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """The request as JSON-ready data (dates as ISO 8601 strings in UTC)."""
        # Imported here: the converter module registers hooks for the classes of this module.
        from rowport._converters import unstructure_request

        return unstructure_request(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExportRequest:
        """Rehydrate and re-validate a request saved with :meth:`to_dict`.

        :raises InvalidExportRequest: when the data does not describe a valid request.
        """
        from rowport.request._build import request_from_dict

        return request_from_dict(data)
