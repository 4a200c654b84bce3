"""``POST /graphql``: the operations the reference SDK (``labelbox==7.17.0``) sends, by name.

The SDK sends no ``operationName``: the operation is the first name after ``query`` or
``mutation`` in the text. Nothing is validated against a schema (a newer SDK that selects one
more field still gets an answer). Every error is ``{"errors": [{"message", "extensions":
{"code"}}]}`` with a 4xx status: the SDK retries 5xx answers for two minutes, so an error that
would repeat is never one. A bad key answers 401 with ``AUTHENTICATION_ERROR``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from rowport.catalog import KeyStore
from rowport.client import Client
from rowport.errors import InvalidInput, NotFound, RowportError
from rowport.server._context import check_id
from rowport.server._orgs import Organizations
from rowport.server._settings import ServerSettings
from rowport.server._streams import CHUNK_SIZE, TaskStreams
from rowport.server.graphql import _objects as shape
from rowport.server.graphql._files import Signer, chunk_at, presigned_url
from rowport.server.graphql._translate import MUTATIONS, translate_export
from rowport.streams import StreamReader
from rowport.tasks import ExportTask, StreamType

__all__ = ["GRAPHQL_PATH", "GraphQLError", "graphql_routes"]

GRAPHQL_PATH = "/graphql"
FILES_PATH = "/graphql/files"
_OPERATION = re.compile(r"^\s*(query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)")
_CANCELABLE = ["exportDataRows"]

logger = logging.getLogger("rowport.server")


class GraphQLError(Exception):
    """An error answered as ``{"errors": [...]}`` with ``extensions.code``."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status

    def response(self) -> Response:
        """The JSON answer the SDK maps to its exception of ``code``."""
        error = {"message": self.message, "extensions": {"code": self.code}}
        return JSONResponse({"data": None, "errors": [error]}, status_code=self.status)


def operation_name(query: Any) -> tuple[str, str]:
    """``(query|mutation, name)`` of a query text; GRAPHQL_PARSE_FAILED when there is none."""
    match = _OPERATION.match(query) if isinstance(query, str) else None
    if match is None:
        raise GraphQLError(
            "GRAPHQL_PARSE_FAILED",
            "the query must be a text starting 'query Name' or 'mutation Name'",
        )
    return match.group(1), match.group(2)


class _Call:
    """One operation's context: the organization's client, its variables, its request."""

    def __init__(
        self,
        endpoint: _Endpoint,
        request: Request,
        client: Client,
        read_only: bool,
        organization: str,
        variables: Mapping[str, Any],
    ) -> None:
        self.endpoint = endpoint
        self.request = request
        self.client = client
        self.read_only = read_only
        self.organization = organization
        self.variables = variables

    def var(self, name: str) -> Any:
        value = self.variables.get(name)
        if value is None:
            raise GraphQLError("MALFORMED_REQUEST", f"the variable ${name} is required")
        return value

    def record(self, operation: str, **arguments: Any) -> dict[str, Any] | None:
        """A catalog record, or None when there is no such entity."""
        try:
            result: dict[str, Any] = self.client.backend.call(operation, **arguments)
        except NotFound:
            return None
        return result

    def task(self, where: Any) -> ExportTask | None:
        task_id = where.get("id") if isinstance(where, Mapping) else where
        if not isinstance(task_id, str):
            raise GraphQLError("MALFORMED_REQUEST", "the task id must be a string")
        try:
            return self.client.get_task(check_id(task_id, "task"))
        except NotFound:
            return None

    def user_id(self) -> str:
        return str(self.client.backend.call("catalog.organization.get_user")["id"])


def _project(call: _Call) -> Any:
    record = call.record("catalog.projects.get_project", project_id=call.var("param_0"))
    return {"project": record and shape.project(record)}


def _dataset(call: _Call) -> Any:
    record = call.record("catalog.rows.get_dataset", dataset_id=call.var("param_0"))
    if record is None:
        return {"dataset": None}
    counts = call.client.backend.call("catalog.rows.dataset_row_counts")
    return {"dataset": shape.dataset(record, counts.get(record["id"], 0))}


def _model_run(call: _Call) -> Any:
    record = call.record("catalog.models.get_model_run", run_id=call.var("param_0"))
    return {"modelRun": record and shape.model_run(record)}


