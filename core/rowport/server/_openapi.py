"""The OpenAPI 3 document of the API, built from ``OPERATIONS`` and the stream routes."""

from __future__ import annotations

import functools
from typing import Any

import rowport
from rowport.api import OPERATIONS, Operation

__all__ = ["OPENAPI_PATH", "openapi_document"]

OPENAPI_PATH = "/openapi.json"

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
_ERROR_RESPONSE = {
    "description": "An error: {error: {code, message}}",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_TASK = {
    "type": "object",
    "properties": {
        name: {"type": kind}
        for name, kind in (
            ("id", "string"),
            ("name", "string"),
            ("type", "string"),
            ("status", "string"),
            ("completion_percentage", "number"),
            ("created_at", "string"),
            ("updated_at", "string"),
            ("metadata", "object"),
            ("rows_done", "integer"),
        )
    },
}
_REPORT = {
    "type": "object",
    "properties": {
        **{n: {"type": "integer"} for n in ("lines", "loaded", "updated", "unchanged", "failed")},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"line": {"type": "integer"}, "reason": {"type": "string"}},
            },
        },
        "strict": {"type": "boolean"},
        "committed": {"type": "boolean"},
    },
}

_FORMAT = {
    "type": "object",
    "properties": {
        **{n: {"type": "string"} for n in ("name", "plugin", "summary")},
        **{
            n: {"type": "array", "items": {"type": "string"}}
            for n in ("media_types", "annotation_kinds", "layout")
        },
        "options": {"type": "array", "items": {"type": "object"}},
        "requires": {"type": "object"},
    },
}
_FORMAT_REPORT = {
    "type": "object",
    "properties": {
        **{n: {"type": "string"} for n in ("format", "output", "status")},
        **{n: {"type": "integer"} for n in ("rows_read", "rows_written")},
        "lossless": {"type": "boolean"},
        "losses": {"type": "object"},
        "options": {"type": "object"},
        "seconds": {"type": "number"},
        "error": {"type": "string", "nullable": True},
    },
}


def _operation_object(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "tags": [op.name.split(".")[-2] if op.store_call else op.name.split(".")[0]],
        "responses": {
            "200": {
                "description": "OK",
                "content": {op.answers: {"schema": dict(op.returns)}},
            },
            "default": _ERROR_RESPONSE,
        },
    }
    parameters = [
        {
            "name": p.name,
            "in": p.location,
            "required": p.location == "path" or p.required,
            "schema": dict(p.schema) or {"type": "string"},
        }
        for p in op.params
        if p.location in ("path", "query")
    ]
    if parameters:
        out["parameters"] = parameters
    body = [p for p in op.params if p.location == "body"]
    if op.body == "ndjson":
        out["requestBody"] = {
            "required": True,
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        }
    elif body or op.extra_body:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {p.name: dict(p.schema) for p in body},
            "additionalProperties": op.extra_body,
        }
        required = [p.name for p in body if p.required]
        if required:
            schema["required"] = required
        out["requestBody"] = {
            "required": bool(required),
            "content": {"application/json": {"schema": schema}},
        }
    return out


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.0 document: every operation and stream route under ``/api/v1``."""
    from rowport.server._app import API_PREFIX
    from rowport.server._formats import DOWNLOAD_PATH, format_docs
    from rowport.server._streams import stream_docs

    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(API_PREFIX + op.path, {})[op.method.lower()] = _operation_object(op)
    for doc in stream_docs():
        paths.setdefault(API_PREFIX + str(doc["path"]), {})[str(doc["method"]).lower()] = doc[
            "operation"
        ]
    paths[API_PREFIX + DOWNLOAD_PATH] = format_docs()
    paths[API_PREFIX + OPENAPI_PATH] = {
        "get": {
            "operationId": "openapi",
            "summary": "This document.",
            "responses": {"200": {"description": "OK"}, "default": _ERROR_RESPONSE},
        }
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "rowport", "version": rowport.__version__},
        "paths": paths,
        "components": {
            "schemas": {
                "Error": _ERROR,
                "Task": _TASK,
                "IngestReport": _REPORT,
                "Format": _FORMAT,
                "FormatReport": _FORMAT_REPORT,
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
