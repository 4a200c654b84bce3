"""Task records: persisted so any process can find, follow, list or cancel a task."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from rowport._ids import new_id
from rowport._time import now_ts
from rowport.catalog._base import Actor, dumps, loads
from rowport.catalog._db import Database
from rowport.catalog._protocols import TaskRecord, TaskStatus
from rowport.errors import InvalidInput

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


def runner_identity() -> str:
    """``host:pid`` of this process, recorded on the tasks it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


class SQLiteTaskStore:
    """Export tasks as rows of the ``tasks`` table (the :class:`TaskStore` of the catalog)."""

    def __init__(self, db: Database, actor: Actor) -> None:
        self.db = db
        self.actor = actor

    def create_task(
        self, name: str, metadata: Mapping[str, Any], *, type: str = "export-data-rows"
    ) -> TaskRecord:
        """Persist a new task IN_PROGRESS at 0 % and return its record."""
        task_id = new_id()
        ts = now_ts()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO tasks (id, organization_id, name, type, status, created_at,"
                " updated_at, created_by, metadata, heartbeat_ts, runner)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        self, task_id: str, *, rows_done: int, rows_planned: int | None, percentage: float
    ) -> None:
        """Record progress and a heartbeat (the runner calls this a few times a second)."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE tasks SET rows_done = ?, rows_planned = ?, completion_percentage = ?,"
                " heartbeat_ts = ?, updated_at = ? WHERE id = ? AND status IN (?, ?)",
                (rows_done, rows_planned, percentage, time.time(), now_ts(), task_id, *_UNFINISHED),
            )

    def set_status(
        self,
        task_id: str,
        status: TaskStatus,
        *,
        error: str | None = None,
        percentage: float | None = None,
    ) -> bool:
        """Move a task forward; returns False (and changes nothing) for a backward move."""
        try:
            status = TaskStatus(status)
        except ValueError:
            allowed = ", ".join(member.value for member in TaskStatus)
            raise InvalidInput(f"unknown task status {status!r}; allowed: {allowed}") from None
        with self.db.transaction() as conn:
            row = conn.execute("SELECT status FROM tasks WHERE id = ?", (task_id,)).fetchone()
            if row is None or status not in _NEXT.get(TaskStatus(row[0]), frozenset()):
                return False
            conn.execute(
                "UPDATE tasks SET status = ?, error = COALESCE(?, error), updated_at = ?,"
                " completion_percentage = COALESCE(?, completion_percentage) WHERE id = ?",
                (status.value, error, now_ts(), percentage, task_id),
            )
        return True

    def current_status(self, task_id: str) -> TaskStatus:
        """The current status of a task."""
        return TaskStatus(
            self.db.one("SELECT status FROM tasks WHERE id = ?", (task_id,), "task", task_id)[0]
        )

    def find_orphans(self, stale_after: float) -> list[TaskRecord]:
        """Unfinished tasks whose runner is gone: a process on this host that no longer exists,
        or, for a runner on another host, one whose heartbeat is older than ``stale_after``
        seconds. A live runner on this host is never declared dead, however slow its batch."""
        out = []
        now = time.time()
        host = socket.gethostname()
        for rec in self.list_tasks(include_deleted=True):
            if rec.status.is_final:
                continue
            runner = rec.runner or ""
            if runner.startswith(host + ":"):
                pid = int(runner.rsplit(":", 1)[1])
                if pid != os.getpid() and not _pid_alive(pid):
                    out.append(rec)
            elif (now - (rec.heartbeat_ts or 0)) > stale_after:
                out.append(rec)
        return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed child not yet reaped) is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return True
