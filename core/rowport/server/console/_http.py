"""What the console's routes answer with: pages with security headers, redirects, form
bodies, the report file and server-sent events that end with the session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from rowport.errors import InvalidInput
from rowport.server._errors import ApiError
from rowport.server._streams import PING_AFTER
from rowport.server.console._session import COOKIE, Sessions

__all__ = [
    "MAX_FORM_BYTES",
    "follow",
    "json_field",
    "page",
    "read_form",
    "report_response",
    "see",
]

MAX_FORM_BYTES = 1 << 20
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
        " img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none';"
        " frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # so its own forms carry their Origin
    "Cache-Control": "no-store",
}


def page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status, headers=SECURITY_HEADERS)


def see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers=SECURITY_HEADERS)


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the console's forms), first values.

    A form posted from another site is refused (403): browsers name the page a POST comes
    from in ``Origin``, and the console's own forms come from its own host (this guards the
    sign-in form, which no session's CSRF token can)."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise ApiError(403, "forbidden", f"a console form cannot be posted from {origin}")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise ApiError(413, "payload_too_large", f"a form is at most {MAX_FORM_BYTES} bytes")
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def json_field(fields: dict[str, str], name: str) -> Any:
    """A form's JSON text field (blank: None)."""
    text = fields.get(name, "").strip()
    if not text:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"{name} must be JSON: {exc}") from None


def report_response(html: str, task_id: str) -> Response:
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="report-{task_id}.html"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def follow(
    request: Request,
    sessions: Sessions,
    look: Callable[[], Awaitable[tuple[bytes, bool]]],
    name: str,
    every: float,
) -> Response:
    """Server-sent events: ``name`` with what ``look`` returns (every ``every`` seconds)
    whenever it changes (and at once), keep-alive comments between, ``end`` once ``look``
    says it is final. The stream stops when the session ends (sign-out or a revoked key)."""
    cookie = request.cookies.get(COOKIE)

    async def events() -> AsyncIterator[bytes]:
        last, idle = b"", 0.0
        while True:
            if sessions.get(cookie) is None:
                return
            data, final = await look()
            if final:
                yield b"event: end\ndata: " + data + b"\n\n"
                return
            if data != last:
                yield b"event: " + name.encode() + b"\ndata: " + data + b"\n\n"
                last, idle = data, 0.0
            elif idle >= PING_AFTER:
                yield b": ping\n\n"
                idle = 0.0
            await anyio.sleep(every)
            idle += every

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), headers=headers, media_type="text/event-stream")