def _saved_query(call: _Call) -> Any:
    record = call.record("catalog.models.get_slice", slice_id=call.var("id"))
    return {"getSavedQuery": record and shape.slice_(record)}


def _user(call: _Call) -> Any:
    record = call.client.backend.call("catalog.organization.get_user")
    settings: ServerSettings = call.request.app.state.rowport.settings
    return {"user": shape.user(record, settings.timezone)}


def _organization(call: _Call) -> Any:
    record = call.client.backend.call("catalog.organization.get_organization")
    return {"organization": shape.organization(record)}


def _created_tasks(call: _Call) -> Any:
    if "taskId" in call.variables:  # client.cancel_task's text
        user_id, task_id = call.var("userId"), call.var("taskId")
    else:  # Task.get_task's text
        user_id, task_id = call.var("param_1"), call.var("param_0")
    task = call.task(task_id) if user_id == call.user_id() else None
    return {"user": {"createdTasks": [] if task is None else [shape.task(task)]}}


def _require_write(call: _Call) -> None:
    if call.read_only:
        raise GraphQLError(
            "AUTHORIZATION_ERROR", "this key is read-only: it cannot change anything", 403
        )


def _export(name: str) -> Callable[[_Call], Any]:
    field = MUTATIONS[name][0]

    def run(call: _Call) -> Any:
        _require_write(call)
        request = translate_export(name, call.variables)
        task = call.client._export(
            request.kind,
            list(request.scope_ids),
            scope_by=request.scope_by,
            params=request.params,
            filters=request.filters,
            task_name=request.task_name,
        )
        return {field: {"taskId": task.uid, "isStreamable": True}}

    return run


def _stream_type(call: _Call) -> StreamType:
    value = call.var("streamType")
    try:
        return StreamType(str(value).upper())
    except ValueError:
        raise GraphQLError(
            "MALFORMED_REQUEST", f"unknown streamType {value!r}; allowed: RESULT, ERRORS"
        ) from None


def _reader(task: ExportTask, stream: StreamType) -> StreamReader:
    return StreamReader(TaskStreams.of(task).directory(stream))


def _metadata_header(call: _Call) -> Any:
    task = call.task(call.var("where"))
    if task is None:
        return {"task": None}
    reader = _reader(task, _stream_type(call))
    header = None
    if reader.total_size:
        header = {"totalSize": reader.total_size, "totalLines": reader.total_lines}
    return {"task": {"exportMetadataHeader": header}}


def _file_from_offset(call: _Call) -> Any:
    task = call.task(call.var("where"))
    if task is None:
        return {"task": None}
    stream = _stream_type(call)
    raw = call.var("offset")
    try:
        offset = int(raw)
    except (TypeError, ValueError):
        raise GraphQLError(
            "MALFORMED_REQUEST", f"offset must be a whole number, got {raw!r}"
        ) from None
    reader = _reader(task, stream)
    chunk = chunk_at(reader, offset)
    url = presigned_url(reader, chunk)
    if url is None:
        fields = (call.organization, task.uid, stream.value, str(chunk.start), str(chunk.end))
        base = str(call.request.base_url).rstrip("/")
        path = "/".join([FILES_PATH, *fields[1:]])
        org = urlencode({"org": call.organization})
        url = f"{base}{path}?{org}&{call.endpoint.signer.query(fields)}"
    return {
        "task": {
            "exportFileFromOffset": {
                "offsets": {"start": str(chunk.start), "end": str(chunk.end)},
                "lines": {"start": str(chunk.first_line), "end": str(chunk.last_line)},
                "file": url,
            }
        }
    }


def _cancel(call: _Call) -> Any:
    _require_write(call)
    task = call.task(call.var("id"))
    if task is None:
        raise GraphQLError("RESOURCE_NOT_FOUND", f"no task {call.variables.get('id')!r}")
    return {"cancelBulkOperationJob": {"success": call.client.cancel_task(task.uid)}}


