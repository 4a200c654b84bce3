"""The task stream routes (header, parts with Range, reads from an offset or a line, follow).

Extension point for the stream endpoints: :func:`stream_routes` returns the routes, mounted
under ``/api/v1`` beside the operation routes. A stream route:

- gets the task with ``resolve_task(request, task_id)`` (an embedded
  :class:`~rowport.tasks.ExportTask` of the caller's organization; a task id of another
  organization, or anything unlike an id, raises NotFound, answered 404 by the app);
- reads the stream files through that handle (its manager's ``stream_dir``), never from a path
  built from the request;
- raises :class:`~rowport.server._errors.ApiError` (or a rowport exception) for errors: the app
  answers every error as ``{"error": {"code", "message"}}``;
- needs no auth code: a request reaching it carries a live key (``request.state.key``); call
  :func:`~rowport.server._context.require_write` before anything that changes state;
- is listed in the OpenAPI document by :func:`stream_docs` (a test checks that every route is
  documented and every documented path routed).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.routing import BaseRoute

from rowport.tasks import ExportTask

__all__ = ["TaskResolver", "stream_docs", "stream_routes"]

TaskResolver = Callable[[Request, str], ExportTask]


def stream_routes(resolve_task: TaskResolver) -> list[BaseRoute]:
    """The routes of task streams (relative to ``/api/v1``)."""
    return []


def stream_docs() -> list[dict[str, object]]:
    """OpenAPI path items of the stream routes: ``{"path", "method", "operation"}`` dicts,
    where ``operation`` is an OpenAPI operation object."""
    return []
