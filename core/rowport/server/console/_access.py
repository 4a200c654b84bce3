"""Who is asking the console: the live session of a request, its organization's embedded
client and tasks, CSRF-checked forms, and the guard every handler but sign-in runs behind.

A handler is ``handler(access, request, session)``; :func:`guarded` makes it an endpoint that,
without a live session, redirects a page to sign-in and answers anything else 401, and shows a
page's refusal (an :class:`~rowport.server._errors.ApiError` or a
:class:`~rowport.errors.RowportError`) as a message page with the API's status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio.to_thread
import attrs
from starlette.requests import Request
from starlette.responses import Response

from rowport.api import error_status, wire_error
from rowport.client import Client
from rowport.errors import RowportError
from rowport.server._context import check_id, server_state
from rowport.server._errors import ApiError, error_response
from rowport.server._streams import StreamError
from rowport.server.console._http import page, read_form, see
from rowport.server.console._render import render
from rowport.server.console._session import COOKIE, Session, Sessions
from rowport.tasks import ExportTask

__all__ = ["CONSOLE_PREFIX", "Access", "Endpoint", "Handler", "SignedOut", "guarded", "open_to_all"]

CONSOLE_PREFIX = "/console"

Endpoint = Callable[[Request], Awaitable[Response]]


class SignedOut(Exception):
    """No live session: a page redirects to sign-in, anything else answers 401."""


@attrs.frozen
class Access:
    """The console's sessions, and what a request's session may reach through them."""

    sessions: Sessions

    def session(self, request: Request) -> Session:
        """The request's live session.

        :raises SignedOut: it has none."""
        session = self.sessions.get(request.cookies.get(COOKIE))
        if session is None:
            raise SignedOut
        return session

    def client(self, session: Session, request: Request) -> Client:
        """The embedded client of the session's organization."""
        return server_state(request).organizations.client(session.key.organization)

    def resolve_task(self, request: Request, task_id: str) -> ExportTask:
        """The session's organization's task (also for the stream routes); 401 without one."""
        try:
            session = self.session(request)
        except SignedOut:
            raise ApiError(401, "unauthorized", "sign in to the console first") from None
        return self.client(session, request).get_task(check_id(task_id, "task"))

    async def task(self, request: Request) -> ExportTask:
        """The task of the request's ``{task_id}``, resolved in a worker thread."""
        task_id = request.path_params["task_id"]
        task: ExportTask = await anyio.to_thread.run_sync(self.resolve_task, request, task_id)
        return task

    async def form(self, request: Request, session: Session) -> dict[str, str]:
        """The request's form, once its CSRF token is the session's (else 403)."""
        fields = await read_form(request)
        if not session.check_csrf(fields.get("csrf")):
            raise ApiError(403, "forbidden", "the form's CSRF token is missing or stale")
        return fields

    def writable(self, session: Session) -> None:
        """Nothing, for a key that may change things; a 403 for a read-only one."""
        if session.read_only:
            key = session.key
            raise ApiError(
                403,
                "forbidden",
                f"key {key.id} ({key.name}) is read-only: it cannot change anything",
            )


Handler = Callable[[Access, Request, Session], Awaitable[Response]]


def guarded(access: Access, handler: Handler, *, is_page: bool) -> Endpoint:
    """``handler(access, request, session)`` as an endpoint; without a live session a page
    redirects to sign-in and anything else answers 401."""

    async def endpoint(request: Request) -> Response:
        try:
            session = access.session(request)
        except SignedOut:
            if is_page and request.method == "GET":
                return see(f"{CONSOLE_PREFIX}/signin")
            return error_response(401, "unauthorized", "sign in to the console first")
        request.state.key = session.key  # the access log names the session's key
        try:
            return await handler(access, request, session)
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


def open_to_all(
    access: Access, handler: Callable[[Access, Request], Awaitable[Response]]
) -> Endpoint:
    """``handler(access, request)`` as an endpoint that needs no session (sign-in)."""

    async def endpoint(request: Request) -> Response:
        return await handler(access, request)

    endpoint.__name__ = handler.__name__
    return endpoint
