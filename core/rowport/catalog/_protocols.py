"""What the rest of rowport needs from storage: an export source and a task store.

The runner, the assembler and the task manager depend on these two protocols, not on
:class:`~rowport.catalog.Catalog`. The embedded SQLite catalog implements them
(:class:`~rowport.catalog.SQLiteExportSource` as ``catalog.reads``,
:class:`~rowport.catalog.SQLiteTaskStore` as ``catalog.tasks``); another backend (PostgreSQL)
implements the same methods with its own SQL and is handed to the task manager instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from enum import Enum
from typing import Any, Protocol, TypeVar, runtime_checkable

import attrs

from rowport.request import ExportRequest, PlanLayout, ProjectInfo

__all__ = [
    "FINAL_STATUSES",
    "LABELS_UNREADY",
    "READABLE_STATUSES",
    "DeferredPlanState",
    "ExportPlanSummary",
    "ExportSource",
    "PlanState",
    "PlanT",
    "ResumableSource",
    "SectionRow",
    "TaskAttempt",
    "TaskHistory",
    "TaskRecord",
    "TaskStatus",
    "TaskStore",
]

#: A plan row's ``labels`` text when the labels cannot be written as stored (one holds stored
#: JSON that is not valid): the assembler reads them, and reports the row.
LABELS_UNREADY = "!"


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
    """A task as stored: who made it, where it is, and which runner owns it
    (``host:pid:start``, see :func:`~rowport.catalog._liveness.runner_identity`)."""

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
    heartbeat_interval: float | None = None
    started_ts: float | None = None


@attrs.frozen(kw_only=True)
class TaskAttempt:
    """One run of a task: the first, then one per resume. ``status`` is how it ended (a task
    status, or ``INTERRUPTED`` when its process died), None while it runs; ``rows_done`` how
    far the task had got then; ``resumed_from_row`` the rows already exported when it began."""

    task_id: str
    attempt: int
    runner: str | None
    started_at: str
    ended_at: str | None
    status: str | None
    rows_done: int | None
    resumed_from_row: int
    note: str | None


@attrs.frozen(kw_only=True)
class PlanState:
    """What a plan covered when a task started, to tell at resume whether it changed: the
    plan's last key (rows added after it are never exported), how many rows it has up to that
    key, and a digest of those rows' keys and change stamps (``updated_at``, last activity)."""

    bound: int
    rows: int
    digest: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form kept in the task's checkpoint."""
        return {"bound": self.bound, "rows": self.rows, "digest": self.digest}


class TaskStore(Protocol):
    """Persisted export tasks, so any process can find, follow, list or cancel one.

    Statuses only move forward (see :class:`TaskStatus`); every write records ``updated_at``.
    """

    def create_task(
        self,
        name: str,
        metadata: Mapping[str, Any],
        *,
        type: str = "export-data-rows",
        heartbeat_interval: float = ...,
    ) -> TaskRecord:
        """Persist a new task IN_PROGRESS at 0 %, owned by this process and not yet started
        (queued, until ``set_status(IN_PROGRESS)``), and return it. Its runner will beat every
        ``heartbeat_interval`` seconds."""
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

    def changed(self) -> bool:
        """Whether another connection (another process's cancel, say) may have written since
        this thread last asked: cheap enough to ask every batch, so a status is read only
        when it may have changed."""
        ...

    def set_status(
        self,
        task_id: str,
        status: TaskStatus,
        *,
        error: str | None = None,
        percentage: float | None = None,
    ) -> bool:
        """Move a task forward; False (and nothing changes) for a move that is not allowed.

        IN_PROGRESS on an IN_PROGRESS task is a runner of this process taking it up (it is
        recorded as the task's runner); CANCELLING on a task no runner took up yet ends it
        CANCELED at once.
        """
        ...

    def record_progress(
        self,
        task_id: str,
        *,
        rows_done: int | None = None,
        rows_planned: int | None = None,
        percentage: float | None = None,
    ) -> TaskStatus:
        """Record a heartbeat of an unfinished task, and its progress when ``rows_done`` is
        given; returns the task's status."""
        ...

    def find_orphans(self, stale_after: float | None = None) -> list[TaskRecord]:
        """Unfinished tasks whose runner is gone: no process with its pid and start time on
        this host, or, on another host, no heartbeat for ``stale_after`` seconds (by default
        three of the task's heartbeat intervals)."""
        ...


