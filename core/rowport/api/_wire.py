"""rowport's exceptions on the wire: each error code names one exception and its HTTP status.

The server answers an exception as ``{"error": {"code", "message", ...}}`` (:func:`wire_error`);
the remote client raises the same exception again from that body (:func:`raise_wire_error`), so
``except NotFound`` and the message read the same against the embedded and the remote client.
"""

from __future__ import annotations

from typing import Any, NoReturn

from rowport.errors import (
    AccessDenied,
    CatalogError,
    ExportTaskException,
    IngestError,
    InvalidExportRequest,
    InvalidInput,
    NotFound,
    PluginLoadError,
    RowportError,
)

__all__ = ["WIRE_ERRORS", "error_status", "raise_wire_error", "wire_error"]

#: code -> (exception class, HTTP status), most specific class first
WIRE_ERRORS: dict[str, tuple[type[Exception], int]] = {
    "not_found": (NotFound, 404),
    "invalid_export_request": (InvalidExportRequest, 422),
    "ingest_error": (IngestError, 400),
    "invalid_input": (InvalidInput, 400),
    "conflict": (CatalogError, 409),
    "task_not_readable": (ExportTaskException, 409),
    "plugin_load_error": (PluginLoadError, 500),
    "unauthorized": (AccessDenied, 401),
    "forbidden": (AccessDenied, 403),
    "rowport_error": (RowportError, 400),
}


def wire_error(exc: BaseException) -> tuple[str, str]:
    """The code and message an exception is answered with."""
    for code, (cls, _) in WIRE_ERRORS.items():
        if isinstance(exc, cls):
            return code, str(exc)
    return "internal_error", f"{type(exc).__name__}: {exc}"


def wire_details(exc: BaseException) -> dict[str, Any]:
    """What an exception carries besides its message (a NotFound's kind and id)."""
    if isinstance(exc, NotFound):
        return {"kind": exc.kind, "id": exc.id}
    if isinstance(exc, IngestError):
        return {"line": exc.line, "reason": exc.reason}
    return {}


def error_status(code: str) -> int:
    """The HTTP status of an error code (500 for one rowport does not know)."""
    entry = WIRE_ERRORS.get(code)
    return entry[1] if entry else 500


def raise_wire_error(error: dict[str, Any], status: int) -> NoReturn:
    """Raise the exception an error body names (a :class:`RowportError` for other codes)."""
    code = str(error.get("code", ""))
    message = str(error.get("message", f"HTTP {status}"))
    if code == "not_found" and "kind" in error and "id" in error:
        raise NotFound(str(error["kind"]), str(error["id"]))
    if code == "ingest_error" and "line" in error:
        raise IngestError(int(error["line"]), str(error.get("reason", message)))
    cls = WIRE_ERRORS.get(code, (RowportError, status))[0]
    if cls is NotFound or cls is IngestError:
        cls = RowportError
    raise cls(message)
