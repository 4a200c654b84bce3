"""Export tasks of a remote client: records, lists, starts and cancels over HTTP.

:class:`RemoteTaskManager` is the :class:`~rowport.tasks._control.TaskControl` a remote
:class:`~rowport.tasks.ExportTask` acts through, so the handle is the same class as the
embedded one: ``status``, ``progress()``, ``wait_till_done()`` and ``cancel()`` read and write
the task over the API (there is no in-process event, so waiting polls the record).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rowport.api._records import task_from_json
from rowport.catalog import TaskRecord
from rowport.errors import RowportError
from rowport.remote._session import ApiSession
from rowport.request import ExportKind
from rowport.tasks import ExportTask

__all__ = ["RemoteTaskManager", "RemoteTaskRecords"]


class RemoteTaskRecords:
    """Task records read over the API (``GET /tasks/{id}``)."""

    def __init__(self, session: ApiSession) -> None:
        self.session = session

    def get_task(self, task_id: str) -> TaskRecord:
        """The task's record; NotFound (from the server's 404) when there is none."""
        return task_from_json(self.session.call("tasks.get", {"task_id": task_id}))


class RemoteTaskManager:
    """The tasks of a ``rowport serve`` organization, as a remote client sees them."""

    def __init__(self, session: ApiSession) -> None:
        self.session = session
        self._records = RemoteTaskRecords(session)

    @property
    def tasks(self) -> RemoteTaskRecords:
        """Where task records are read."""
        return self._records

    def done_event(self, task_id: str) -> threading.Event | None:
        """None: the runner is in the server's process, so a waiter polls."""
        return None

    def recover_orphans(self) -> list[str]:
        """Nothing to do here: the server recovers its own orphans."""
        return []

    def stream_dir(self, task_id: str, name: str) -> Path:
        """A remote task's streams are not local files."""
        raise RowportError(
            f"task {task_id} runs on {self.session.url}: its {name} stream is read over HTTP"
        )

    def _task(self, data: Mapping[str, Any], client: Any) -> ExportTask:
        record = task_from_json(data)
        return ExportTask(self, record.id, client=client, record=record)

    def get(self, task_id: str, *, client: Any = None) -> ExportTask:
        """A handle on the server's task ``task_id`` (NotFound if the key's organization has
        none)."""
        return self._task(self.session.call("tasks.get", {"task_id": task_id}), client)

    def list(self, *, client: Any = None) -> list[ExportTask]:
        """Every task of the key's organization, newest first."""
        return [self._task(data, client) for data in self.session.call("tasks.list", {})]

    def cancel(self, task_id: str) -> bool:
        """Ask the task to stop; False when it had already finished."""
        return bool(self.session.call("tasks.cancel", {"task_id": task_id})["accepted"])

    def start_export(
        self,
        kind: ExportKind,
        scope_ids: Sequence[str],
        arguments: Mapping[str, Any],
        *,
        client: Any = None,
    ) -> ExportTask:
        """Start an export on the server (it validates the request as an embedded client
        does, answering 4xx before any task exists)."""
        body = {"kind": kind.value, "scope_ids": list(scope_ids), **arguments}
        return self._task(self.session.call("exports.start", body), client)

    def start_probe(
        self,
        kind: ExportKind,
        scope_ids: Sequence[str],
        arguments: Mapping[str, Any],
        *,
        client: Any = None,
    ) -> ExportTask:
        """Start a media probe on the server."""
        body = {"kind": kind.value, "scope_ids": list(scope_ids), **arguments}
        return self._task(self.session.call("probes.start", body), client)

    def shutdown(self, *, wait: bool = True, cancel_running: bool = False) -> None:
        """Nothing runs here: the server's exports go on after the client closes."""
