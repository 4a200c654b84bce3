"""The routes of the API operations: one Starlette route per entry of ``OPERATIONS``.

Each route checks the key may write (for a writing operation), reads the path, query and body
parameters the operation declares (an unknown or missing one is a 400 naming it), runs the call
on the caller's embedded client in a worker thread, and answers its result as JSON.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import anyio.from_thread
import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rowport.api import OPERATIONS, Operation
from rowport.errors import InvalidInput
from rowport.server._body import read_json_object, stream_body
from rowport.server._context import caller, require_write, server_state
from rowport.server._handlers import call_operation, import_lines
from rowport.server._openapi import openapi_document

__all__ = ["api_routes", "json_response"]


def json_response(value: Any, status: int = 200) -> Response:
    """``value`` as a JSON response (orjson: tuples are arrays)."""
    return Response(orjson.dumps(value), status_code=status, media_type="application/json")


def _query_value(op: Operation, name: str, text: str, schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "boolean":
        if text.lower() in ("true", "1", "yes"):
            return True
        if text.lower() in ("false", "0", "no"):
            return False
        raise InvalidInput(f"query parameter {name} must be true or false, got {text!r}")
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise InvalidInput(f"query parameter {name} must be an integer, got {text!r}") from None
    return text


def _check_arguments(op: Operation, given: Mapping[str, Any], location: str) -> None:
    declared = {p.name for p in op.params if p.location == location}
    unknown = sorted(set(given) - declared)
    if unknown and not (op.extra_body and location == "body"):
        allowed = ", ".join(sorted(declared)) or "none"
        raise InvalidInput(
            f"{op.method} {op.path} does not take {', '.join(map(repr, unknown))};"
            f" its {location} parameters: {allowed}"
        )


async def _arguments(op: Operation, request: Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.path_params)
    query = dict(request.query_params)
    _check_arguments(op, query, "query")
    for p in op.params:
        if p.location == "query" and p.name in query:
            args[p.name] = _query_value(op, p.name, query[p.name], p.schema)
    if op.body == "json" and op.method != "GET":
        body = await read_json_object(request, server_state(request).settings.max_body_bytes)
        _check_arguments(op, body, "body")
        args.update(body)
    missing = [p.name for p in op.params if p.required and p.name not in args]
    if missing:
        raise InvalidInput(f"{op.method} {op.path} needs {', '.join(map(repr, missing))}")
    return args


def _endpoint(op: Operation) -> Any:
    async def endpoint(request: Request) -> Response:
        if op.writes:
            require_write(request)
        args = await _arguments(op, request)
        client = caller(request).client
        if op.body == "ndjson":
            result = await _import(request, client, args)
        else:
            result = await anyio.to_thread.run_sync(call_operation, op, client, args)
        if op.answers != "application/json":
            return Response(result, media_type=op.answers)
        return json_response(result)

    endpoint.__name__ = op.name.replace(".", "_")
    return endpoint


async def _import(request: Request, client: Any, args: dict[str, Any]) -> Any:
    """Feed the streamed NDJSON body to the importer (in a worker thread), line by line."""
    limit = server_state(request).settings.max_import_bytes
    keep_blank = bool(args.get("keep_blank", False))
    chunks = stream_body(request, limit).__aiter__()

    async def next_chunk() -> bytes:
        try:
            return await chunks.__anext__()
        except StopAsyncIteration:
            return b""

    def numbered_lines() -> Iterator[tuple[int, bytes]]:
        rest = b""
        number = 0
        while True:
            chunk = anyio.from_thread.run(next_chunk)
            if not chunk:
                break
            *complete, rest = (rest + chunk).split(b"\n")
            for line in complete:
                number += 1
                if keep_blank or line.strip():
                    yield number, line
        if rest.strip():
            yield number + 1, rest

    return await anyio.to_thread.run_sync(
        import_lines,
        client,
        numbered_lines(),
        bool(args.get("strict", False)),
        int(args.get("batch_size", 1000)),
    )


async def _openapi(request: Request) -> Response:
    return json_response(openapi_document())


def api_routes() -> list[BaseRoute]:
    """A route per operation, and ``GET /openapi.json`` (paths relative to ``/api/v1``)."""
    routes: list[BaseRoute] = [
        Route(op.path, _endpoint(op), methods=[op.method]) for op in OPERATIONS
    ]
    routes.append(Route("/openapi.json", _openapi, methods=["GET"]))
    return routes
