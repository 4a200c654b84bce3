"""The task page's forms: cancel a running export, re-deliver a finished one to a sink.

Both are CSRF-checked, refused for a read-only key, and come back to the task page with what
happened (a notice) or why not (a message with the API's status).
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from rowport.errors import RowportError
from rowport.server._errors import ApiError
from rowport.server.console._access import CONSOLE_PREFIX, Access
from rowport.server.console._http import json_field, see
from rowport.server.console._session import Session
from rowport.server.console._task_page import task

__all__ = ["cancel", "deliver"]


async def cancel(access: Access, request: Request, session: Session) -> Response:
    """Ask the task to stop; back to its page saying whether it was still running."""
    await access.form(request, session)
    try:
        access.writable(session)
        client = access.client(session, request)
        found = await access.task(request)
        accepted = await anyio.to_thread.run_sync(client.cancel_task, found.uid)
    except ApiError as refused:
        return await task(access, request, session, message=refused.message, status=refused.status)
    ended = "cancel" if accepted else "ended"
    return see(f"{CONSOLE_PREFIX}/tasks/{found.uid}?notice={ended}")


async def deliver(access: Access, request: Request, session: Session) -> Response:
    """Deliver the finished task's RESULT stream to the form's sink (with its options)."""
    fields = await access.form(request, session)
    try:
        access.writable(session)
        client = access.client(session, request)
        found = await access.task(request)
        options = json_field(fields, "options")
        delivered = await anyio.to_thread.run_sync(
            client.deliver, found.uid, fields.get("sink", ""), options
        )
    except (ApiError, RowportError, ValueError) as refused:
        message = refused.message if isinstance(refused, ApiError) else str(refused)
        return await task(access, request, session, message=message, status=422)
    if not delivered.ok:
        failed = f"sink {delivered.sink} failed: {delivered.error}"
        return await task(access, request, session, message=failed, status=502)
    notice = (
        f"Delivered {delivered.lines_delivered:,} lines in {delivered.parts_delivered:,}"
        f" part(s) to sink {delivered.sink}."
    )
    return await task(access, request, session, notice=notice)
