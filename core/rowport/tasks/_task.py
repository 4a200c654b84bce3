"""``ExportTask``: the handle users hold, with the reference SDK's surface and more."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from rowport.catalog import READABLE_STATUSES, TaskAttempt, TaskRecord, TaskStatus
from rowport.errors import ExportTaskException, InvalidInput, StreamCorrupted
from rowport.tasks._backend import StreamSource, TaskBackend
from rowport.tasks._converters import (
    BufferedJsonConverterOutput,
    Converter,
    JsonConverter,
    JsonConverterOutput,
    StreamType,
    _BufferedConverter,
)
from rowport.tasks._stream import Stream

if TYPE_CHECKING:
    from rowport.tasks._manager import TaskManager

_LONGEST_NAP = 0.5  # seconds at most between looks at a task whose runner is elsewhere
WAIT_TIMEOUT = 7200.0  # the reference's ExportTask.wait_till_done default: two hours

logger = logging.getLogger(__name__)

__all__ = ["ExportTask"]


class ExportTask:
    """A running or finished export. Properties read the task's current record.

    Reading streams (``get_stream``, ``get_buffered_stream``, totals) needs a finished task:
    ``ExportTaskException("Task failed")`` for a FAILED one and ``("Task is not ready yet")``
    while it runs. A CANCELED task's streams hold the rows written before the cancel and can be
    read like a complete one. :meth:`stream` reads while the task runs.

    Where the record and the streams come from is the ``backend``'s business (see
    :mod:`rowport.tasks._backend`): a :class:`~rowport.tasks.TaskManager` embedded, a
    :class:`~rowport.tasks._remote.RemoteTaskBackend` over HTTP; the API is the same.
    """

    ExportTaskException = ExportTaskException

    def __init__(self, backend: TaskBackend, task_id: str, *, client: Any = None) -> None:
        self._backend = backend
        self._client = client
        self._uid = task_id
        self._record = backend.get_record(task_id)

    # -- the reference's Task surface -------------------------------------------------------

    @staticmethod
    def get_task(client: Any, task_id: str) -> ExportTask:
        """The task ``task_id`` of ``client`` (from any process using the same home)."""
        task: ExportTask = client.get_task(task_id)
        return task

    def _fresh(self) -> TaskRecord:
        if not self._record.status.is_final:
            self._record = self._backend.get_record(self._uid)
        return self._record

    def refresh(self) -> None:
        """Re-read the task's record."""
        self._record = self._backend.get_record(self._uid)

    @property
    def backend(self) -> TaskBackend:
        """Where the task's record and streams come from (see :mod:`rowport.tasks._backend`)."""
        return self._backend

    @property
    def uid(self) -> str:
        return self._uid

    @property
    def name(self) -> str:
        return str(self._record.name)

    @property
    def type(self) -> str:
        return str(self._record.type)

    @property
    def status(self) -> TaskStatus:
        """IN_PROGRESS, CANCELLING, COMPLETE, FAILED or CANCELED (a ``str`` enum)."""
        return self._fresh().status

    @property
    def completion_percentage(self) -> float:
        return float(self._fresh().completion_percentage)

    @property
    def created_at(self) -> str:
        return str(self._record.created_at)

    @property
    def updated_at(self) -> str:
        return str(self._fresh().updated_at)

    @property
    def created_by(self) -> str | None:
        value = self._record.created_by
        return None if value is None else str(value)

    @property
    def organization(self) -> str:
        return str(self._record.organization_id)

    @property
    def deleted(self) -> bool:
        return bool(self._fresh().deleted)

    @property
    def metadata(self) -> dict[str, Any]:
        """The request (kind, scope, params, filters) the task was started with."""
        return dict(self._record.metadata)

    @property
    def errors_message(self) -> str | None:
        """Why the task failed (None unless FAILED)."""
        value = self._fresh().error
        return None if value is None else str(value)

    @property
    def rows_done(self) -> int:
        return int(self._fresh().rows_done)

    @property
    def rows_planned(self) -> int | None:
        value = self._fresh().rows_planned
        return None if value is None else int(value)

    def progress(self) -> tuple[TaskStatus, int, int | None, str]:
        """``(status, rows_done, rows_planned, updated_at)`` read together from one record, so
        the rows and the time they were recorded at belong together (a rate needs both)."""
        self.refresh()
        rec = self._record
        return rec.status, rec.rows_done, rec.rows_planned, rec.updated_at

    def wait_till_done(
        self, timeout_seconds: float = WAIT_TIMEOUT, check_frequency: float = 2
    ) -> None:
        """Block until the task is COMPLETE, FAILED or CANCELED, or ``timeout_seconds`` pass
        (two hours by default, as in the reference). On a timeout it returns with the task
        still running and logs a warning (logger ``rowport.tasks._task``) naming the task."""
        deadline = time.monotonic() + timeout_seconds
        event = self._backend.done_event(self._uid)
        nap = 0.01
        while not self.status.is_final:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                logger.warning(
                    "export task %s is still %s after waiting %s s (%s of %s rows);"
                    " call wait_till_done() again, or cancel() it",
                    self._uid,
                    self.status,
                    f"{timeout_seconds:g}",
                    self.rows_done,
                    "?" if self.rows_planned is None else self.rows_planned,
                )
                return
            if event is not None and not event.is_set():
                # the runner is in this process: its end sets the event
                event.wait(min(remaining, check_frequency))
                continue
            # the runner is elsewhere (or ended here with its status not yet written): never
            # spin; notice at once if its process died, within three beats on another host
            self._backend.recover_orphans()
            time.sleep(min(nap, remaining, max(check_frequency, 0.001)))
            nap = min(nap * 2, _LONGEST_NAP)

    def wait_until_done(self, timeout_seconds: float = WAIT_TIMEOUT) -> None:
        """Alias of :meth:`wait_till_done`."""
        self.wait_till_done(timeout_seconds)

    def cancel(self) -> bool:
        """Ask the runner to stop between batches; the task ends CANCELED."""
        accepted = self._backend.cancel(self._uid)
        self.refresh()
        return accepted

    # -- streams ----------------------------------------------------------------------------

    def _source(self, stream_type: StreamType) -> StreamSource:
        return self._backend.open_stream(self._uid, _checked(stream_type))

    def _require_readable(self) -> None:
        status = self.status
        if status is TaskStatus.FAILED:
            raise ExportTaskException("Task failed")
        if status not in READABLE_STATUSES:
            raise ExportTaskException("Task is not ready yet")

    def get_total_file_size(self, stream_type: StreamType) -> int | None:
        """Bytes in the stream, or None when it is empty."""
        self._require_readable()
        total = self._source(stream_type).total_size
        return total or None

    def get_total_lines(self, stream_type: StreamType) -> int | None:
        """Lines in the stream, or None when it is empty."""
        self._require_readable()
        total = self._source(stream_type).total_lines
        return total or None

    def has_result(self) -> bool:
        """Whether the RESULT stream holds anything."""
        return bool(self.get_total_file_size(StreamType.RESULT))

    def has_errors(self) -> bool:
        """Whether the ERRORS stream holds anything."""
        return bool(self.get_total_file_size(StreamType.ERRORS))

    def get_stream(
        self,
        converter: Converter | None = None,
        stream_type: StreamType = StreamType.RESULT,
    ) -> Stream[Any]:
        """A reader of the stream through ``converter`` (default :class:`JsonConverter`)."""
        self._require_readable()
        return Stream(self._source(stream_type), converter or JsonConverter())

    def get_buffered_stream(
        self, stream_type: StreamType = StreamType.RESULT
    ) -> Stream[BufferedJsonConverterOutput]:
        """A reader yielding each line parsed, as :class:`BufferedJsonConverterOutput`.

        :raises ValueError: when the stream holds nothing (``"Task <id> does not have a RESULT
            stream"``), as the reference does: check :meth:`has_result` / :meth:`has_errors`
            first.
        """
        self._require_readable()
        source = self._source(stream_type)
        if not source.total_size:
            raise ValueError(f"Task {self._uid} does not have a {stream_type.value} stream")
        return Stream(source, _BufferedConverter())

    def stream(
        self,
        stream_type: StreamType = StreamType.RESULT,
        *,
        follow: bool = True,
        start_line: int = 0,
        poll_interval: float = 0.1,
        timeout: float | None = None,
    ) -> Iterator[JsonConverterOutput]:
        """Lines as they are committed, while the task runs (rowport's extension).

        Ends when the task has finished (its status is final by then) and every line was read.
        To resume after a break, pass the last ``current_line`` seen plus one. With
        ``follow=False`` it reads what is committed now and stops; a line past the committed
        ones is a ``ValueError``. Unlike the reference readers this works on any task, FAILED
        ones included (their ERRORS stream says why).
        """
        reader = self._source(stream_type)
        if follow:
            return self._follow(reader, start_line, poll_interval, timeout)
        if reader.total_lines == 0 and start_line == 0:
            return iter(())
        lines = reader.iter_lines(start_line)  # ValueError when start_line is out of range
        return JsonConverter().convert(lines, total_size=0, total_lines=0)

    def _follow(
        self, reader: StreamSource, start_line: int, poll_interval: float, timeout: float | None
    ) -> Iterator[JsonConverterOutput]:
        # a runner in this process sets its done event as it ends: no status read per poll
        done = self._backend.done_event(self._uid)
        lines = reader.follow(
            start_line,
            poll_interval=poll_interval,
            stop=done.is_set if done is not None else lambda: self.status.is_final,
            timeout=timeout,
        )
        yield from JsonConverter().convert(lines, total_size=0, total_lines=0)
        # the streams close a moment before the task's final status is written
        self.wait_till_done(timeout_seconds=timeout if timeout is not None else 60.0)

    # -- training formats -------------------------------------------------------------------

    def convert(
        self,
        format: str,
        output: str | Path,
        options: dict[str, Any] | None = None,
        *,
        strict: bool = False,
        overwrite: bool = False,
    ) -> Any:
        """Convert this finished task's RESULT stream to a training format (no re-export).

        :return: a :class:`rowport.formats.ConversionReport` (also kept in
            :attr:`format_reports` and written as ``lossiness.json`` with the output).
        :raises InvalidInput: the task is not COMPLETE or CANCELED, or the format, an option
            or the output path is wrong.
        :raises rowport.formats.FormatLossError: ``strict`` and something could not be carried.
        """
        from rowport.formats import convert_task

        manager = self._local_manager()
        if manager is None:
            return self._served().convert(
                self._uid, format, output, options, strict=strict, overwrite=overwrite
            )
        return convert_task(
            manager, self._uid, format, output, options, strict=strict, overwrite=overwrite
        )

    @property
    def format_reports(self) -> list[dict[str, Any]]:
        """The reports of the conversions of this task so far (its summary of formats); a
        task of a server lists what the server wrote into the task's folder (each format's
        latest report, its output relative to that folder)."""
        from rowport.formats import read_reports

        manager = self._local_manager()
        if manager is None:
            served: list[dict[str, Any]] = self._served().format_reports(self._uid)
            return served
        return read_reports(manager.task_dir(self._uid))

    def download_format(self, format: str, output: str | Path, *, overwrite: bool = False) -> Any:
        """Download a format the server wrote for this task (during its export or by
        :meth:`convert`) to ``output`` (a directory, or a ``.zip``); its report.

        :raises InvalidInput: an embedded task (its formats are where they were written), or
            ``output`` exists.
        :raises NotFound: the server wrote no such format for this task.
        """
        return self._served().download(self._uid, format, output, overwrite=overwrite)

    def _served(self) -> Any:
        """The remote task manager of this task's server (a remote client's task)."""
        remote = getattr(self._client, "_remote", None)
        if remote is None:
            raise InvalidInput(
                f"task {self._uid} is not a server's: its formats are written where you named"
            )
        return remote

    def _local_manager(self) -> TaskManager[Any] | None:
        """The embedded task manager this handle reads through (None for a remote task)."""
        from rowport.tasks._manager import TaskManager

        return self._backend if isinstance(self._backend, TaskManager) else None

    # -- resume, retry, verify ----------------------------------------------------------------

    def _manager(self) -> TaskManager[Any]:
        """The embedded task manager, which resume, retry, merge and verify need."""
        manager = self._local_manager()
        if manager is None:
            raise InvalidInput(
                f"task {self._uid} is read from a server: resume, retry, merge or verify it"
                " where its files are"
            )
        return manager

    def resume(self, *, allow_changed: bool = False) -> ExportTask:
        """Continue this interrupted task (FAILED, CANCELED, or its process died) from the last
        row its streams hold whole; it keeps its id and records a new attempt. Returns this
        handle; the task runs in this process (wait with :meth:`wait_till_done`).

        :raises TaskChanged: rows of the plan changed since the task started; pass
            ``allow_changed=True`` to continue with the catalog as it is now.
        :raises StreamCorrupted: a part to keep does not match its manifest.
        :raises InvalidInput: the task is COMPLETE or still running.
        """
        try:
            self._manager().resume(self._uid, allow_changed=allow_changed, client=self._client)
        finally:
            self.refresh()
        return self

    def retry_failed(self) -> ExportTask:
        """A new task that exports again exactly the rows named by this task's ERRORS lines
        (same request), linked to this one; its RESULT holds those rows."""
        return self._manager().retry_failed(self._uid, client=self._client)

    @property
    def attempts(self) -> list[TaskAttempt]:
        """Every run of the task: the first, then one per resume (none for a remote task)."""
        manager = self._local_manager()
        return [] if manager is None else manager.require_history().list_attempts(self._uid)

    @property
    def retry_of(self) -> str | None:
        """The id of the task whose failed rows this task retries (None for others)."""
        manager = self._local_manager()
        if manager is None:
            return None
        value = manager.require_history().linked_tasks(self._uid)["retry_of"]
        return None if value is None else str(value)

    @property
    def retries(self) -> list[str]:
        """The ids of the tasks retrying this task's failed rows, oldest first."""
        manager = self._local_manager()
        if manager is None:
            return []
        return list(manager.require_history().linked_tasks(self._uid)["retries"])

    def merged(self, retry_id: str | None = None) -> Iterator[bytes]:
        """This task's RESULT lines with those of its retry ``retry_id`` (default: the latest)
        in plan order: a retried row's line replaces the original's, the others keep their
        place. See :func:`rowport.tasks._merge.merged_lines`."""
        from rowport.tasks._merge import merged_lines

        return merged_lines(self._manager(), self._uid, retry_id)

    def verify(self) -> dict[str, list[str]]:
        """Check both streams against their manifests (each part's size, sha256, lines and
        index; part files inside the stream folder): ``{"result": [problems], "errors": [...]}``,
        empty lists when sound. Reads every byte once."""
        manager = self._manager()
        return {stream.value.lower(): _verify(manager, self._uid, stream) for stream in StreamType}

    # -- export_v2 (deprecated) -------------------------------------------------------------

    @property
    def _legacy(self) -> bool:
        return bool(self._record.metadata.get("legacy"))

    def _legacy_lines(self, stream_type: StreamType) -> list[Any]:
        if not self._legacy:
            raise ExportTaskException(
                "result, errors, result_url and errors_url belong to export_v2 tasks;"
                " read an export() task with get_stream() or get_buffered_stream()"
            )
        warnings.warn(
            "export_v2 is deprecated: use export() and get_buffered_stream()",
            DeprecationWarning,
            stacklevel=3,
        )
        self._require_readable()
        reader = self._source(stream_type)
        if not reader.total_lines:
            return []
        return [orjson.loads(line.data) for line in reader.iter_lines(0)]

    @property
    def result(self) -> list[dict[str, Any]]:
        """export_v2: every row as a list (deprecated)."""
        return self._legacy_lines(StreamType.RESULT)

    @property
    def errors(self) -> list[dict[str, Any]] | None:
        """export_v2: every error object, or None when there were none (deprecated)."""
        lines = self._legacy_lines(StreamType.ERRORS)
        return lines or None

    @property
    def result_url(self) -> str:
        """export_v2: a file URL of the RESULT stream's directory (deprecated)."""
        self._legacy_lines(StreamType.RESULT)
        return self._backend.stream_url(self._uid, StreamType.RESULT)

    @property
    def errors_url(self) -> str:
        """export_v2: a file URL of the ERRORS stream's directory (deprecated)."""
        self._legacy_lines(StreamType.ERRORS)
        return self._backend.stream_url(self._uid, StreamType.ERRORS)

    def __repr__(self) -> str:
        return f"<ExportTask {self._uid} {self._record.status}>"


def _checked(stream_type: StreamType) -> StreamType:
    if not isinstance(stream_type, StreamType):
        raise ValueError(
            f"stream_type must be StreamType.RESULT or StreamType.ERRORS, got {stream_type!r}"
        )
    return stream_type


def _verify(manager: TaskManager[Any], task_id: str, stream_type: StreamType) -> list[str]:
    try:
        return manager.open_stream(task_id, stream_type).verify()
    except StreamCorrupted as exc:
        return [str(exc)]
