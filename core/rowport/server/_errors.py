"""Every error the API answers is one JSON shape: ``{"error": {"code", "message"}}``.

The codes name rowport's exceptions (``WIRE_ERRORS`` in :mod:`rowport.api`), so the remote
client raises the same exception, with the same message, that the embedded client raises.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rowport.api import error_status, wire_details, wire_error

__all__ = ["ApiError", "error_response", "exception_handlers"]

logger = logging.getLogger("rowport.server")


class ApiError(Exception):
    """An error answered as ``status`` with ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> JSONResponse:
    """The JSON error body every failure is answered with (``details`` beside the message:
    a not-found's ``kind`` and ``id``, an import's ``line``)."""
    body = {"code": code, "message": message, **(details or {})}
    return JSONResponse({"error": body}, status_code=status)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    416: "range_not_satisfiable",
}


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if exc.status_code != 404 else f"no such route: {request.url.path}"
    response = error_response(exc.status_code, code, str(message))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message)


async def _rowport_error(request: Request, exc: Exception) -> Response:
    code, message = wire_error(exc)
    return error_response(error_status(code), code, message, wire_details(exc))


def exception_handlers() -> dict[Any, Any]:
    """The app's handlers: HTTP errors, API errors and rowport's own exceptions as JSON."""
    from rowport.errors import RowportError

    return {
        HTTPException: _http_exception,
        ApiError: _api_error,
        RowportError: _rowport_error,
        Exception: _internal_error,
    }


async def _internal_error(request: Request, exc: Exception) -> Response:
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal error: the server log has the cause")
