"""Reading request bodies within the server's limits: JSON objects and streamed NDJSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request

from rowport.server._errors import ApiError

__all__ = ["read_json_object", "stream_body"]


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"the request body is over the {limit:,}-byte limit")


def _check_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)


async def stream_body(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The body's chunks as they arrive; 413 once more than ``limit`` bytes came."""
    _check_length(request, limit)
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise _too_large(limit)
        yield chunk


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object (an empty body is ``{}``).

    :raises ApiError: 413 over ``limit``; 400 for malformed JSON (with the parser's reason)
        or a body that is not an object.
    """
    body = b"".join([chunk async for chunk in stream_body(request, limit)])
    if not body.strip():
        return {}
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(
            400, "malformed_json", f"the request body is not valid JSON: {exc}"
        ) from None
    if not isinstance(value, dict):
        raise ApiError(
            400,
            "malformed_json",
            f"the request body must be a JSON object, got {type(value).__name__}",
        )
    return value
