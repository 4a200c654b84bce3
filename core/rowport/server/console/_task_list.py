"""The tasks page: the newest :data:`LIST_LIMIT` tasks of the session's organization, filtered
by status and kind, and the event stream that keeps it live (a look every
:data:`LIST_EVERY` seconds).

Each look reads the tasks' records (one catalog query) but the streams' totals (two manifests
a task) only of tasks that have not ended, or whose record changed since the page last read
them: an ended task's totals are read once per open page (:class:`TaskRows`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import anyio.to_thread
import attrs
import orjson
from starlette.requests import Request
from starlette.responses import Response

from rowport.client import Client
from rowport.request import ExportKind
from rowport.server.console._access import CONSOLE_PREFIX, Access
from rowport.server.console._http import follow, page
from rowport.server.console._render import render
from rowport.server.console._session import Session
from rowport.server.console._views import stream_totals, task_kind, task_summary
from rowport.tasks import TaskStatus

__all__ = ["LIST_EVERY", "LIST_LIMIT", "TaskRows", "tasks", "tasks_events"]

LIST_EVERY = 0.5  # seconds between looks at the tasks page's tasks
LIST_LIMIT = 200  # the tasks page shows the newest ones


@attrs.define
class TaskRows:
    """The rows of one tasks page, looked at again and again.

    :param status: only tasks of this status (``""``: any).
    :param kind: only tasks of this export kind (``""``: any).
    """

    status: str = ""
    kind: str = ""
    #: the totals of ended tasks, by id, with the record's ``updated_at`` they were read at
    _ended: dict[str, tuple[str, dict[str, int]]] = attrs.field(factory=dict, init=False)

    def look(self, client: Client) -> list[dict[str, Any]]:
        """The page's rows now: :func:`~rowport.server.console._views.task_summary` of each
        of the newest :data:`LIST_LIMIT` tasks that the filters keep."""
        rows, ended = [], {}
        for task in client.get_tasks()[:LIST_LIMIT]:
            record = task._record
            if self.status and record.status.value != self.status:
                continue
            if self.kind and task_kind(task) != self.kind:
                continue
            known = self._ended.get(task.uid)
            if known is not None and known[0] == record.updated_at and record.status.is_final:
                totals = known[1]
            else:
                totals = stream_totals(task)
            if record.status.is_final:
                ended[task.uid] = (record.updated_at, totals)
            rows.append(task_summary(task, totals))
        self._ended = ended
        return rows


def _filters(request: Request) -> TaskRows:
    return TaskRows(request.query_params.get("status", ""), request.query_params.get("kind", ""))


async def tasks(access: Access, request: Request, session: Session) -> Response:
    """The tasks page, filtered by ``?status=`` and ``?kind=``."""
    rows = _filters(request)
    listed = await anyio.to_thread.run_sync(rows.look, access.client(session, request))
    query = f"?status={quote(rows.status)}&kind={quote(rows.kind)}"
    html = render(
        "tasks.html",
        title="Tasks",
        page="tasks",
        session=session,
        events=f"{CONSOLE_PREFIX}/events/tasks{query}",
        tasks=listed,
        limit=LIST_LIMIT,
        statuses=[s.value for s in TaskStatus],
        kinds=[k.value for k in ExportKind],
        status=rows.status,
        kind=rows.kind,
    )
    return page(html)


async def tasks_events(access: Access, request: Request, session: Session) -> Response:
    """The tasks page's rows as ``tasks`` events, whenever they change."""
    rows = _filters(request)
    client = access.client(session, request)

    async def look() -> tuple[bytes, bool]:
        listed = await anyio.to_thread.run_sync(rows.look, client)
        for row in listed:
            row.pop("age", None)  # changes every second: sent, but not a change
        return orjson.dumps(listed), False

    return follow(request, access.sessions, look, "tasks", LIST_EVERY)
