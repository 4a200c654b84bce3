"""The stream routes of a task: its header, its parts (HTTP Range), its bytes from an offset or
a line, and following it as server-sent events.

Every route takes ``{task_id}`` and ``{stream}`` (``result`` or ``errors``) from its path and asks
a resolver for the task: ``resolve_task(request, task_id)`` returns the embedded
:class:`~rowport.tasks.ExportTask` the request may see, or raises
:class:`~rowport.errors.NotFound` (unknown, or another organization's: both answer 404). No file
path is built from request input: the id must look like an id, the stream name is one of two, a
part's file name comes from the manifest and must be the name its index gives, and every path is
resolved and checked to lie inside the task's folder.

Routes, relative to ``/api/v1`` (below, ``S`` is ``/tasks/{task_id}/streams/{stream}``):

- ``GET S``: the header, ``{task_id, stream, status, total_size, total_lines, complete, parts}``.
- ``GET|HEAD S/parts/{index}``: one committed part, with Range, If-Range and multi-range (on
  object storage read with ranged GETs of the part's object).
- ``GET|HEAD S/content``: the stream's bytes from ``?offset=N`` or ``?line=N`` (or a
  ``Range: bytes=a-b`` over the whole stream) to the end of what is committed; headers
  ``X-Rowport-Offset`` and ``X-Rowport-Line`` say where the body starts.
- ``GET S/events``: follow as server-sent events from ``?line=N`` or ``Last-Event-ID`` (the last
  line seen): ``open``, ``row`` (``id`` = line, ``data`` = the line), ``status`` and ``end``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Callable
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import anyio
import attrs
import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from rowport.catalog import TaskRecord
from rowport.server._errors import error_response
from rowport.server._ranged import (
    RangedBody,
    RangeUnsatisfiable,
    if_range_holds,
    parse_ranges,
    ranged_response,
)
from rowport.streams import StreamReader, open_part
from rowport.streams._manifest import PartInfo, StreamManifest, part_file_name
from rowport.streams._reader import check_line, check_offset
from rowport.streams._storage import (
    LocalStorage,
    StreamPlace,
    join_place,
    open_storage,
)
from rowport.tasks import ExportTask, StreamType, TaskManager

__all__ = [
    "CHUNK_SIZE",
    "PREFIX",
    "StreamError",
    "TaskResolver",
    "TaskStreams",
    "ranged",
    "stream_docs",
    "stream_routes",
]

CHUNK_SIZE = 1 << 20  # 1 MiB: 64 KiB reads (Starlette FileResponse's) were 2-5x slower
POLL_INTERVAL = 0.1  # seconds between manifest checks while following
PING_AFTER = 1.0  # seconds without an event before a keep-alive comment
EVENT_BATCH_LINES = 2000  # rows read per thread hop while following
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


@attrs.frozen
class TaskStreams:
    """What the stream routes need of one task the request may see.

    :param task_id: the task's id.
    :param folder: the task's folder (its streams are ``result/`` and ``errors/`` inside,
        unless ``streams`` puts them elsewhere).
    :param record: re-reads the task's record (called from a worker thread).
    :param streams: where the task's streams are when not in ``folder``: an ``s3://`` prefix.
    """

    task_id: str
    folder: Path
    record: Callable[[], TaskRecord]
    streams: str | None = None

    @classmethod
    def of(cls, task: ExportTask) -> TaskStreams:
        """The streams of an embedded task (a :class:`~rowport.tasks.TaskManager`'s)."""
        manager = task.backend
        if not isinstance(manager, TaskManager):
            raise TypeError(f"the stream routes serve embedded tasks, not {manager!r}")
        place = manager.streams_dir(task.uid)
        streams = None if isinstance(place, Path) else open_storage(place).location
        record = partial(manager.get_record, task.uid)
        folder = place if isinstance(place, Path) else manager.task_dir(task.uid)
        return cls(task.uid, folder, record, streams)

    def directory(self, stream: StreamType) -> StreamPlace:
        """The stream's directory, checked to lie inside the task's folder, or its prefix on
        object storage (a name of two, below the task's own prefix)."""
        if self.streams is not None:
            return join_place(self.streams, stream.value.lower())
        return contained(self.folder, self.folder / stream.value.lower())


TaskResolver = Callable[[Request, str], ExportTask]


class StreamError(Exception):
    """An error the stream routes answer themselves (a 416 carries ``Content-Range``)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.details = details or {}

    def response(self) -> Response:
        """``{"error": {"code", "message", ...details}}`` with the status and headers."""
        response = error_response(self.status, self.code, self.message, self.details)
        response.headers.update(self.headers)
        return response


def contained(folder: Path, path: Path) -> Path:
    """``path`` resolved, when it lies inside ``folder``; else a 404 (never a way out)."""
    root = folder.resolve()
    resolved = path.resolve()
    if resolved != root and root not in resolved.parents:
        raise _not_found("file", path.name, f"{path.name!r} is not inside the task's folder")
    return resolved


PREFIX = "/tasks/{task_id}/streams/{stream}"


def stream_routes(resolve_task: TaskResolver, prefix: str = PREFIX) -> list[BaseRoute]:
    """The stream routes (relative to ``/api/v1``)."""
    handlers = _Handlers(resolve_task)
    return [
        Route(f"{prefix}", handlers.header, methods=["GET"]),
        Route(f"{prefix}/parts/{{index}}", handlers.part, methods=["GET", "HEAD"]),
        Route(f"{prefix}/content", handlers.content, methods=["GET", "HEAD"]),
        Route(f"{prefix}/events", handlers.events, methods=["GET"]),
    ]


def stream_docs() -> list[dict[str, object]]:
    """OpenAPI path items of the stream routes: ``{"path", "method", "operation"}`` dicts."""
    docs: list[dict[str, object]] = []
    for suffix, methods, operation_id, summary, content, params in _DOCS:
        path_params = ["task_id", "stream"] + (["index"] if "{index}" in suffix else [])
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": _PATH_SCHEMAS[name]}
            for name in path_params
        ] + [
            {"name": name, "in": where, "required": False, "schema": {"type": kind}}
            for name, where, kind in params
        ]
        responses: dict[str, object] = {
            "200": {"description": "OK", "content": {content: {"schema": {}}}},
            "default": _ERROR_RESPONSE,
        }
        if any(name == "Range" for name, _, _ in params):
            responses["206"] = {"description": "Partial content: the Range asked"}
            responses["416"] = {"description": "The range starts past the end"}
        for method in methods:
            operation = {
                "operationId": f"{operation_id}.{method.lower()}",
                "summary": summary,
                "tags": ["streams"],
                "parameters": parameters,
                "responses": responses,
            }
            docs.append({"path": PREFIX + suffix, "method": method, "operation": operation})
    return docs


_ERROR_RESPONSE = {
    "description": "An error: {error: {code, message}}",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_PATH_SCHEMAS: dict[str, dict[str, object]] = {
    "task_id": {"type": "string"},
    "stream": {"type": "string", "enum": ["result", "errors"]},
    "index": {"type": "integer", "minimum": 0},
}
_RANGE_HEADERS = (("Range", "header", "string"), ("If-Range", "header", "string"))
_DOCS: tuple[tuple[str, tuple[str, ...], str, str, str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "",
        ("GET",),
        "streams.header",
        "A stream's header: task status, total size and lines, complete, parts.",
        "application/json",
        (),
    ),
    (
        "/parts/{index}",
        ("GET", "HEAD"),
        "streams.part",
        "One committed part file (Range, If-Range, HEAD, multi-range).",
        "application/x-ndjson",
        _RANGE_HEADERS,
    ),
    (
        "/content",
        ("GET", "HEAD"),
        "streams.content",
        "The stream's bytes from ?offset= or ?line= (or a Range over the whole stream);"
        " X-Rowport-Offset and X-Rowport-Line say where the body starts.",
        "application/x-ndjson",
        (("offset", "query", "integer"), ("line", "query", "integer"), *_RANGE_HEADERS),
    ),
    (
        "/events",
        ("GET",),
        "streams.events",
        "Follow as server-sent events (open, row with id = line, status, end) from ?line= or"
        " Last-Event-ID (the last line seen).",
        "text/event-stream",
        (("line", "query", "integer"), ("Last-Event-ID", "header", "string")),
    ),
)


@attrs.frozen
class _Target:
    task: TaskStreams
    stream: StreamType
    reader: StreamReader


class _Handlers:
    def __init__(self, resolve_task: TaskResolver) -> None:
        self._resolve = resolve_task

    def _target(self, request: Request) -> _Target:
        stream = _stream_type(request.path_params["stream"])
        task = TaskStreams.of(self._resolve(request, request.path_params["task_id"]))
        return _Target(task, stream, StreamReader(task.directory(stream)))

    async def _open(self, request: Request) -> _Target:
        target: _Target = await anyio.to_thread.run_sync(self._target, request)
        return target

    async def header(self, request: Request) -> Response:
        try:
            target = await self._open(request)
            record = await anyio.to_thread.run_sync(target.task.record)
        except StreamError as exc:
            return exc.response()
        manifest = target.reader.manifest
        body = {
            "task_id": target.task.task_id,
            "stream": target.stream.value,
            "status": record.status.value,
            "total_size": manifest.total_size,
            "total_lines": manifest.total_lines,
            "complete": manifest.complete,
            "parts": [
                {
                    "index": part.index,
                    "offsets": part.offsets.to_dict(),
                    "lines": part.lines.to_dict(),
                    "size": part.size,
                    "line_count": part.line_count,
                    "sha256": part.sha256,
                }
                for part in manifest.parts
            ],
        }
        return Response(orjson.dumps(body), media_type="application/json")

    async def part(self, request: Request) -> Response:
        try:
            target = await self._open(request)
            index = _whole(request.path_params["index"], "part index")
            body = await anyio.to_thread.run_sync(_part_body, target, _part(target, index))
        except StreamError as exc:
            return exc.response()
        return ranged(request, body, media_type="application/x-ndjson")

    async def content(self, request: Request) -> Response:
        try:
            target = await self._open(request)
            manifest = target.reader.manifest
            start, end, ranged, line = await anyio.to_thread.run_sync(
                _content_span, request, target.reader
            )
        except StreamError as exc:
            return exc.response()
        headers = {
            "Accept-Ranges": "bytes",
            "ETag": _etag(manifest),
            "Content-Length": str(end - start + 1),
            "X-Rowport-Offset": str(start),
            "X-Rowport-Line": str(line),
            "X-Rowport-Total-Size": str(manifest.total_size),
            "X-Rowport-Total-Lines": str(manifest.total_lines),
        }
        if ranged:
            headers["Content-Range"] = f"bytes {start}-{end}/{manifest.total_size}"
        status = 206 if ranged else 200
        if request.method == "HEAD" or end < start:
            return Response(b"", status, headers=headers, media_type="application/x-ndjson")
        chunks = target.reader.iter_range(start, end, chunk_size=CHUNK_SIZE)
        return StreamingResponse(chunks, status, headers=headers, media_type="application/x-ndjson")

    async def events(self, request: Request) -> Response:
        try:
            target = await self._open(request)
            start = _event_start(request)
            manifest = target.reader.manifest
            if manifest.complete and start > manifest.total_lines:
                raise StreamError(
                    400,
                    "invalid_input",
                    f"line {start} is out of range: the stream has"
                    f" {manifest.total_lines} lines and is complete",
                )
        except StreamError as exc:
            return exc.response()
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(
            _follow(target, start), headers=headers, media_type="text/event-stream"
        )


def _part(target: _Target, index: int) -> PartInfo:
    """Committed part ``index`` (a 404 when there is none, or it is misnamed)."""
    parts = target.reader.manifest.parts
    if not 0 <= index < len(parts):
        raise _not_found(
            "part",
            index,
            f"the {target.stream.value} stream has no part {index}"
            + (f" (its parts are 0-{len(parts) - 1})" if parts else " (it has none)"),
        )
    part = parts[index]
    if part.file != part_file_name(index):
        raise _not_found("part", index, f"part {index} of the manifest is misnamed")
    return part


def _part_path(target: _Target, part: PartInfo) -> Path:
    """The file of a local part, checked to lie inside the task's folder."""
    return contained(target.task.folder, Path(target.reader.storage.path_of(part.file)))


def _part_body(target: _Target, part: PartInfo) -> RangedBody:
    """Committed part ``part`` as a ranged body, its ``ETag`` from its sha256 (on local disk and
    object storage alike): read from its file (with its ``Last-Modified``), or from its object
    once it was checked against the manifest, as readers check parts (``open_part``)."""
    storage = target.reader.storage
    etag = f'"{part.sha256[:32]}"'
    if isinstance(storage, LocalStorage):
        path = _part_path(target, part)
        return attrs.evolve(RangedBody.of_file(path), etag=etag)
    return RangedBody(size=part.size, etag=etag, open=partial(open_part, storage, part))


def ranged(
    request: Request, body: RangedBody, *, media_type: str, filename: str | None = None
) -> Response:
    """``body`` answered with Range, If-Range, HEAD and multi-range, read 1 MiB at a time; a bad
    or unsatisfiable range is the API's JSON error (a 416 carries ``Content-Range``)."""
    try:
        return ranged_response(
            body,
            request.headers,
            method=request.method,
            media_type=media_type,
            chunk_size=CHUNK_SIZE,
            filename=filename,
        )
    except RangeUnsatisfiable:
        return StreamError(
            416,
            "range_not_satisfiable",
            f"the range is outside the {'part' if filename is None else 'file'}'s"
            f" {body.size} bytes",
            headers={"Content-Range": f"bytes */{body.size}"},
        ).response()
    except ValueError as exc:
        return StreamError(400, "invalid_input", f"{exc}; {_PART_RANGES}").response()


_PART_RANGES = "a part takes Range: bytes=a-b, bytes=a- or bytes=-n, several joined by commas"


def _not_found(kind: str, id: object, message: str) -> StreamError:
    """A 404 whose details let the remote client raise ``NotFound(kind, id)``."""
    return StreamError(404, "not_found", message, details={"kind": kind, "id": str(id)})


def _stream_type(name: str) -> StreamType:
    try:
        return StreamType(name.upper())
    except ValueError:
        raise _not_found(
            "stream", name, f"no stream {name!r}: a task's streams are result and errors"
        ) from None


def _whole(value: str, what: str) -> int:
    if not value.isdigit() or not value.isascii():
        raise StreamError(
            400, "invalid_input", f"{what} must be a whole number >= 0, got {value!r}"
        )
    return int(value)


def _query_int(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    return None if value is None else _whole(value, name)


def _content_span(request: Request, reader: StreamReader) -> tuple[int, int, bool, int]:
    """``(start, end_inclusive, ranged, line)`` of the bytes ``/content`` answers with: the
    span, whether it answers a ``Range``, and the number of the line holding its first byte."""
    start, end, ranged = _span(request, reader)
    return start, end, ranged, reader.line_at_offset(min(start, reader.total_size))


def _span(request: Request, reader: StreamReader) -> tuple[int, int, bool]:
    total = reader.total_size
    offset, line = _query_int(request, "offset"), _query_int(request, "line")
    http_range = request.headers.get("range")
    if http_range is not None and not if_range_holds(
        request.headers.get("if-range"), _etag(reader.manifest)
    ):
        http_range = None  # the stream changed since the client's copy: send it whole
    asked = (("offset", offset), ("line", line), ("Range", http_range))
    given = [name for name, value in asked if value is not None]
    if len(given) > 1:
        raise StreamError(
            400, "invalid_input", f"give one of offset, line and Range, not {' and '.join(given)}"
        )
    try:
        if http_range is not None:
            start, end = _parse_range(http_range, total)
            return start, end, True
        if line is not None:
            if not (line == 0 and reader.total_lines == 0):
                check_line(line, reader.total_lines)
            return reader.offset_of_line(line), total - 1, False
        start = offset or 0
        if not (start == 0 and total == 0):
            check_offset(start, total)
        return start, total - 1, False
    except ValueError as exc:
        raise StreamError(400, "invalid_input", str(exc)) from None


def _parse_range(header: str, total: int) -> tuple[int, int]:
    """One ``bytes=a-b``, ``bytes=a-`` or ``bytes=-n`` range over ``total`` bytes."""
    match = _RANGE.match(header)
    if match is None:
        raise StreamError(
            400,
            "invalid_input",
            f"Range {header!r} is not one byte range: /content takes bytes=a-b, bytes=a- or"
            " bytes=-n (use /parts/{index} for multi-range)",
        )
    try:
        ((start, end),) = parse_ranges(header, total)
    except RangeUnsatisfiable:
        raise StreamError(
            416,
            "range_not_satisfiable",
            f"Range {header!r} is outside the stream's {total} bytes",
            headers={"Content-Range": f"bytes */{total}"},
        ) from None
    except ValueError as exc:
        raise StreamError(400, "invalid_input", str(exc)) from None
    return start, end - 1


def _etag(manifest: StreamManifest) -> str:
    last = manifest.parts[-1].sha256 if manifest.parts else ""
    key = f"{manifest.total_size}:{manifest.total_lines}:{manifest.complete}:{last}"
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def _event_start(request: Request) -> int:
    last_seen = request.headers.get("last-event-id")
    if last_seen:
        return _whole(last_seen.strip(), "Last-Event-ID") + 1
    return _query_int(request, "line") or 0


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def _status(record: TaskRecord) -> dict[str, Any]:
    return {
        "status": record.status.value,
        "rows_done": record.rows_done,
        "rows_planned": record.rows_planned,
        "completion_percentage": record.completion_percentage,
        "updated_at": record.updated_at,
        "error": record.error,
    }


def _row_events(reader: StreamReader, start: int) -> tuple[bytes, int]:
    """Up to :data:`EVENT_BATCH_LINES` committed lines from ``start`` as ``row`` events, and
    the line after them."""
    lines = list(islice(reader.iter_lines(start), EVENT_BATCH_LINES))
    body = b"".join(b"id: %d\nevent: row\ndata: %s\n\n" % (item.line, item.data) for item in lines)
    return body, start + len(lines)


async def _follow(target: _Target, start: int) -> AsyncIterator[bytes]:
    """The event stream: ``open`` (once line ``start`` is committed, so its offset is known),
    then rows as they are committed and ``status`` whenever the task's status changes, then
    ``end`` once the stream is complete (or the task has ended) and every line was sent."""
    reader, run = target.reader, anyio.to_thread.run_sync
    record = await run(target.task.record)
    status = record.status
    next_line, idle, opened = start, 0.0, False
    while True:
        if not opened and start <= reader.total_lines:
            offset = await run(reader.offset_of_line, start)
            yield _event("open", {"line": start, "offset": offset, **_status(record)})
            opened = True
        if next_line < reader.total_lines:
            chunk, next_line = await run(_row_events, reader, next_line)
            yield chunk
            idle = 0.0
            continue
        if reader.complete or status.is_final:
            if status.is_final and not reader.complete and await run(reader.refresh):
                continue  # the writer committed its last lines just before the task ended
            record = await run(target.task.record)
            yield _event("end", {"line": next_line, **_status(record)})
            return
        await anyio.sleep(POLL_INTERVAL)
        idle += POLL_INTERVAL
        await run(reader.refresh)
        record = await run(target.task.record)
        if record.status is not status:
            status = record.status
            yield _event("status", _status(record))
            idle = 0.0
        elif idle >= PING_AFTER:
            yield b": ping\n\n"
            idle = 0.0
