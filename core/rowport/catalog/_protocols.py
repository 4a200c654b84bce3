"""What the rest of rowport needs from storage: an export source and a task store.

The runner, the assembler and the task manager depend on these two protocols, not on
:class:`~rowport.catalog.Catalog`. The embedded SQLite catalog implements them
(:class:`~rowport.catalog.SQLiteExportSource` as ``catalog.reads``,
:class:`~rowport.catalog.SQLiteTaskStore` as ``catalog.tasks``); another backend (PostgreSQL)
implements the same methods with its own SQL and is handed to the task manager instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from enum import Enum
from typing import Any, Protocol

import attrs

from rowport.request import ExportRequest, PlanLayout

__all__ = [
    "FINAL_STATUSES",
    "READABLE_STATUSES",
    "ExportPlanSummary",
    "ExportSource",
    "TaskRecord",
    "TaskStatus",
    "TaskStore",
]


class TaskStatus(str, Enum):
    """Where a task is: IN_PROGRESS -> (CANCELLING ->) COMPLETE | FAILED | CANCELED."""

    IN_PROGRESS = "IN_PROGRESS"
    CANCELLING = "CANCELLING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    CANCELED = "CANCELED"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def is_final(self) -> bool:
        """True for COMPLETE, FAILED and CANCELED: the status never changes again."""
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({TaskStatus.COMPLETE, TaskStatus.FAILED, TaskStatus.CANCELED})
# The statuses whose streams the reference-compatible readers open.
READABLE_STATUSES = frozenset({TaskStatus.COMPLETE, TaskStatus.CANCELED})


@attrs.frozen(kw_only=True)
class TaskRecord:
    """A task as stored: who made it, where it is, and which runner (``host:pid``) owns it."""

    id: str
    organization_id: str
    name: str
    type: str
    status: TaskStatus
    completion_percentage: float
    created_at: str
    updated_at: str
    created_by: str | None
    metadata: Mapping[str, Any]
    error: str | None
    deleted: bool
    rows_planned: int | None
    rows_done: int
    heartbeat_ts: float | None
    runner: str | None


class TaskStore(Protocol):
    """Persisted export tasks, so any process can find, follow, list or cancel one.

    Statuses only move forward (see :class:`TaskStatus`); every write records ``updated_at``.
    """

    def create_task(
        self, name: str, metadata: Mapping[str, Any], *, type: str = "export-data-rows"
    ) -> TaskRecord:
        """Persist a new task IN_PROGRESS at 0 %, owned by this process, and return it."""
        ...

    def get_task(self, task_id: str) -> TaskRecord:
        """The task's record; :class:`~rowport.errors.NotFound` when there is none."""
        ...

    def list_tasks(self, *, include_deleted: bool = False) -> list[TaskRecord]:
        """Every task, newest first."""
        ...

    def current_status(self, task_id: str) -> TaskStatus:
        """The task's status now (read fresh: the runner checks it between batches)."""
        ...

    def set_status(
        self,
        task_id: str,
        status: TaskStatus,
        *,
        error: str | None = None,
        percentage: float | None = None,
    ) -> bool:
        """Move a task forward; False (and nothing changes) for a move that is not allowed."""
        ...

    def record_progress(
        self, task_id: str, *, rows_done: int, rows_planned: int | None, percentage: float
    ) -> None:
        """Record progress and a heartbeat of an unfinished task."""
        ...

    def find_orphans(self, stale_after: float) -> list[TaskRecord]:
        """Unfinished tasks whose runner is gone (dead process, or no heartbeat for
        ``stale_after`` seconds from another host)."""
        ...


class ExportPlanSummary(Protocol):
    """What the runner reads of a plan; the source keeps the rest (its query) to itself."""

    @property
    def total(self) -> int:
        """Data rows the plan covers."""
        ...

    @property
    def missing(self) -> Sequence[str]:
        """Ids or global keys of a data rows export that name no row."""
        ...


class ExportSource(Protocol):
    """The reads an export makes: a plan, batches of plan rows, then sections per batch.

    Plan rows are tuples in the column order of a :class:`~rowport.request.PlanLayout`;
    section reads return tuples in the order their docstrings give. Every read covers a whole
    batch of rows: the assembler never asks per row.
    """

    def require_scope(self, request: ExportRequest) -> None:
        """:class:`~rowport.errors.NotFound` when an entity the request names does not exist."""
        ...

    def plan(self, request: ExportRequest) -> ExportPlanSummary:
        """Resolve the request's scope and filters into ordered data-row keys, counted and
        bounded now (rows added later are not exported)."""
        ...

    def iter_batches(
        self, plan: Any, batch_size: int, layout: PlanLayout
    ) -> Iterator[Sequence[tuple[Any, ...]]]:
        """The plan's rows ``batch_size`` at a time, each with the columns of ``layout``."""
        ...

    def read_queue(
        self, ids: Sequence[str], projects: Sequence[str] | None
    ) -> list[tuple[Any, ...]]:
        """``(data_row_id, project_id, batch_id, batch_name, workflow_status, task_id,
        task_name, priority, selected_label_id, consensus_count, ontology_id)``."""
        ...

    def read_history(
        self, ids: Sequence[str], projects: Sequence[str] | None
    ) -> list[tuple[Any, ...]]:
        """``(data_row_id, project_id, action, created_at, created_by, previous_task_id,
        previous_task_name, next_task_id, next_task_name)`` in event order."""
        ...

    def read_labels(
        self, ids: Sequence[str], projects: Sequence[str] | None, *, reviews: bool = False
    ) -> list[tuple[Any, ...]]:
        """``(data_row_id, project_id, id, label_kind, version, annotations_json, created_at,
        updated_at, created_by, content_last_updated_at, performance_json, json_valid)``, with
        a reviews JSON array last when ``reviews``."""
        ...

    def read_run_rows(
        self, ids: Sequence[str], runs: Sequence[str] | None
    ) -> list[tuple[Any, ...]]:
        """``(data_row_id, model_id, model_name, run_id, run_name, run_data_row_id, split)``."""
        ...

    def read_run_annotations(
        self, ids: Sequence[str], runs: Sequence[str] | None, kinds: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        """``(data_row_id, run_id, kind, id, label_kind, version, annotations_json, valid)``."""
        ...

    def project_names_and_tags(
        self, project_ids: Sequence[str]
    ) -> dict[str, tuple[str, list[dict[str, Any]]]]:
        """``{project_id: (name, tags)}``."""
        ...

    def project_ontology(self, project_id: str) -> str | None:
        """The ontology id of a project (the default of its rows' ``ontology_id``)."""
        ...

    def dataset_names(self) -> dict[str, str]:
        """``{dataset id: name}`` of the organization."""
        ...

    def set_media_attributes(self, values: Mapping[str, Mapping[str, Any]]) -> None:
        """Write back media attributes computed during an export (``{data_row_id: attrs}``)."""
        ...
