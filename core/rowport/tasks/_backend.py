"""The seam of :class:`~rowport.tasks.ExportTask`: where its record and its streams come from.

An ``ExportTask`` holds a :class:`TaskBackend` and a task id, and nothing else: every property,
wait, cancel and stream read goes through the backend. Two backends exist:

- embedded: :class:`~rowport.tasks.TaskManager` (records in the catalog's task store, streams in
  the task folders, read by :class:`~rowport.streams.StreamReader`);
- remote: :class:`~rowport.tasks._remote.RemoteTaskBackend` (records and cancel over the
  server's task routes, streams over its stream routes with HTTP Range and server-sent events).

A backend's streams are :class:`StreamSource` objects: the reading half of ``StreamReader``
(which is itself the embedded one). The converters and :class:`~rowport.tasks.Stream` see only
``StreamLine`` items, so every reader works the same on both.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Protocol

from rowport.catalog import TaskRecord
from rowport.streams import StreamLine
from rowport.tasks._converters import StreamType

__all__ = ["StreamSource", "TaskBackend"]


class StreamSource(Protocol):
    """The committed lines of one stream, as of when it was opened."""

    @property
    def total_size(self) -> int:
        """Committed bytes."""
        ...

    @property
    def total_lines(self) -> int:
        """Committed lines."""
        ...

    def iter_lines(self, start_line: int = 0) -> Iterator[StreamLine]:
        """Lines from ``start_line`` (``ValueError`` when out of range, as ``StreamReader``)."""
        ...

    def iter_from_offset(self, offset: int) -> Iterator[StreamLine]:
        """Lines from byte ``offset`` (the first may be the rest of a line)."""
        ...

    def follow(
        self,
        start_line: int = 0,
        *,
        poll_interval: float = 0.1,
        stop: Callable[[], bool] | None = None,
        timeout: float | None = None,
    ) -> Iterator[StreamLine]:
        """Lines as they are committed, until the stream is complete or ``stop()`` is true
        with nothing new (a remote source ends when the server's event stream ends)."""
        ...


class TaskBackend(Protocol):
    """What an :class:`~rowport.tasks.ExportTask` asks of where its task lives."""

    def get_record(self, task_id: str) -> TaskRecord:
        """The task's current record (:class:`~rowport.errors.NotFound` when there is none)."""
        ...

    def cancel(self, task_id: str) -> bool:
        """Ask the task to stop; False when it had already ended."""
        ...

    def done_event(self, task_id: str) -> threading.Event | None:
        """An event set when the task's runner ends, when this process runs it (else None:
        the task is then polled)."""
        ...

    def recover_orphans(self) -> list[str]:
        """Fail tasks whose runner died (a remote backend leaves that to its server)."""
        ...

    def open_stream(self, task_id: str, stream_type: StreamType) -> StreamSource:
        """A reader of the task's RESULT or ERRORS stream as committed now."""
        ...

    def stream_url(self, task_id: str, stream_type: StreamType) -> str:
        """Where the stream can be read (``file://`` directory, or the server's content URL)."""
        ...
