"""A task's page (live while it runs), its report download and its stream preview."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import Response

from rowport.client import Client
from rowport.server._streams import TaskStreams
from rowport.server.console._access import CONSOLE_PREFIX, Access
from rowport.server.console._http import follow, page, report_response
from rowport.server.console._render import render, render_report
from rowport.server.console._session import Session
from rowport.server.console._views import preview_lines, task_progress, task_view
from rowport.streams import StreamReader
from rowport.tasks import ExportTask, TaskStatus

__all__ = [
    "EVENT_EVERY",
    "PREVIEW_LINES",
    "preview",
    "report",
    "report_html",
    "task",
    "task_events",
]

PREVIEW_LINES = 10
EVENT_EVERY = 0.25  # seconds between looks at a task while following it
_NOTICES = {  # what a form that redirected to the task page did
    "cancel": "Cancel asked: the export stops after the batch it is in.",
    "ended": "The task had already ended: nothing to cancel.",
}


def report_html(client: Client, task: ExportTask) -> str:
    """``task``'s report (an embedded task of ``client``) as one self-contained HTML file."""
    return render_report(task_view(client, task))


async def task(access: Access, request: Request, session: Session, **extra: Any) -> Response:
    """The task page; ``extra`` may carry a ``message`` (with its ``status``) or a ``notice``
    from a form that came back to it."""
    client = access.client(session, request)
    found = await access.task(request)
    view = await anyio.to_thread.run_sync(task_view, client, found)
    final = TaskStatus(view.task["status"]).is_final
    html = render(
        "task.html",
        title=view.task["name"],
        page="tasks",
        session=session,
        events=None if final else f"{CONSOLE_PREFIX}/tasks/{found.uid}/events",
        view=view,
        final=final,
        sinks=sorted(client.plugins.sink_factories()) if final else [],
        message=extra.get("message"),
        notice=extra.get("notice") or _NOTICES.get(request.query_params.get("notice", "")),
    )
    return page(html, extra.get("status", 200))


async def task_events(access: Access, request: Request, session: Session) -> Response:
    """A running task's progress as ``task`` events, ``end`` once it has ended."""
    found = await access.task(request)

    async def look() -> tuple[bytes, bool]:
        data = await anyio.to_thread.run_sync(task_progress, found)
        data["task"].pop("age", None)
        return orjson.dumps(data), bool(data["final"])

    return follow(request, access.sessions, look, "task", EVENT_EVERY)


async def report(access: Access, request: Request, session: Session) -> Response:
    """The task's report as a download."""
    client = access.client(session, request)
    found = await access.task(request)
    html = await anyio.to_thread.run_sync(report_html, client, found)
    return report_response(html, found.uid)


async def preview(access: Access, request: Request, session: Session) -> Response:
    """:data:`PREVIEW_LINES` lines of a stream from ``?line=`` (``?stream=`` result or
    errors), pretty-printed; a line past the end shows the last ones with a message (400)."""
    found = await access.task(request)
    stream = request.query_params.get("stream", "result")
    if stream not in ("result", "errors"):
        stream = "result"
    reader = StreamReader(TaskStreams.of(found).folder / stream)
    message = None
    text = request.query_params.get("line", "0").strip() or "0"
    line = int(text) if text.isdigit() and text.isascii() else 0
    if str(line) != text:
        message = f"line must be a whole number >= 0, got {text!r}"
    elif line >= reader.total_lines > 0:
        message = f"line {line} is past the end: the stream has {reader.total_lines} lines"
        line = max(reader.total_lines - PREVIEW_LINES, 0)
    lines = await anyio.to_thread.run_sync(preview_lines, reader, line, PREVIEW_LINES)
    html = render(
        "preview.html",
        title=f"{found.name} preview",
        page="tasks",
        session=session,
        events=None,
        task={"id": found.uid, "name": found.name},
        stream=stream,
        line=line,
        size=PREVIEW_LINES,
        total=reader.total_lines,
        lines=lines,
        message=message,
    )
    return page(html, 400 if message else 200)
