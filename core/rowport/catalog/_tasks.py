"""Task records: persisted so any process can find, follow, list or cancel a task."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from typing import Any

from rowport._ids import new_id
from rowport._time import now_ts
from rowport.catalog._base import CatalogBase, dumps, loads
from rowport.errors import InvalidInput

__all__ = ["FINAL_STATUSES", "TASK_STATUSES", "TasksMixin"]

TASK_STATUSES = ("IN_PROGRESS", "CANCELLING", "COMPLETE", "FAILED", "CANCELED")
FINAL_STATUSES = ("COMPLETE", "FAILED", "CANCELED")
# Allowed moves: status only ever moves forward.
_NEXT = {
    "IN_PROGRESS": {"CANCELLING", "COMPLETE", "FAILED", "CANCELED"},
    "CANCELLING": {"CANCELED", "FAILED", "COMPLETE"},
}
_COLUMNS = (
    "id, organization_id, name, type, status, completion_percentage, created_at, updated_at,"
    " created_by, metadata, error, deleted, rows_planned, rows_done, heartbeat_ts, runner"
)
_KEYS = tuple(c.strip() for c in _COLUMNS.split(","))


def runner_identity() -> str:
    """``host:pid`` of this process, recorded on the tasks it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


class TasksMixin(CatalogBase):
    """Export tasks as rows of the ``tasks`` table."""

    def create_task(
        self, name: str, metadata: Mapping[str, Any], *, type: str = "export-data-rows"
    ) -> dict[str, Any]:
        """Persist a new task IN_PROGRESS at 0 % and return its record."""
        task_id = new_id()
        ts = now_ts()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO tasks (id, organization_id, name, type, status, created_at,"
                " updated_at, created_by, metadata, heartbeat_ts, runner)"
                " VALUES (?, ?, ?, ?, 'IN_PROGRESS', ?, ?, ?, ?, ?, ?)",
                (
                    task_id,
                    self.organization_id,
                    name,
                    type,
                    ts,
                    ts,
                    self.user_email,
                    dumps(dict(metadata)),
                    time.time(),
                    runner_identity(),
                ),
            )
        return self.get_task_record(task_id)

    def get_task_record(self, task_id: str) -> dict[str, Any]:
        """A task's record; :class:`NotFound` when there is none."""
        row = self._one(f"SELECT {_COLUMNS} FROM tasks WHERE id = ?", (task_id,), "task", task_id)
        out = dict(zip(_KEYS, row, strict=True))
        out["metadata"] = loads(out["metadata"])
        out["deleted"] = bool(out["deleted"])
        return out

    def list_task_records(self, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Every task, newest first."""
        sql = f"SELECT {_COLUMNS} FROM tasks"
        if not include_deleted:
            sql += " WHERE deleted = 0"
        out = []
        for row in self.conn.execute(sql + " ORDER BY created_at DESC, id DESC"):
            rec = dict(zip(_KEYS, row, strict=True))
            rec["metadata"] = loads(rec["metadata"])
            rec["deleted"] = bool(rec["deleted"])
            out.append(rec)
        return out

    def task_progress(
        self, task_id: str, *, rows_done: int, rows_planned: int | None, percentage: float
    ) -> None:
        """Record progress and a heartbeat (the runner calls this a few times a second)."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE tasks SET rows_done = ?, rows_planned = ?, completion_percentage = ?,"
                " heartbeat_ts = ?, updated_at = ? WHERE id = ? AND status IN"
                " ('IN_PROGRESS', 'CANCELLING')",
                (rows_done, rows_planned, percentage, time.time(), now_ts(), task_id),
            )

    def set_task_status(
        self,
        task_id: str,
        status: str,
        *,
        error: str | None = None,
        percentage: float | None = None,
    ) -> bool:
        """Move a task forward; returns False (and changes nothing) for a backward move."""
        if status not in TASK_STATUSES:
            raise InvalidInput(
                f"unknown task status {status!r}; allowed: {', '.join(TASK_STATUSES)}"
            )
        with self.db.transaction() as conn:
            row = conn.execute("SELECT status FROM tasks WHERE id = ?", (task_id,)).fetchone()
            if row is None or status not in _NEXT.get(row[0], set()):
                return False
            conn.execute(
                "UPDATE tasks SET status = ?, error = COALESCE(?, error), updated_at = ?,"
                " completion_percentage = COALESCE(?, completion_percentage) WHERE id = ?",
                (status, error, now_ts(), percentage, task_id),
            )
        return True

    def task_status(self, task_id: str) -> str:
        """The current status string of a task."""
        return str(
            self._one("SELECT status FROM tasks WHERE id = ?", (task_id,), "task", task_id)[0]
        )

    def delete_task(self, task_id: str) -> None:
        """Mark a task deleted (its streams are removed by the caller)."""
        self.get_task_record(task_id)
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE tasks SET deleted = 1, updated_at = ? WHERE id = ?", (now_ts(), task_id)
            )

    def orphaned_tasks(self, stale_after: float) -> list[dict[str, Any]]:
        """Unfinished tasks whose runner is gone: a process on this host that no longer exists,
        or, for a runner on another host, one whose heartbeat is older than ``stale_after``
        seconds. A live runner on this host is never declared dead, however slow its batch."""
        out = []
        now = time.time()
        host = socket.gethostname()
        for rec in self.list_task_records(include_deleted=True):
            if rec["status"] not in ("IN_PROGRESS", "CANCELLING"):
                continue
            runner = rec["runner"] or ""
            if runner.startswith(host + ":"):
                pid = int(runner.rsplit(":", 1)[1])
                if pid != os.getpid() and not _pid_alive(pid):
                    out.append(rec)
            elif (now - (rec["heartbeat_ts"] or 0)) > stale_after:
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
