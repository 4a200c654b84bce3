"""The console's routes: sign-in, the tasks, a task, its preview and downloads, the catalog.

Every route but sign-in and the static files needs a live session (:mod:`._session`): a page
without one redirects to the sign-in page, an event stream or a download answers 401. What a
session sees is its key's organization, through the same embedded client the API's routes use
(:func:`rowport.server._context`), so one organization's tasks never reach another's key. POST
forms carry the session's CSRF token (and the cookie is SameSite=Strict); a read-only key's
cancel, export or delivery is refused with the API's message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rowport.api import error_status, operation, wire_error
from rowport.client import Client
from rowport.errors import RowportError
from rowport.request import ExportKind
from rowport.server._context import check_id, server_state
from rowport.server._errors import ApiError, error_response
from rowport.server._handlers import call_operation
from rowport.server._streams import StreamError, TaskStreams, stream_routes
from rowport.server.console._http import follow, json_field, page, read_form, report_response, see
from rowport.server.console._render import STATIC_FILES, render, render_report, static_bytes
from rowport.server.console._session import COOKIE, Session, Sessions
from rowport.server.console._views import (
    preview_lines,
    task_progress,
    task_summary,
    task_view,
)
from rowport.streams import StreamReader
from rowport.tasks import ExportTask, TaskStatus

__all__ = ["CONSOLE_PREFIX", "console_routes", "report_html"]

CONSOLE_PREFIX = "/console"
PREVIEW_LINES = 10
EVENT_EVERY = 0.25  # seconds between looks at a task while following it
LIST_EVERY = 0.5  # seconds between looks at the tasks page's tasks
LIST_LIMIT = 200  # the tasks page shows the newest ones
_CATALOG = (  # (records_of kind, title, export kind)
    ("datasets", "Datasets", ExportKind.DATASET),
    ("projects", "Projects", ExportKind.PROJECT),
    ("model-runs", "Model runs", ExportKind.MODEL_RUN),
    ("slices", "Slices", ExportKind.SLICE),
)


_NOTICES = {  # what a form that redirected to the task page did
    "cancel": "Cancel asked: the export stops after the batch it is in.",
    "ended": "The task had already ended: nothing to cancel.",
}


class _SignedOut(Exception):
    """No live session: a page redirects to sign-in, anything else answers 401."""


def report_html(client: Client, task: ExportTask) -> str:
    """``task``'s report (an embedded task of ``client``) as one self-contained HTML file."""
    return render_report(task_view(client, task))


