"""The console's routes: sign-in, the tasks, a task, its preview and downloads, the catalog.

Every route but sign-in and the static files needs a live session (:mod:`._access`): a page
without one redirects to the sign-in page, an event stream or a download answers 401. What a
session sees is its key's organization, through the same embedded client the API's routes use
(:func:`rowport.server._context`), so one organization's tasks never reach another's key. POST
forms carry the session's CSRF token (and the cookie is SameSite=Strict); a read-only key's
cancel, export or delivery is refused with the API's message.

The handlers live by page: :mod:`._signin`, :mod:`._task_list`, :mod:`._task_page` and
:mod:`._task_actions`, :mod:`._catalog_page`, :mod:`._files`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rowport.server._streams import PREFIX, stream_routes
from rowport.server.console._access import (
    CONSOLE_PREFIX,
    Access,
    Endpoint,
    Handler,
    guarded,
    open_to_all,
)
from rowport.server.console._catalog_page import catalog, export
from rowport.server.console._files import byte_range, static
from rowport.server.console._http import see
from rowport.server.console._session import Sessions
from rowport.server.console._signin import signin, signin_page, signout
from rowport.server.console._task_actions import cancel, deliver
from rowport.server.console._task_list import tasks, tasks_events
from rowport.server.console._task_page import preview, report, task, task_events

__all__ = ["console_routes"]


async def _home(request: Request) -> Response:
    return see(f"{CONSOLE_PREFIX}/tasks")


def console_routes(sessions: Sessions) -> list[BaseRoute]:
    """The console's routes (absolute paths): ``/`` redirects to it."""
    access = Access(sessions)
    streams = stream_routes(access.resolve_task, prefix=CONSOLE_PREFIX + PREFIX)
    content = next(r for r in streams if isinstance(r, Route) and r.path.endswith("/content"))

    def shown(handler: Handler) -> Endpoint:
        return guarded(access, handler, is_page=True)

    def answered(handler: Handler) -> Endpoint:
        return guarded(access, handler, is_page=False)  # 401, not a redirect

    p = CONSOLE_PREFIX
    one = f"{p}/tasks/{{task_id}}"
    table: list[tuple[str, Endpoint, str]] = [
        ("/", _home, "GET"),
        (p, _home, "GET"),
        (f"{p}/", _home, "GET"),
        (f"{p}/static/{{name}}", static, "GET"),
        (f"{p}/signin", open_to_all(access, signin_page), "GET"),
        (f"{p}/signin", open_to_all(access, signin), "POST"),
        (f"{p}/signout", answered(signout), "POST"),
        (f"{p}/tasks", shown(tasks), "GET"),
        (f"{p}/events/tasks", answered(tasks_events), "GET"),
        (one, shown(task), "GET"),
        (f"{one}/events", answered(task_events), "GET"),
        (f"{one}/report", answered(report), "GET"),
        (f"{one}/preview", shown(preview), "GET"),
        (f"{one}/range", answered(byte_range(content.endpoint)), "GET"),
        (f"{one}/cancel", shown(cancel), "POST"),
        (f"{one}/deliver", shown(deliver), "POST"),
        (f"{p}/catalog", shown(catalog), "GET"),
        (f"{p}/export", shown(export), "POST"),
    ]
    return [Route(path, endpoint, methods=[method]) for path, endpoint, method in table] + streams
