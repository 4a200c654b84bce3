"""Export tasks of a remote client: started, found, listed and canceled over HTTP.

The handles are the same :class:`~rowport.tasks.ExportTask` as embedded, over the
:class:`~rowport.tasks._remote.RemoteTaskBackend` (records, cancel and streams over the API).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rowport.remote._session import ApiSession
from rowport.request import ExportKind
from rowport.tasks import ExportTask
from rowport.tasks._remote import RemoteTaskBackend

__all__ = ["RemoteTaskManager"]


class RemoteTaskManager:
    """The tasks of a ``rowport serve`` organization, as a remote client sees them."""

    def __init__(self, session: ApiSession) -> None:
        self.session = session
        self.backend = RemoteTaskBackend(session.api)

    def _task(self, data: Mapping[str, Any], client: Any) -> ExportTask:
        return ExportTask(self.backend, str(data["id"]), client=client)

    def get(self, task_id: str, *, client: Any = None) -> ExportTask:
        """A handle on the task ``task_id`` (NotFound when the key's organization has none)."""
        return ExportTask(self.backend, task_id, client=client)

    def list(self, *, client: Any = None) -> list[ExportTask]:
        """Every task of the key's organization, newest first."""
        return [self._task(data, client) for data in self.session.call("tasks.list", {})]

    def cancel(self, task_id: str) -> bool:
        """Ask the task to stop; False when it had already finished."""
        return self.backend.cancel(task_id)

    def start(
        self,
        operation: str,
        kind: ExportKind,
        scope_ids: Sequence[str],
        arguments: Mapping[str, Any],
        *,
        client: Any,
    ) -> ExportTask:
        """Start an export (``exports.start``) or a media probe (``probes.start``) on the
        server, which checks it as an embedded client does (4xx before any task exists)."""
        body = {"kind": kind.value, "scope_ids": list(scope_ids), **arguments}
        return self._task(self.session.call(operation, body), client)