OPERATIONS: Mapping[str, Callable[[_Call], Any]] = {
    "GetProjectPyApi": _project,
    "GetDatasetPyApi": _dataset,
    "GetModelRunPyApi": _model_run,
    "getSavedQueryPyApi": _saved_query,
    "GetUserPyApi": _user,
    "CurrentUserPyApi": _user,
    "GetOrganizationPyApi": _organization,
    "GetUserCreatedTasksPyApi": _created_tasks,
    "GetExportMetadataHeaderPyApi": _metadata_header,
    "GetExportFileFromOffsetPyApi": _file_from_offset,
    "GetCancelableTaskTypesPyApi": lambda call: {"cancelableTaskTypes": _CANCELABLE},
    "CancelTaskPyApi": _cancel,
    **{name: _export(name) for name in MUTATIONS},
}


class _Endpoint:
    def __init__(
        self, keys: KeyStore, organizations: Callable[[Request], Organizations], signer: Signer
    ) -> None:
        self.keys = keys
        self.organizations = organizations
        self.signer = signer

    async def graphql(self, request: Request) -> Response:
        try:
            return await self._answer(request)
        except GraphQLError as exc:
            return exc.response()

    async def _answer(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        key = None
        if scheme.lower() == "bearer" and token.strip():
            key = await anyio.to_thread.run_sync(self.keys.authenticate, token.strip())
        if key is None:
            raise GraphQLError("AUTHENTICATION_ERROR", "Invalid API key", 401)
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            raise GraphQLError("GRAPHQL_PARSE_FAILED", "the body must be JSON") from None
        if not isinstance(body, dict):
            raise GraphQLError("GRAPHQL_PARSE_FAILED", "the body must be a JSON object")
        _, name = operation_name(body.get("query"))
        handler = OPERATIONS.get(name)
        if handler is None:
            raise GraphQLError(
                "GRAPHQL_VALIDATION_FAILED",
                f"unknown operation {name!r}; rowport answers: {', '.join(OPERATIONS)}",
            )
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            raise GraphQLError("MALFORMED_REQUEST", "variables must be a JSON object")
        client = self.organizations(request).client(key.organization)
        call = _Call(self, request, client, key.read_only, key.organization, variables)
        try:
            data = await anyio.to_thread.run_sync(handler, call)
        except GraphQLError:
            raise
        except (InvalidInput, RowportError) as exc:
            code = "RESOURCE_NOT_FOUND" if isinstance(exc, NotFound) else "MALFORMED_REQUEST"
            raise GraphQLError(code, str(exc)) from None
        except Exception:
            logger.exception("graphql operation %s failed", name)
            raise GraphQLError(
                "INTERNAL_ERROR", f"{name} failed: the server log has the cause"
            ) from None
        return Response(orjson.dumps({"data": data}), media_type="application/json")

    async def file(self, request: Request) -> Response:
        params = request.path_params
        organization = request.query_params.get("org", "")
        fields = (
            organization,
            params["task_id"],
            params["stream"],
            str(params["start"]),
            str(params["end"]),
        )
        problem = self.signer.check(
            fields, request.query_params.get("expires", ""), request.query_params.get("sig", "")
        )
        if problem is not None:
            return JSONResponse({"error": {"code": "forbidden", "message": problem}}, 403)
        start, end = params["start"], params["end"]
        client = self.organizations(request).client(organization)
        task = await anyio.to_thread.run_sync(client.get_task, params["task_id"])
        reader = _reader(task, StreamType(params["stream"]))
        chunks = reader.iter_range(start, end, chunk_size=CHUNK_SIZE)
        headers = {"Content-Length": str(end - start + 1)}
        return StreamingResponse(chunks, headers=headers, media_type="application/x-ndjson")


def graphql_routes(keys: KeyStore, signer: Signer) -> list[BaseRoute]:
    """``POST /graphql`` and the signed file GETs (neither behind the bearer middleware: the
    endpoint answers keys itself, as the SDK expects, and file URLs carry their signature)."""

    def organizations(request: Request) -> Organizations:
        result: Organizations = request.app.state.rowport.organizations
        return result

    endpoint = _Endpoint(keys, organizations, signer)
    return [
        Route(GRAPHQL_PATH, endpoint.graphql, methods=["POST"]),
        Route(
            FILES_PATH + "/{task_id}/{stream}/{start:int}/{end:int}",
            endpoint.file,
            methods=["GET"],
        ),
    ]
