"""Task records: persisted so any process can find, follow, list or cancel a task."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from rowport._ids import new_id
from rowport._time import now_ts
from rowport.catalog._base import Actor, dumps, loads
from rowport.catalog._db import Database
from rowport.catalog._liveness import (
    DEFAULT_HEARTBEAT,
    heartbeat_stale,
    runner_alive,
    runner_identity,
)
from rowport.catalog._protocols import TaskRecord, TaskStatus
from rowport.errors import InvalidInput, NotFound

__all__ = ["SQLiteTaskStore", "runner_identity"]

# Allowed moves: status only ever moves forward.
_NEXT = {
    TaskStatus.IN_PROGRESS: frozenset(
        {TaskStatus.CANCELLING, TaskStatus.COMPLETE, TaskStatus.FAILED, TaskStatus.CANCELED}
    ),
    TaskStatus.CANCELLING: frozenset({TaskStatus.CANCELED, TaskStatus.FAILED, TaskStatus.COMPLETE}),
}
_UNFINISHED = (TaskStatus.IN_PROGRESS.value, TaskStatus.CANCELLING.value)
# The columns of the tasks table a record reads are named like the record's fields.
_FIELDS = tuple(field.name for field in attrs.fields(TaskRecord))
_COLUMNS = ", ".join(_FIELDS)
# How a stored value becomes a record field, where it is not stored as it is read.
_FROM_STORED: Mapping[str, Callable[[Any], Any]] = {
    "status": TaskStatus,
    "completion_percentage": float,
    "metadata": loads,
    "deleted": bool,
    "rows_done": int,
}


def _record(row: Sequence[Any]) -> TaskRecord:
    fields = dict(zip(_FIELDS, row, strict=True))
    for name, convert in _FROM_STORED.items():
        fields[name] = convert(fields[name])
    return TaskRecord(**fields)


class SQLiteTaskStore:
    """Export tasks as rows of the ``tasks`` table (the :class:`TaskStore` of the catalog)."""

    def __init__(self, db: Database, actor: Actor) -> None:
        self.db = db
        self.actor = actor
        self._seen = threading.local()  # each thread's last data_version

    def create_task(
        self,
        name: str,
        metadata: Mapping[str, Any],
        *,
        type: str = "export-data-rows",
        heartbeat_interval: float = DEFAULT_HEARTBEAT,
    ) -> TaskRecord:
        """Persist a new task IN_PROGRESS at 0 %, owned by this process, and return its record.

        It is queued until a runner :meth:`claim` s it; ``heartbeat_interval`` is how often
        that runner will beat (another host declares it dead after three missed beats).
        """
        task_id = new_id()
        ts = now_ts()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO tasks (id, organization_id, name, type, status, created_at,"
                " updated_at, created_by, metadata, heartbeat_ts, runner, heartbeat_interval)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    task_id,
                    self.actor.organization_id,
                    name,
                    type,
                    TaskStatus.IN_PROGRESS.value,
                    ts,
                    ts,
                    self.actor.user_email,
                    dumps(dict(metadata)),
                    time.time(),
                    runner_identity(),
                    heartbeat_interval,
                ),
            )
        return self.get_task(task_id)

    def get_task(self, task_id: str) -> TaskRecord:
        """A task's record; :class:`NotFound` when there is none."""
        return _record(
            self.db.one(f"SELECT {_COLUMNS} FROM tasks WHERE id = ?", (task_id,), "task", task_id)
        )

    def list_tasks(self, *, include_deleted: bool = False) -> list[TaskRecord]:
        """Every task, newest first."""
        sql = f"SELECT {_COLUMNS} FROM tasks"
        if not include_deleted:
            sql += " WHERE deleted = 0"
        return [
            _record(row) for row in self.db.conn.execute(sql + " ORDER BY created_at DESC, id DESC")
        ]

    def record_progress(
        self,
        task_id: str,
        *,
        rows_done: int | None = None,
        rows_planned: int | None = None,
        percentage: float | None = None,
    ) -> TaskStatus:
        """Record a heartbeat of an unfinished task and, with ``rows_done``, its progress (the
        runner's heartbeat thread calls it without); returns the task's status, so a runner
        learns of a cancel at its next beat."""
        with self.db.transaction() as conn:
            if rows_done is None:
                conn.execute(
                    "UPDATE tasks SET heartbeat_ts = ? WHERE id = ? AND status IN (?, ?)",
                    (time.time(), task_id, *_UNFINISHED),
                )
            else:
                conn.execute(
                    "UPDATE tasks SET rows_done = ?, rows_planned = ?,"
                    " completion_percentage = COALESCE(?, completion_percentage),"
                    " heartbeat_ts = ?, updated_at = ? WHERE id = ? AND status IN (?, ?)",
                    (
                        rows_done,
                        rows_planned,
                        percentage,
                        time.time(),
                        now_ts(),
                        task_id,
                        *_UNFINISHED,
                    ),
                )
            row = conn.execute("SELECT status FROM tasks WHERE id = ?", (task_id,)).fetchone()
        if row is None:
            raise NotFound("task", task_id)
        return TaskStatus(row[0])

    def set_status(
        self,
        task_id: str,
        status: TaskStatus,
        *,
        error: str | None = None,
        percentage: float | None = None,
    ) -> bool:
        """Move a task forward; returns False (and changes nothing) for a backward move.

        Two moves mean more: IN_PROGRESS on an IN_PROGRESS task is a runner of this process
        taking it up (recorded as its runner, and the task counts as started); CANCELLING on
        a task that no runner has taken up yet ends it CANCELED at once (it never starts).
        """
        try:
            status = TaskStatus(status)
        except ValueError:
            allowed = ", ".join(member.value for member in TaskStatus)
            raise InvalidInput(f"unknown task status {status!r}; allowed: {allowed}") from None
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT status, started_ts FROM tasks WHERE id = ?", (task_id,)
            ).fetchone()
            if row is None:
                return False
            current = TaskStatus(row[0])
            if status is TaskStatus.IN_PROGRESS:
                if current is not TaskStatus.IN_PROGRESS:
                    return False
                now = time.time()
                conn.execute(
                    "UPDATE tasks SET started_ts = ?, heartbeat_ts = ?, runner = ? WHERE id = ?",
                    (now, now, runner_identity(), task_id),
                )
                return True
            if status not in _NEXT.get(current, frozenset()):
                return False
            if status is TaskStatus.CANCELLING and row[1] is None:
                status = TaskStatus.CANCELED  # still queued: it is canceled before it starts
            conn.execute(
                "UPDATE tasks SET status = ?, error = COALESCE(?, error), updated_at = ?,"
                " completion_percentage = COALESCE(?, completion_percentage) WHERE id = ?",
                (status.value, error, now_ts(), percentage, task_id),
            )
        return True

    def changed(self) -> bool:
        """Whether another connection committed since this thread last asked
        (:meth:`Database.data_version`: SQLite's ``PRAGMA data_version``, which reads no page;
        PostgreSQL's change counter; the first call answers True)."""
        version = self.db.data_version()
        seen = getattr(self._seen, "version", None)
        self._seen.version = version
        return bool(version != seen)

    def current_status(self, task_id: str) -> TaskStatus:
        """The current status of a task."""
        return TaskStatus(
            self.db.one("SELECT status FROM tasks WHERE id = ?", (task_id,), "task", task_id)[0]
        )

    def find_orphans(self, stale_after: float | None = None) -> list[TaskRecord]:
        """Unfinished tasks whose runner is gone.

        A runner on this host is gone when no process has its pid and start time (a reused
        pid does not keep it alive); a live runner on this host is never declared dead,
        however slow its batch. A runner on another host is gone when its heartbeat is older
        than ``stale_after`` seconds, by default three of the heartbeat intervals the task
        recorded. A task not yet taken up by a runner is judged by the process that queued it.
        """
        out = []
        now = time.time()
        rows = self.db.conn.execute(
            f"SELECT {_COLUMNS} FROM tasks WHERE status IN (?, ?)", _UNFINISHED
        )
        for rec in map(_record, rows.fetchall()):
            alive = runner_alive(rec.runner)
            if alive is None:
                if stale_after is None:
                    stale = heartbeat_stale(rec.heartbeat_ts, rec.heartbeat_interval, now)
                else:
                    stale = now - (rec.heartbeat_ts or 0.0) > stale_after
                if stale:
                    out.append(rec)
            elif not alive:
                out.append(rec)
        return out