class ExportPlanSummary(Protocol):
    """What the runner reads of a plan; the source keeps the rest (its query) to itself."""

    @property
    def total(self) -> int | None:
        """Data rows the plan covers; None when the plan was made without counting them
        (:meth:`ExportSource.count` counts them beside the export)."""
        ...

    @property
    def missing(self) -> Sequence[str]:
        """Ids or global keys of a data rows export that name no row."""
        ...


#: The plan type of one :class:`ExportSource`: what its ``plan`` makes and its
#: ``iter_batches`` takes back (the SQLite source's is :class:`~rowport.catalog.ExportPlan`).
PlanT = TypeVar("PlanT", bound=ExportPlanSummary)
#: A row of a plan or section read: a tuple in the column order of its declared layout.
SectionRow = tuple[Any, ...]


class ExportSource(Protocol[PlanT]):
    """The reads an export makes: a plan, batches of plan rows, then sections per batch.

    A source's plans are its own type (``PlanT``): the runner reads only their
    :class:`ExportPlanSummary` and hands them back to ``iter_batches``. Plan rows are tuples
    in the column order of a :class:`~rowport.request.PlanLayout`; each section read returns
    tuples in the column order of its :class:`~rowport.request.RowLayout`
    (:data:`~rowport.request.SECTION_LAYOUTS` names them by method), which callers read by
    name (``QUEUE_ROW.positions["batch_id"]``). Every read covers a whole batch of rows: the
    assembler never asks per row.
    """

    def require_scope(self, request: ExportRequest) -> None:
        """:class:`~rowport.errors.NotFound` when an entity the request names does not exist."""
        ...

    def plan(self, request: ExportRequest) -> PlanT:
        """Resolve the request's scope and filters into ordered data-row keys, bounded now
        (rows added later are not exported); counted now only when that costs no pass of its
        own (else ``total`` is None)."""
        ...

    def count(self, plan: PlanT, stop: Callable[[], bool]) -> int | None:
        """The rows of ``plan`` (its ``total`` when known). Called on a thread of its own while
        the export reads its pages; None when ``stop()`` turned true first."""
        ...

    def iter_batches(
        self, plan: PlanT, batch_size: int, layout: PlanLayout
    ) -> Iterator[Sequence[SectionRow]]:
        """The plan's rows ``batch_size`` at a time, each with the columns of ``layout``; a
        row's ``rid`` column is its key in the plan (keys ascend). Each section column is the
        JSON array text the export writes; ``labels`` (the scope project's, written with
        label_details and performance_details) is :data:`LABELS_UNREADY` when a label's stored
        JSON is not valid (the assembler then reads that row's labels with read_labels)."""
        ...

    def read_queue(
        self, ids: Sequence[str], projects: Sequence[str] | None
    ) -> Sequence[SectionRow]:
        """The rows' queue entries (:data:`~rowport.request.QUEUE_ROW`) in ``projects`` (every
        project when None), by project id; ``ontology_id`` defaults to the project's."""
        ...

    def read_history(
        self, ids: Sequence[str], projects: Sequence[str] | None
    ) -> Sequence[SectionRow]:
        """The rows' workflow history events (:data:`~rowport.request.HISTORY_ROW`) in event
        order."""
        ...

    def read_labels(
        self,
        ids: Sequence[str],
        projects: Sequence[str] | None,
        *,
        reviews: bool = False,
        checks: bool = False,
    ) -> Sequence[SectionRow]:
        """The rows' labels (:data:`~rowport.request.LABEL_ROW`) in creation order per row and
        project; the ``reviews`` column holds a JSON array text only when ``reviews``, the
        ``checks`` column the label's remembered checks (JSON bytes) only when ``checks``."""
        ...

    def read_run_rows(self, ids: Sequence[str], runs: Sequence[str] | None) -> Sequence[SectionRow]:
        """The rows' model runs (:data:`~rowport.request.RUN_ROW`) by model and run."""
        ...

    def read_run_annotations(
        self, ids: Sequence[str], runs: Sequence[str] | None, kinds: Sequence[str]
    ) -> Sequence[SectionRow]:
        """The rows' model run annotations of ``kinds`` (``label``, ``prediction``;
        :data:`~rowport.request.RUN_ANNOTATION_ROW`) in the order they were added."""
        ...

    def project_names_and_tags(self, project_ids: Sequence[str]) -> Mapping[str, ProjectInfo]:
        """``{project_id: ProjectInfo(name, tags)}`` of the projects that exist."""
        ...

    def project_ontology(self, project_id: str) -> str | None:
        """The ontology id of a project (the default of its rows' ``ontology_id``)."""
        ...

    def dataset_names(self) -> Mapping[str, str]:
        """``{dataset id: name}`` of the organization."""
        ...

    def set_media_attributes(self, values: Mapping[str, Mapping[str, Any]]) -> None:
        """Write back media attributes computed during an export (``{data_row_id: attrs}``)."""
        ...


