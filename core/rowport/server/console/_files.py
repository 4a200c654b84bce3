"""What the console sends as files: a byte range of a stream as a download, and the static
files its pages load."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from rowport.server._errors import error_response
from rowport.server.console._access import Access, Endpoint, Handler
from rowport.server.console._render import STATIC_FILES, static_bytes
from rowport.server.console._session import Session

__all__ = ["byte_range", "static"]


def byte_range(content: Endpoint) -> Handler:
    """The download of a byte range of a stream as a link can ask it (``?start=&end=``):
    the answer ``content`` (the stream routes' ``/content``) gives ``Range: bytes=start-end``."""

    async def download(access: Access, request: Request, session: Session) -> Response:
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
        response = await content(Request(scope, request.receive))
        name = f"{request.path_params['task_id']}-{stream}-{start}-{end}.ndjson"
        response.headers["Content-Disposition"] = f'attachment; filename="{quote(name)}"'
        return response

    download.__name__ = "byte_range"
    return download


async def static(request: Request) -> Response:
    """One of the console's static files (a 404 for any other name)."""
    name = request.path_params["name"]
    if name not in STATIC_FILES:
        return error_response(404, "not_found", f"no such file: {name}")
    headers = {"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"}
    return Response(static_bytes(name), media_type=STATIC_FILES[name], headers=headers)