class _Console:
    """The console's handlers: each takes the request and its live session (see
    :func:`_guarded`) and acts on the embedded client of the session's organization."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    # -- who is asking ----------------------------------------------------------------------

    def session(self, request: Request) -> Session:
        session = self.sessions.get(request.cookies.get(COOKIE))
        if session is None:
            raise _SignedOut
        return session

    def client(self, session: Session, request: Request) -> Client:
        return server_state(request).organizations.client(session.key.organization)

    def resolve_task(self, request: Request, task_id: str) -> ExportTask:
        """The session's organization's task (for the stream routes); 401 without one."""
        try:
            session = self.session(request)
        except _SignedOut:
            raise ApiError(401, "unauthorized", "sign in to the console first") from None
        return self.client(session, request).get_task(check_id(task_id, "task"))

    async def form(self, request: Request, session: Session) -> dict[str, str]:
        fields = await read_form(request)
        if not session.check_csrf(fields.get("csrf")):
            raise ApiError(403, "forbidden", "the form's CSRF token is missing or stale")
        return fields

    # -- sign-in ----------------------------------------------------------------------------

    async def signin_page(self, request: Request) -> Response:
        return page(
            render("signin.html", title="Sign in", page="", session=None, events=None, message=None)
        )

    async def signin(self, request: Request) -> Response:
        fields = await read_form(request)
        made = self.sessions.sign_in(fields.get("token", ""))
        if made is None:
            html = render(
                "signin.html",
                title="Sign in",
                page="",
                session=None,
                events=None,
                message="That key is unknown or was revoked.",
            )
            return page(html, 401)
        session_id, _ = made
        response = see(f"{CONSOLE_PREFIX}/tasks")
        response.set_cookie(
            COOKIE,
            session_id,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    async def signout(self, request: Request, session: Session) -> Response:
        await self.form(request, session)
        self.sessions.sign_out(request.cookies.get(COOKIE))
        response = see(f"{CONSOLE_PREFIX}/signin")
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    # -- tasks ------------------------------------------------------------------------------

    def summaries(self, client: Client, status: str, kind: str) -> list[dict[str, Any]]:
        """The rows of the tasks page: the newest :data:`LIST_LIMIT` tasks, filtered."""
        rows = [task_summary(task) for task in client.get_tasks()[:LIST_LIMIT]]
        return [
            r
            for r in rows
            if (not status or r["status"] == status) and (not kind or r["kind"] == kind)
        ]

    async def tasks(self, request: Request, session: Session) -> Response:
        status = request.query_params.get("status", "")
        kind = request.query_params.get("kind", "")
        client = self.client(session, request)
        rows = await anyio.to_thread.run_sync(self.summaries, client, status, kind)
        query = f"?status={quote(status)}&kind={quote(kind)}"
        html = render(
            "tasks.html",
            title="Tasks",
            page="tasks",
            session=session,
            events=f"{CONSOLE_PREFIX}/events/tasks{query}",
            tasks=rows,
            limit=LIST_LIMIT,
            statuses=[s.value for s in TaskStatus],
            kinds=[k.value for k in ExportKind],
            status=status,
            kind=kind,
        )
        return page(html)

    async def tasks_events(self, request: Request, session: Session) -> Response:
        status = request.query_params.get("status", "")
        kind = request.query_params.get("kind", "")
        client = self.client(session, request)

        async def look() -> tuple[bytes, bool]:
            rows = await anyio.to_thread.run_sync(self.summaries, client, status, kind)
            for row in rows:
                row.pop("age", None)  # changes every second: sent, but not a change
            return orjson.dumps(rows), False

        return follow(request, self.sessions, look, "tasks", LIST_EVERY)

    async def task(self, request: Request, session: Session, **extra: Any) -> Response:
        client = self.client(session, request)
        task = await anyio.to_thread.run_sync(
            self.resolve_task, request, request.path_params["task_id"]
        )
        view = await anyio.to_thread.run_sync(task_view, client, task)
        final = TaskStatus(view.task["status"]).is_final
        html = render(
            "task.html",
            title=view.task["name"],
            page="tasks",
            session=session,
            events=None if final else f"{CONSOLE_PREFIX}/tasks/{task.uid}/events",
            view=view,
            final=final,
            sinks=sorted(client.plugins.sink_factories()) if final else [],
            message=extra.get("message"),
            notice=extra.get("notice") or _NOTICES.get(request.query_params.get("notice", "")),
        )
        return page(html, extra.get("status", 200))

    async def task_events(self, request: Request, session: Session) -> Response:
        task = await anyio.to_thread.run_sync(
            self.resolve_task, request, request.path_params["task_id"]
        )

        async def look() -> tuple[bytes, bool]:
            data = await anyio.to_thread.run_sync(task_progress, task)
            data["task"].pop("age", None)
            return orjson.dumps(data), bool(data["final"])

        return follow(request, self.sessions, look, "task", EVENT_EVERY)

    async def report(self, request: Request, session: Session) -> Response:
        client = self.client(session, request)
        task = await anyio.to_thread.run_sync(
            self.resolve_task, request, request.path_params["task_id"]
        )
        html = await anyio.to_thread.run_sync(report_html, client, task)
        return report_response(html, task.uid)

    async def preview(self, request: Request, session: Session) -> Response:
        task = await anyio.to_thread.run_sync(
            self.resolve_task, request, request.path_params["task_id"]
        )
        stream = request.query_params.get("stream", "result")
        if stream not in ("result", "errors"):
            stream = "result"
        reader = StreamReader(_task_folder(task) / stream)
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
            title=f"{task.name} preview",
            page="tasks",
            session=session,
            events=None,
            task={"id": task.uid, "name": task.name},
            stream=stream,
            line=line,
            size=PREVIEW_LINES,
            total=reader.total_lines,
            lines=lines,
            message=message,
        )
        return page(html, 400 if message else 200)

    async def cancel(self, request: Request, session: Session) -> Response:
        await self.form(request, session)
        task_id = request.path_params["task_id"]
        try:
            self._writable(session)
            client = self.client(session, request)
            task = await anyio.to_thread.run_sync(self.resolve_task, request, task_id)
            accepted = await anyio.to_thread.run_sync(client.cancel_task, task.uid)
        except ApiError as refused:
            return await self.task(request, session, message=refused.message, status=refused.status)
        ended = "cancel" if accepted else "ended"
        return see(f"{CONSOLE_PREFIX}/tasks/{task.uid}?notice={ended}")

    async def deliver(self, request: Request, session: Session) -> Response:
        fields = await self.form(request, session)
        try:
            self._writable(session)
            client = self.client(session, request)
            task = await anyio.to_thread.run_sync(
                self.resolve_task, request, request.path_params["task_id"]
            )
            options = json_field(fields, "options")
            report = await anyio.to_thread.run_sync(
                client.deliver, task.uid, fields.get("sink", ""), options
            )
        except (ApiError, RowportError, ValueError) as refused:
            message = refused.message if isinstance(refused, ApiError) else str(refused)
            return await self.task(request, session, message=message, status=422)
        if not report.ok:
            failed = f"sink {report.sink} failed: {report.error}"
            return await self.task(request, session, message=failed, status=502)
        delivered = (
            f"Delivered {report.lines_delivered:,} lines in {report.parts_delivered:,} part(s)"
            f" to sink {report.sink}."
        )
        return await self.task(request, session, notice=delivered)

    def _writable(self, session: Session) -> None:
        if session.read_only:
            key = session.key
            raise ApiError(
                403,
                "forbidden",
                f"key {key.id} ({key.name}) is read-only: it cannot change anything",
            )

    # -- the catalog and its export forms ---------------------------------------------------

    def catalog_sections(self, client: Client) -> list[dict[str, Any]]:
        from rowport.cli._ls import records_of

        return [
            {
                "kind": kind,
                "title": title,
                "export_kind": export.value,
                "records": records_of(client, kind),
            }
            for kind, title, export in _CATALOG
        ]

    async def catalog(
        self, request: Request, session: Session, form: dict[str, Any] | None = None
    ) -> Response:
        client = self.client(session, request)
        sections = await anyio.to_thread.run_sync(self.catalog_sections, client)
        html = render(
            "catalog.html",
            title="Catalog",
            page="catalog",
            session=session,
            events=None,
            sections=sections,
            form=form,
        )
        return page(html, 422 if form else 200)

    async def export(self, request: Request, session: Session) -> Response:
        """Start an export from a catalog form: the body ``POST /api/v1/exports`` would get,
        run through the same operation (same checks, same messages)."""
        fields = await self.form(request, session)
        try:
            self._writable(session)
            args = {
                "kind": fields.get("kind", ""),
                "scope_ids": [fields.get("scope_id", "")],
                "params": json_field(fields, "params"),
                "filters": json_field(fields, "filters"),
                "task_name": fields.get("task_name") or None,
            }
            client = self.client(session, request)
            started = await anyio.to_thread.run_sync(
                call_operation, operation("exports.start"), client, args
            )
        except (ApiError, RowportError) as refused:
            message = refused.message if isinstance(refused, ApiError) else wire_error(refused)[1]
            form = {**fields, "message": message}
            return await self.catalog(request, session, form=form)
        return see(f"{CONSOLE_PREFIX}/tasks/{started['id']}")

    # -- downloads --------------------------------------------------------------------------

    async def byte_range(self, request: Request, session: Session) -> Response:
        """A byte range of a stream as a download link can ask it (``?start=&end=``): the
        stream route's ``Range: bytes=start-end`` answer."""
        stream = request.query_params.get("stream", "result")
        start, end = request.query_params.get("start", ""), request.query_params.get("end", "")
        headers = [(k, v) for k, v in request.scope["headers"] if k != b"range"]
        headers.append((b"range", f"bytes={start}-{end}".encode("latin-1", "replace")))
        scope = {
            **request.scope,
            "headers": headers,
            "query_string": b"",
            "path_params": {**request.path_params, "stream": stream},
        }
        ranged = Request(scope, request.receive)
        response = await self.content(ranged)
        name = f"{request.path_params['task_id']}-{stream}-{start}-{end}.ndjson"
        response.headers["Content-Disposition"] = f'attachment; filename="{quote(name)}"'
        return response

    # the stream routes' /content endpoint (set by console_routes, which makes them)
    content: Callable[[Request], Awaitable[Response]]

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_FILES:
            return error_response(404, "not_found", f"no such file: {name}")
        headers = {"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"}
        return Response(static_bytes(name), media_type=STATIC_FILES[name], headers=headers)


