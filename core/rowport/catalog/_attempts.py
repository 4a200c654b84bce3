"""The attempts of a task (each run of it: the first, then every resume) and the links of a
retry task to the task it retries: the part of the task store that resuming needs."""

from __future__ import annotations

import time
from typing import Any

import attrs

from rowport._time import now_ts
from rowport.catalog._db import Database
from rowport.catalog._protocols import TaskAttempt, TaskStatus

__all__ = ["SQLiteTaskHistory"]

_ATTEMPT_FIELDS = tuple(field.name for field in attrs.fields(TaskAttempt))
_RESUMABLE = (TaskStatus.FAILED.value, TaskStatus.CANCELED.value)


class SQLiteTaskHistory:
    """Task attempts and retry links as rows of ``task_attempts`` and ``task_links`` (the
    :class:`~rowport.catalog.TaskHistory` of the catalog, ``catalog.task_history``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def start_attempt(
        self, task_id: str, *, runner: str, resumed_from_row: int = 0, note: str | None = None
    ) -> int:
        """Record that a run of ``task_id`` starts now; returns its attempt number (1, 2...).

        An earlier attempt that never recorded its end (its process died) is closed as
        ``INTERRUPTED`` with the rows the task had recorded by then.
        """
        ts = now_ts()
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE task_attempts SET ended_at = ?, status = 'INTERRUPTED',"
                " rows_done = (SELECT rows_done FROM tasks WHERE id = ?)"
                " WHERE task_id = ? AND ended_at IS NULL",
                (ts, task_id, task_id),
            )
            (last,) = conn.execute(
                "SELECT COALESCE(MAX(attempt), 0) FROM task_attempts WHERE task_id = ?",
                (task_id,),
            ).fetchone()
            conn.execute(
                "INSERT INTO task_attempts (task_id, attempt, runner, started_at,"
                " resumed_from_row, note) VALUES (?, ?, ?, ?, ?, ?)",
                (task_id, last + 1, runner, ts, resumed_from_row, note),
            )
        return int(last) + 1

    def end_attempt(
        self, task_id: str, attempt: int, *, status: str, rows_done: int, note: str | None = None
    ) -> None:
        """Record how attempt ``attempt`` of ``task_id`` ended and how far it got."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE task_attempts SET ended_at = ?, status = ?, rows_done = ?,"
                " note = COALESCE(?, note) WHERE task_id = ? AND attempt = ?",
                (now_ts(), status, rows_done, note, task_id, attempt),
            )

    def list_attempts(self, task_id: str) -> list[TaskAttempt]:
        """Every attempt of ``task_id``, first first."""
        rows = self.db.conn.execute(
            f"SELECT {', '.join(_ATTEMPT_FIELDS)} FROM task_attempts WHERE task_id = ?"
            " ORDER BY attempt",
            (task_id,),
        ).fetchall()
        return [TaskAttempt(**dict(zip(_ATTEMPT_FIELDS, row, strict=True))) for row in rows]

    def reopen_task(self, task_id: str, *, runner: str) -> bool:
        """Move a FAILED or CANCELED task back to IN_PROGRESS, owned by ``runner`` and not yet
        taken up by a runner (a cancel before it starts ends it at once), to resume it; False
        (and nothing changes) when it is in any other status (someone else won)."""
        with self.db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE tasks SET status = ?, error = NULL, runner = ?, heartbeat_ts = ?,"
                " started_ts = NULL, updated_at = ? WHERE id = ? AND status IN (?, ?)",
                (TaskStatus.IN_PROGRESS.value, runner, time.time(), now_ts(), task_id, *_RESUMABLE),
            )
        return cursor.rowcount == 1

    def link_tasks(self, task_id: str, retry_id: str) -> None:
        """Record that ``retry_id`` re-runs failed rows of ``task_id`` (both directions)."""
        ts = now_ts()
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO task_links (task_id, linked_id, relation, created_at)"
                " VALUES (?, ?, ?, ?)",
                [(task_id, retry_id, "retry", ts), (retry_id, task_id, "retry_of", ts)],
            )

    def linked_tasks(self, task_id: str) -> dict[str, Any]:
        """``{"retry_of": id or None, "retries": [ids, oldest first]}`` of ``task_id``."""
        rows = self.db.conn.execute(
            "SELECT linked_id, relation FROM task_links WHERE task_id = ?"
            " ORDER BY created_at, rowid",
            (task_id,),
        ).fetchall()
        retry_of = next((linked for linked, relation in rows if relation == "retry_of"), None)
        return {
            "retry_of": retry_of,
            "retries": [linked for linked, relation in rows if relation == "retry"],
        }
