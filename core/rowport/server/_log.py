"""One structured log line per request: method, path, status, bytes, ms and the key's id.

The line is JSON on the ``rowport.server.access`` logger; it names the key by its id, never by
its secret (the token is only ever in the request's ``Authorization`` header, which is not
logged). Plain ASGI middleware: it counts the bytes of streamed responses as they are sent.
"""

from __future__ import annotations

import logging
import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AccessLog", "access_logger"]

access_logger = logging.getLogger("rowport.server.access")


class AccessLog:
    """Log each HTTP request when its response has ended (or the client went away)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0
        sent = 0

        async def counting_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            key = scope.get("state", {}).get("key")
            line = {
                "method": scope["method"],
                "path": scope["path"],
                "status": status or 500,
                "bytes": sent,
                "ms": round((time.perf_counter() - start) * 1000, 1),
                "key": key.id if key is not None else None,
            }
            access_logger.info(orjson.dumps(line).decode())
