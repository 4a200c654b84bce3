"""Export tasks of a remote client: started, found, listed and canceled over HTTP.

The handles are the same :class:`~rowport.tasks.ExportTask` as embedded, over the
:class:`~rowport.tasks._remote.RemoteTaskBackend` (records, cancel and streams over the API).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rowport.errors import NotFound
from rowport.formats import ConversionReport, OutputTarget, report_from_dict, unpack_download
from rowport.remote._session import ApiSession
from rowport.request import ExportKind
from rowport.tasks import ExportTask
from rowport.tasks._remote import CHUNK_SIZE, RemoteTaskBackend

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

    # -- formats the server writes into a task's folder ------------------------------------

    def convert(
        self,
        task_id: str,
        format: str,
        output: str | Path,
        options: Mapping[str, Any] | None = None,
        *,
        strict: bool = False,
        overwrite: bool = False,
    ) -> ConversionReport:
        """Convert the task on the server (``POST /tasks/{id}/convert``), then download the
        output to ``output`` (a directory or a ``.zip``); the report, naming ``output``."""
        OutputTarget(Path(output), overwrite=overwrite).check()  # before the server works
        body = {"task_id": task_id, "format": format, "options": options, "strict": strict}
        report = self.session.call("tasks.convert", body)
        return self.download(task_id, format, output, overwrite=overwrite, report=report)

    def format_reports(self, task_id: str) -> builtins.list[dict[str, Any]]:
        """The formats the server wrote for the task (``GET /tasks/{id}/formats``)."""
        reports: builtins.list[dict[str, Any]] = self.session.call(
            "tasks.formats", {"task_id": task_id}
        )
        return reports

    def download(
        self,
        task_id: str,
        format: str,
        output: str | Path,
        *,
        overwrite: bool = False,
        report: Mapping[str, Any] | None = None,
    ) -> ConversionReport:
        """Download the format the server wrote for the task
        (``GET /tasks/{id}/formats/{name}``) to ``output``; its report, naming ``output``."""
        if report is None:
            found = [r for r in self.format_reports(task_id) if r.get("format") == format]
            if not found:
                raise NotFound("format", format)
            report = found[0]
        local = report_from_dict(report, Path(output).expanduser().absolute())
        path = f"/tasks/{quote(task_id, safe='')}/formats/{quote(format, safe='')}"

        def fetch(into: Path) -> None:
            with self.session.api.get(path, stream=True) as response, into.open("wb") as out:
                for chunk in response.iter_content(CHUNK_SIZE):
                    out.write(chunk)

        unpack_download(fetch, output, local, overwrite=overwrite)
        return local
