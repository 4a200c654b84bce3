"""The remote :class:`~rowport.tasks._backend.TaskBackend`: a task of a ``rowport serve`` server.

Records and cancel go to the task routes; streams are read from the stream routes
(``rowport.server._streams``): totals from the header, lines from ``/content`` (from a line, or a
``Range`` from an offset), up to 1 MiB a read with constant memory. A download that breaks
resumes with ``Range: bytes=<next byte>-<end>`` (committed bytes never change: a stream only
grows), so no byte is read twice or skipped; after :data:`RETRIES` attempts in a row without a
byte it gives up with :class:`~rowport.errors.RowportError` naming how far it got. Following
reads the server-sent events of ``/events`` and reconnects with ``Last-Event-ID`` the same way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import orjson
import requests
import requests.adapters
import urllib3

from rowport.api import raise_wire_error
from rowport.api._records import task_from_json
from rowport.catalog import TaskRecord
from rowport.errors import RowportError
from rowport.streams import StreamLine
from rowport.streams._reader import check_line, check_offset, split_lines
from rowport.tasks._converters import StreamType

__all__ = ["RETRIES", "HttpApi", "RemoteStream", "RemoteTaskBackend", "raise_for_error"]

CHUNK_SIZE = 1 << 20  # bytes asked of each read of a download
RETRIES = 5  # attempts in a row that bring no byte before a download gives up
POOL_SIZE = 32  # connections kept per host (readers in many threads share one client)
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0  # the server sends a keep-alive at least every second while following
_new_line = tuple.__new__


class HttpApi:
    """The server's ``/api/v1`` over one ``requests.Session`` that sends the API key."""

    def __init__(self, url: str, api_key: str, *, session: requests.Session | None = None) -> None:
        self.base_url = url.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"
        # one kept-alive connection per reader thread, up to POOL_SIZE at once
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=POOL_SIZE)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def url(self, path: str) -> str:
        """The absolute URL of ``/api/v1`` + ``path``."""
        return f"{self.base_url}/api/v1{path}"

    def get(self, path: str, **options: Any) -> requests.Response:
        """``GET`` ``path``; an error answer raises (see :func:`raise_for_error`)."""
        options.setdefault("timeout", (CONNECT_TIMEOUT, READ_TIMEOUT))
        response = self.session.get(self.url(path), **options)
        raise_for_error(response)
        return response

    def get_json(self, path: str, **options: Any) -> Any:
        """The JSON body of ``GET`` ``path``."""
        return orjson.loads(self.get(path, **options).content)

    def post_json(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """The JSON body of ``POST`` ``path`` with ``body``."""
        response = self.session.post(
            self.url(path), json=dict(body or {}), timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)
        )
        raise_for_error(response)
        return orjson.loads(response.content)


def raise_for_error(response: requests.Response) -> None:
    """Raise the exception an error answer (``{"error": {"code", "message"}}``) names, the one
    the embedded client raises (:func:`rowport.api.raise_wire_error`)."""
    if response.status_code < 400:
        return
    try:
        error = orjson.loads(response.content)["error"]
        if not isinstance(error, dict):
            raise TypeError(error)
    except (orjson.JSONDecodeError, KeyError, TypeError):
        error = {"code": "http_error", "message": response.text[:500] or str(response.reason)}
    finally:
        response.close()
    raise_wire_error(error, response.status_code)


class RemoteTaskBackend:
    """The tasks of one server, as seen by one API key."""

    def __init__(self, api: HttpApi) -> None:
        self.api = api

    def get_record(self, task_id: str) -> TaskRecord:
        """The task's record, read from ``GET /tasks/{id}``."""
        return task_from_json(self.api.get_json(f"/tasks/{task_id}"))

    def cancel(self, task_id: str) -> bool:
        """``POST /tasks/{id}/cancel``: whether the cancel was accepted."""
        return bool(self.api.post_json(f"/tasks/{task_id}/cancel")["accepted"])

    def done_event(self, task_id: str) -> threading.Event | None:
        """None: a remote task is polled."""
        return None

    def recover_orphans(self) -> list[str]:
        """Nothing: the server finds its own dead runners."""
        return []

    def open_stream(self, task_id: str, stream_type: StreamType) -> RemoteStream:
        """The stream as the server's header describes it now."""
        return RemoteStream(self.api, task_id, stream_type)

    def stream_url(self, task_id: str, stream_type: StreamType) -> str:
        """The URL of the stream's bytes (``/content``)."""
        return self.api.url(f"{_stream_path(task_id, stream_type)}/content")