class TaskHistory(Protocol):
    """What resuming and retrying keep beside a :class:`TaskStore`: each task's attempts and
    the links of a retry to its task. A task manager whose store lacks it neither resumes nor
    retries (the SQLite store has it)."""

    def reopen_task(self, task_id: str, *, runner: str) -> bool:
        """Move a FAILED or CANCELED task back to IN_PROGRESS (to resume it), owned by
        ``runner``; False when it is in another status."""
        ...

    def start_attempt(
        self, task_id: str, *, runner: str, resumed_from_row: int = 0, note: str | None = None
    ) -> int:
        """Record a new run of the task (closing one left open as INTERRUPTED); its number."""
        ...

    def end_attempt(
        self, task_id: str, attempt: int, *, status: str, rows_done: int, note: str | None = None
    ) -> None:
        """Record how an attempt ended and how far it got."""
        ...

    def list_attempts(self, task_id: str) -> list[TaskAttempt]:
        """Every attempt of the task, first first."""
        ...

    def link_tasks(self, task_id: str, retry_id: str) -> None:
        """Record that ``retry_id`` retries the failed rows of ``task_id`` (both ways)."""
        ...

    def linked_tasks(self, task_id: str) -> dict[str, Any]:
        """``{"retry_of": id or None, "retries": [ids]}``."""
        ...


class DeferredPlanState(Protocol):
    """A plan's state as the catalog was when this was made, computed later (on another
    thread, beside the export): see :meth:`ResumableSource.plan_state_later`."""

    def __call__(self, stop: Callable[[], bool]) -> PlanState | None:
        """The state (once: this releases what it held); None when ``stop()`` was true
        before it was computed or :meth:`cancel` interrupted it."""
        ...

    def cancel(self) -> None:
        """Stop a computation under way (thread-safe; nothing when none runs)."""
        ...


@runtime_checkable
class ResumableSource(Protocol[PlanT]):
    """What resuming and retrying need beside an :class:`ExportSource`: a plan's state (to tell
    whether it changed), the same plan continued after a key, and a plan narrowed to rows."""

    def plan_state(self, plan: PlanT) -> PlanState:
        """The plan's bound, row count and change digest (see :class:`PlanState`)."""
        ...

    def plan_state_later(self, plan: PlanT) -> DeferredPlanState:
        """:meth:`plan_state` of the catalog as it is now (a read snapshot taken now, in which
        it is computed when called): the runner computes it beside the export, so that reading
        every row of the plan does not delay the first one."""
        ...

    def resume_plan(self, plan: PlanT, state: PlanState, after: int | None) -> PlanT:
        """``plan`` (made again from the task's request) bounded as ``state`` was, counting
        ``state.rows``, and starting after key ``after`` (from the start when None)."""
        ...

    def data_row_keys(self, data_row_ids: Sequence[str]) -> Mapping[str, int]:
        """``{data row id: plan key}`` of the rows that exist."""
        ...

    def restrict_plan(self, plan: PlanT, keys: Sequence[int]) -> PlanT:
        """``plan`` narrowed to the rows of ``keys`` (rows of the plan, in any order)."""
        ...


_PlanIn = TypeVar("_PlanIn", bound=ExportPlanSummary, contravariant=True)


@runtime_checkable
class ShardableSource(Protocol[_PlanIn]):
    """What a sharded export needs beside a :class:`ResumableSource`: its plan cut into runs of
    rows in key order (each shard is then ``resume_plan(plan, bounded at last, after)``)."""

    def shard_bounds(self, plan: _PlanIn, rows_per_shard: int) -> list[tuple[int, int, int]]:
        """``(after, last, rows)`` of each shard: the plan's keys after ``after`` up to and
        including ``last``, ``rows`` of them (``rows_per_shard``, the last shard fewer), so
        that a shard's pages of ``batch_size`` rows are the plan's own pages when
        ``rows_per_shard`` is a multiple of it."""
        ...
