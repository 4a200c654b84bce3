"""The download route of a format the server wrote for a task:
``GET|HEAD /tasks/{task_id}/formats/{name}``, the zip (Range, If-Range, HEAD).

The file is ``formats/NAME.zip`` inside the task's folder, where ``NAME`` is a format the
task's summary says was written there (its latest report is ``complete``); the path is resolved
and checked to lie inside the task's folder, as the stream routes check theirs.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rowport.errors import NotFound
from rowport.formats import SERVED_DIR, served_reports
from rowport.server._ranged import RangedBody
from rowport.server._streams import StreamError, TaskResolver, TaskStreams, contained, ranged

__all__ = ["DOWNLOAD_PATH", "format_docs", "format_routes"]

DOWNLOAD_PATH = "/tasks/{task_id}/formats/{name}"


def format_routes(resolve_task: TaskResolver) -> list[BaseRoute]:
    """The download route (relative to ``/api/v1``)."""

    def locate(request: Request) -> tuple[RangedBody, str]:
        task = TaskStreams.of(resolve_task(request, request.path_params["task_id"]))
        name = request.path_params["name"]
        written = {r["format"]: r for r in served_reports(task.folder)}
        if written.get(name, {}).get("status") != "complete":
            raise NotFound("format", name)
        path = contained(task.folder, task.folder / SERVED_DIR / f"{name}.zip")
        if not path.is_file():
            raise NotFound("format", name)
        return RangedBody.of_file(path), name

    async def download(request: Request) -> Response:
        try:
            body, name = await anyio.to_thread.run_sync(locate, request)
        except StreamError as exc:
            return exc.response()
        return ranged(request, body, media_type="application/zip", filename=f"{name}.zip")

    return [Route(DOWNLOAD_PATH, download, methods=["GET", "HEAD"])]


def format_docs() -> dict[str, object]:
    """The OpenAPI path item of the download route."""
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in ("task_id", "name")
    ] + [
        {"name": name, "in": "header", "required": False, "schema": {"type": "string"}}
        for name in ("Range", "If-Range")
    ]
    responses = {
        "200": {"description": "OK", "content": {"application/zip": {"schema": {}}}},
        "206": {"description": "Partial content: the Range asked"},
        "416": {"description": "The range starts past the end"},
        "default": {
            "description": "An error: {error: {code, message}}",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    }
    return {
        method.lower(): {
            "operationId": f"formats.download.{method.lower()}",
            "summary": "A format the server wrote for a task (formats/NAME.zip), with Range.",
            "tags": ["formats"],
            "parameters": parameters,
            "responses": responses,
        }
        for method in ("GET", "HEAD")
    }