def _stream_path(task_id: str, stream_type: StreamType) -> str:
    return f"/tasks/{task_id}/streams/{stream_type.value.lower()}"


class RemoteStream:
    """One stream of a remote task: the :class:`~rowport.tasks._backend.StreamSource` over
    HTTP. Totals are those of the header read when it was made."""

    def __init__(self, api: HttpApi, task_id: str, stream_type: StreamType) -> None:
        self.api = api
        self.path = _stream_path(task_id, stream_type)
        self.header: dict[str, Any] = api.get_json(self.path)

    @property
    def total_size(self) -> int:
        """Committed bytes when the header was read."""
        return int(self.header["total_size"])

    @property
    def total_lines(self) -> int:
        """Committed lines when the header was read."""
        return int(self.header["total_lines"])

    def iter_lines(self, start_line: int = 0) -> Iterator[StreamLine]:
        """The lines from ``start_line`` to the end known from the header."""
        if start_line == 0 and self.total_lines == 0:
            return iter(())
        check_line(start_line, self.total_lines)
        return self._download({"line": str(start_line)}, {})

    def iter_from_offset(self, offset: int) -> Iterator[StreamLine]:
        """The lines from byte ``offset`` (the first may be the rest of a line)."""
        if offset == 0 and self.total_size == 0:
            return iter(())
        check_offset(offset, self.total_size)
        return self._download({}, {"Range": f"bytes={offset}-{self.total_size - 1}"})

    def _download(self, params: dict[str, str], headers: dict[str, str]) -> Iterator[StreamLine]:
        response = self._first(params, headers)
        start = int(response.headers["X-Rowport-Offset"])
        line = int(response.headers["X-Rowport-Line"])
        end = start + int(response.headers["Content-Length"]) - 1
        chunks = self._resumable(response, start, end)
        return split_lines(chunks, start, line, source=self.api.url(f"{self.path}/content"))

    def _first(self, params: dict[str, str], headers: dict[str, str]) -> requests.Response:
        """The answer that starts a download; a connection that fails is tried again,
        :data:`RETRIES` times."""
        for attempt in range(RETRIES + 1):
            try:
                return self.api.get(
                    f"{self.path}/content", params=params, headers=headers, stream=True
                )
            except BROKEN as exc:
                reason = f"{type(exc).__name__}: {exc}"
            if attempt < RETRIES:
                _pause(attempt + 1)
        raise RowportError(
            f"cannot start reading {self.api.url(self.path)} after {RETRIES} retries: {reason}"
        )

    def _resumable(self, first: requests.Response, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` (inclusive); a broken transfer is asked again from the
        next byte, :data:`RETRIES` times in a row at most without progress."""
        position, failures = start, 0
        response: requests.Response | None = first
        while True:
            try:
                if response is None:
                    response = self._resume(position, end)
                for chunk in _received(response):
                    position += len(chunk)
                    failures = 0
                    yield chunk
                if position > end:
                    return
                reason = f"the answer ended at byte {position}"
            except BROKEN as exc:
                reason = f"{type(exc).__name__}: {exc}"
            finally:
                if response is not None:
                    response.close()
            response = None
            failures += 1
            if failures > RETRIES:
                raise RowportError(
                    f"reading {self.api.url(self.path)} stopped at byte {position} of"
                    f" {end + 1} after {RETRIES} retries without progress: {reason}"
                )
            _pause(failures)

    def _resume(self, position: int, end: int) -> requests.Response:
        headers = {"Range": f"bytes={position}-{end}"}
        response = self.api.get(f"{self.path}/content", headers=headers, stream=True)
        if response.status_code != 206:
            response.close()
            raise RowportError(
                f"cannot resume {self.api.url(self.path)} at byte {position}: the server"
                f" answered {response.status_code} to a Range, not 206"
            )
        return response

    def follow(
        self,
        start_line: int = 0,
        *,
        poll_interval: float = 0.1,
        stop: Callable[[], bool] | None = None,
        timeout: float | None = None,
    ) -> Iterator[StreamLine]:
        """The lines from ``start_line`` on, read from the server's event stream until its
        ``end`` event; ``stop`` is the server's business here (it knows when the task ends).

        :raises ValueError: ``start_line`` is negative, or past the end of a complete stream.
        :raises TimeoutError: no new line came for ``timeout`` seconds.
        """
        if start_line < 0:
            raise ValueError(f"line {start_line} is out of range: lines are counted from 0")
        return self._follow(start_line, timeout)

    def _follow(self, next_line: int, timeout: float | None) -> Iterator[StreamLine]:
        failures, last_progress = 0, time.monotonic()
        reason = ""
        while True:
            headers = {"Accept": "text/event-stream"}
            if next_line:
                headers["Last-Event-ID"] = str(next_line - 1)
            try:
                response = self.api.get(f"{self.path}/events", headers=headers, stream=True)
            except requests.RequestException as exc:
                response, reason = None, f"{type(exc).__name__}: {exc}"
            if response is not None:
                idle = False
                try:
                    offset = 0
                    for event in parse_events(_received(response)):
                        if event.name == "row":
                            yield _new_line(StreamLine, (offset, int(event.id), event.data))
                            offset += len(event.data) + 1
                            next_line = int(event.id) + 1
                            failures, last_progress = 0, time.monotonic()
                        elif event.name == "open":
                            offset = int(orjson.loads(event.data)["offset"])
                        elif event.name == "end":
                            return
                        if timeout is not None and time.monotonic() - last_progress >= timeout:
                            idle = True
                            break
                    reason = "the event stream ended before its end event"
                except BROKEN as exc:
                    reason = f"{type(exc).__name__}: {exc}"
                finally:
                    response.close()
                if idle:  # raised out here: a TimeoutError is an OSError, as broken reads are
                    raise TimeoutError(
                        f"no new line in {self.api.url(self.path)} for {timeout} s"
                        f" ({next_line} lines read)"
                    )
            failures += 1
            if failures > RETRIES:
                raise RowportError(
                    f"following {self.api.url(self.path)} stopped at line {next_line} after"
                    f" {RETRIES} retries without progress: {reason}"
                )
            _pause(failures)


BROKEN = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)


def _pause(failures: int) -> None:
    """Wait before the next attempt: 0.1 s, doubling, at most 2 s."""
    time.sleep(min(0.05 * 2**failures, 2.0))


def _received(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives, up to :data:`CHUNK_SIZE` bytes at a time: a read returns what
    came (``read1``), so a transfer cut short keeps every byte received before the cut."""
    raw = response.raw
    while chunk := raw.read1(CHUNK_SIZE):
        yield chunk


class Event(NamedTuple):
    """One server-sent event (``name`` is empty for a comment, such as a keep-alive)."""

    name: str
    id: str
    data: bytes


def parse_events(chunks: Iterable[bytes]) -> Iterator[Event]:
    """The events in a ``text/event-stream`` body (fields ``event``, ``id``, ``data``)."""
    tail = b""
    for chunk in chunks:
        blocks = (tail + chunk if tail else chunk).split(b"\n\n")
        tail = blocks.pop()
        for block in blocks:
            name, event_id, data = "", "", []
            for field in block.split(b"\n"):
                key, _, value = field.partition(b":")
                value = value[1:] if value.startswith(b" ") else value
                if key == b"event":
                    name = value.decode()
                elif key == b"id":
                    event_id = value.decode()
                elif key == b"data":
                    data.append(value)
            yield Event(name, event_id, b"\n".join(data))