def _task_folder(task: ExportTask) -> Path:
    return TaskStreams.of(task).folder


def _guarded(
    console: _Console, handler: Callable[..., Awaitable[Response]], *, is_page: bool
) -> Callable[[Request], Awaitable[Response]]:
    """``handler(request, session)``; without a live session a page redirects to sign-in
    and anything else answers 401."""

    async def endpoint(request: Request) -> Response:
        try:
            session = console.session(request)
        except _SignedOut:
            if is_page and request.method == "GET":
                return see(f"{CONSOLE_PREFIX}/signin")
            return error_response(401, "unauthorized", "sign in to the console first")
        request.state.key = session.key  # the access log names the session's key
        try:
            return await handler(request, session)
        except StreamError as exc:
            return exc.response()
        except (ApiError, RowportError) as exc:
            if not is_page:
                raise
            if isinstance(exc, ApiError):
                status, message = exc.status, exc.message
            else:
                code, message = wire_error(exc)
                status = error_status(code)
            html = render(
                "message.html",
                title="Refused",
                page="",
                session=session,
                events=None,
                message=message,
            )
            return page(html, status)

    endpoint.__name__ = handler.__name__
    return endpoint


def console_routes(sessions: Sessions) -> list[BaseRoute]:
    """The console's routes (absolute paths): ``/`` redirects to it."""
    console = _Console(sessions)
    prefix = "/tasks/{task_id}/streams/{stream}"
    streams = stream_routes(console.resolve_task, prefix=CONSOLE_PREFIX + prefix)
    content = next(r for r in streams if isinstance(r, Route) and r.path.endswith("/content"))
    console.content = content.endpoint
    p, c = CONSOLE_PREFIX, console

    def guarded(handler: Callable[..., Awaitable[Response]]) -> Any:
        return _guarded(console, handler, is_page=True)

    def answered(handler: Callable[..., Awaitable[Response]]) -> Any:
        return _guarded(console, handler, is_page=False)  # 401, not a redirect

    async def home(request: Request) -> Response:
        return see(f"{CONSOLE_PREFIX}/tasks")

    task = f"{p}/tasks/{{task_id}}"
    return [
        Route("/", home, methods=["GET"]),
        Route(p, home, methods=["GET"]),
        Route(f"{p}/", home, methods=["GET"]),
        Route(f"{p}/static/{{name}}", c.static, methods=["GET"]),
        Route(f"{p}/signin", c.signin_page, methods=["GET"]),
        Route(f"{p}/signin", c.signin, methods=["POST"]),
        Route(f"{p}/signout", answered(c.signout), methods=["POST"]),
        Route(f"{p}/tasks", guarded(c.tasks), methods=["GET"]),
        Route(f"{p}/events/tasks", answered(c.tasks_events), methods=["GET"]),
        Route(task, guarded(c.task), methods=["GET"]),
        Route(f"{task}/events", answered(c.task_events), methods=["GET"]),
        Route(f"{task}/report", answered(c.report), methods=["GET"]),
        Route(f"{task}/preview", guarded(c.preview), methods=["GET"]),
        Route(f"{task}/range", answered(c.byte_range), methods=["GET"]),
        Route(f"{task}/cancel", guarded(c.cancel), methods=["POST"]),
        Route(f"{task}/deliver", guarded(c.deliver), methods=["POST"]),
        Route(f"{p}/catalog", guarded(c.catalog), methods=["GET"]),
        Route(f"{p}/export", guarded(c.export), methods=["POST"]),
        *streams,
    ]
