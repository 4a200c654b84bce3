"""The runner: plan -> assemble batches -> pipeline steps -> RESULT / ERRORS streams.

It runs on the task manager's executor, writes progress a few times a second and a heartbeat
every interval (on its own thread), checks for cancellation between batches, and always leaves
both streams closed and consistent: COMPLETE, CANCELED (the rows written so far), or FAILED
(the message in the task and a ``TASK_FAILED`` line in the ERRORS stream, where the disk
allows it).
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol

import attrs
import orjson

from rowport._gc import EXPORT_THRESHOLD, fewer_collections
from rowport.catalog import (
    DEFAULT_HEARTBEAT,
    Catalog,
    DeferredPlanState,
    ExportSource,
    PlanState,
    PlanT,
    ResumableSource,
    TaskStatus,
    TaskStore,
)
from rowport.export import RowAssembler, problem, sections_read_by
from rowport.plugins import ExportContext
from rowport.request import ExportRequest, PlanLayout
from rowport.streams import PartInfo, StreamWriter
from rowport.streams._storage import StreamPlace, join_place
from rowport.tasks._checkpoint import Checkpoint
from rowport.tasks._executors import ShardExecutor
from rowport.tasks._heartbeat import Heartbeats, record_status
from rowport.tasks._pipeline import Canceled, missing_lines, run_batch
from rowport.tasks._sharded import ShardFailed, export_sharded
from rowport.tasks._timings import BatchTimings

if TYPE_CHECKING:
    from rowport.plugins import PluginHost

__all__ = ["BATCH_SIZE", "BatchStep", "Delivery", "ExportRunner", "StepContext"]

StepContext = ExportContext  # the name the runner's steps knew it by

logger = logging.getLogger(__name__)

BATCH_SIZE = 100  # rows per assembly batch: 100 measured 2x faster than 1,000 (cache misses)
_PROGRESS_EVERY = 0.25  # seconds between progress writes (and reads of the task's status)
_BESIDE_POLL = 0.05  # seconds between interrupts of the plan's state while the runner ends


class _Superseded(Exception):
    """The task was ended by someone else (declared FAILED): stop without touching its status."""

    def __init__(self, status: TaskStatus) -> None:
        super().__init__(status.value)
        self.status = status


class BatchStep(Protocol):
    """One step of the pipeline: takes a batch of rows, returns the rows to keep and problems.

    Rows carry their media type under ``"_media_type"`` (removed before encoding). A step may
    have ``needs_json = False`` when it never looks inside stored JSON (annotations, media
    attributes), or ``sections`` naming the sections whose stored JSON it reads
    (:data:`rowport.plugins.SECTIONS`; None: all): stored JSON no step reads is passed through
    without parsing. A step may also have ``finish()``, called once every batch went through
    it (before the task completes: what it raises fails the task), and ``close()``, called when
    the export ends, however it ends (to stop what it runs beside the export).
    """

    def __call__(
        self, rows: list[dict[str, Any]], context: ExportContext
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]: ...


class Delivery(Protocol):
    """Hands committed RESULT parts to sinks (see :mod:`rowport.sinks`)."""

    @property
    def interrupted(self) -> bool:
        """Whether :meth:`close` stopped waiting for the sinks because of a cancel."""
        ...

    def open(self, context: ExportContext, cancel: threading.Event | None = None) -> None:
        """Open every sink before the first row; once ``cancel`` is set, no call waits for
        a sink any more."""

    def deliver(self, part: PartInfo) -> None:
        """A RESULT part was committed: deliver its rows (may block for backpressure, until
        the sinks catch up, a sink's deadline passes or the export is canceled)."""

    def close(self, summary: dict[str, Any]) -> list[dict[str, Any]]:
        """Finish delivery; return ERRORS lines for sinks that failed after their retries
        or missed their deadline."""
        ...

    def abort(self, error: str) -> list[dict[str, Any]]:
        """The export ended early: tell every sink; ERRORS lines for the sinks that failed
        (or hung and were abandoned)."""
        ...


class ExportRunner(Generic[PlanT]):
    """Runs one export task to its end.

    It reads through an :class:`~rowport.catalog.ExportSource` and records the task in a
    :class:`~rowport.catalog.TaskStore`; ``catalog`` is only what plugins see as
    ``context.catalog``.
    """

    def __init__(
        self,
        source: ExportSource[PlanT],
        tasks: TaskStore,
        task_id: str,
        request: ExportRequest,
        directory: Path,
        *,
        catalog: Catalog,
        steps: Sequence[BatchStep] = (),
        cancel_event: threading.Event | None = None,
        batch_size: int = BATCH_SIZE,
        on_batch: Callable[[list[bytes]], None] | None = None,
        host: PluginHost | None = None,
        delivery: Delivery | None = None,
        heartbeat: float = DEFAULT_HEARTBEAT,
        heartbeats: Heartbeats | None = None,
        make_plan: Callable[[], PlanT] | None = None,
        resume_from: Checkpoint | None = None,
        before_close: Callable[[], None] | None = None,
        streams: StreamPlace | None = None,
        executor: ShardExecutor | None = None,
        shard_rows: int | None = None,
    ) -> None:
        """``make_plan`` makes the plan instead of ``source.plan(request)`` (a retry's rows,
        a resumed task's rest); ``resume_from`` appends to the streams from that checkpoint
        (the caller rewound them to it) instead of starting new ones; ``before_close`` runs
        after the last batch (a resume's check of the parts it kept: raising fails the task).
        ``streams`` is where the ``result`` and ``errors`` streams go (default: ``directory``,
        which keeps the checkpoint; an ``s3://`` URL puts them on object storage);
        ``executor`` runs the export as shards of ``shard_rows`` rows (a multiple of
        ``batch_size``; default: a few per worker) on its workers (see :mod:`._sharded`)."""
        self.source = source
        self.tasks = tasks
        self.task_id = task_id
        self.request = request
        self.directory = directory
        self.streams: StreamPlace = directory if streams is None else streams
        self.steps = list(steps)
        self.cancel_event = cancel_event or threading.Event()
        self.batch_size = batch_size
        self.on_batch = on_batch
        self.host = host
        self.delivery = delivery
        self.heartbeat = heartbeat  # seconds between beats (and between retries of the status)
        self.heartbeats = heartbeats  # the manager's beating thread; None: one of its own
        self.make_plan = make_plan
        self.resume_from = resume_from
        self.before_close = before_close
        self.executor = executor
        self.shard_rows = shard_rows
        # a source that can resume gets a checkpoint after each commit (see _checkpoint.py)
        self._resumable = source if isinstance(source, ResumableSource) else None
        self._checkpoint = resume_from or Checkpoint()
        self.rows_done = self._checkpoint.rows_done
        # the plan key of the last row written, while both streams hold every line up to it
        self._whole_until: int | None = None
        self.rows_planned: int | None = None
        self.errors_written = 0
        self.context = ExportContext(
            task_id=task_id,
            request=request,
            catalog=catalog,
            options=dict(request.options.plugin_options or {}),
        )
        self._started = time.monotonic()
        # (plugin, hook) -> [first failure, count]: one ERRORS line each, however often it raised
        self._hook_failures: dict[tuple[str, str], list[Any]] = {}
        self._counting = threading.Event()  # set: stop counting the plan (the export ended)
        self.timings = BatchTimings(directory)  # per-batch figures, in timings.ndjson
        # a fresh export's plan state, computed beside the export (see _beside); until it is
        # known no checkpoint is written (a resume then starts from the first row)
        self._state_later: DeferredPlanState | None = None
        self._plan_state: PlanState | None = None
        self._beside_started = False
        self._beside_thread: threading.Thread | None = None

    def _notify(self, event: str, **kwargs: Any) -> None:
        if self.host is not None:
            for failure in self.host.notify(event, context=self.context, **kwargs):
                seen = self._hook_failures.setdefault((failure.plugin, failure.hook), [failure, 0])
                seen[1] += 1

    def _hook_failure_lines(self) -> list[dict[str, Any]]:
        """``PLUGIN_HOOK_FAILED`` lines for the lifecycle hooks that raised: one per plugin and
        hook, written when ERRORS closes (just before the sinks' lines, which end it)."""
        lines = [
            problem(
                "PLUGIN_HOOK_FAILED",
                f"plugin {failure.plugin!r} raised in {failure.hook}: {failure.error}"
                + (f" ({count} times)" if count > 1 else ""),
                stage="lifecycle",
                plugin=failure.plugin,
                details={"hook": failure.hook, "error": failure.error, "count": count},
            )
            for failure, count in self._hook_failures.values()
        ]
        self._hook_failures.clear()
        return lines

    def committed(self, stream: str, part: PartInfo | None, *, deliver: bool = True) -> None:
        if part is None:
            return
        if deliver and stream == "result" and self.delivery is not None:
            self.delivery.deliver(part)
        self._notify("part_ready", stream=stream, part=part.to_dict())

    def canceled(self, *, ask: bool = True) -> bool:
        """Whether the export was canceled: the in-process flag at every call, and the task's
        status (a cancel from another process, or the task ended elsewhere) when ``ask``."""
        if self.cancel_event.is_set():
            return True
        if not ask:
            return False
        status = self.tasks.current_status(self.task_id)
        if status is TaskStatus.CANCELLING:
            self.cancel_event.set()
            return True
        if status is not TaskStatus.IN_PROGRESS:
            raise _Superseded(status)
        return False

    def run(self) -> TaskStatus:
        """Run the export; returns the final status.

        Whatever goes wrong, before the first batch or after the last, the task ends FAILED
        with the message (or CANCELED, or as someone else ended it), never IN_PROGRESS; a
        status the catalog cannot take now is written as soon as it can be.
        """
        try:
            if not self.tasks.set_status(self.task_id, TaskStatus.IN_PROGRESS):
                return self._not_started()
        except Exception as exc:  # the catalog cannot be written: nothing has started
            return self._fail(exc, [])
        beats = self.heartbeats or Heartbeats(self.tasks, self.heartbeat)
        beats.register(self.task_id, self.cancel_event)
        writers: list[StreamWriter] = []
        try:
            try:
                result = self._open_stream("result")
                writers.append(result)
                errors = self._open_stream("errors")
                writers.append(errors)
                self._result = result
                self._errors = errors
                self._notify("started")
                if self.delivery is not None:
                    self.delivery.open(self.context, self.cancel_event)
                with fewer_collections(EXPORT_THRESHOLD):
                    try:
                        self._export(result, errors)
                    finally:  # before the task's end is recorded, however it ends
                        self._close_steps()
                return self._complete(result, errors)
            except _Superseded as ended:
                self._close_streams(writers, "the task was ended elsewhere")
                return ended.status
            except Canceled:
                # the ending hooks run before ERRORS closes, so their failures are lines in it
                self._notify_ended("canceled")
                self._close_streams(writers, "the export was canceled")
                self._record(TaskStatus.CANCELED)
                return TaskStatus.CANCELED
        except BaseException as exc:
            status = self._fail(exc, writers)
            if not isinstance(exc, Exception):
                raise
            return status
        finally:
            beats.unregister(self.task_id)
            if self.heartbeats is None:
                beats.stop()

    def _close_steps(self) -> None:
        """Let each step end what it runs beside the export (a plugin step's check writes)."""
        for step in self.steps:
            close = getattr(step, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # the task has ended already: its status stands
                    logger.exception("export %s: a step failed to close", self.task_id)

    def _not_started(self) -> TaskStatus:
        """The task was canceled while queued (or ended elsewhere): it never runs."""
        status = self.tasks.current_status(self.task_id)
        if status is TaskStatus.CANCELLING:
            self.tasks.set_status(self.task_id, TaskStatus.CANCELED)
            return TaskStatus.CANCELED
        return status

    def _complete(self, result: StreamWriter, errors: StreamWriter) -> TaskStatus:
        if self.rows_planned is None:  # done before the count: every planned row was read
            self.rows_planned = self.rows_done
        self._close_result(result)
        summary = {
            "rows": result.total_lines,
            "errors": errors.total_lines,
            "result_bytes": result.total_size,
            "seconds": round(time.monotonic() - self._started, 3),
        }
        sink_problems: list[dict[str, Any]] = []
        if self.delivery is not None:
            sink_problems = self.delivery.close(summary)
            if self.delivery.interrupted:
                raise Canceled  # canceled while the sinks were still taking rows
        if self.tasks.current_status(self.task_id) is TaskStatus.IN_PROGRESS:
            # every line is written: the ending hook runs before ERRORS closes (and the task
            # turns COMPLETE), so its failure is a line in it
            self._notify_ended("completed", summary=summary)
        self._close_errors(errors, sink_problems)
        summary["errors"] = errors.total_lines
        try:
            self.tasks.record_progress(
                self.task_id,
                rows_done=self.rows_done,
                rows_planned=self.rows_planned,
                percentage=100.0,
            )
        except Exception:
            pass  # progress only: the status below carries 100 % too, and is retried
        if self._record(TaskStatus.COMPLETE, percentage=100.0) is False:
            # someone else ended the task meanwhile (declared it FAILED): leave it as it is
            return self.tasks.current_status(self.task_id)
        return TaskStatus.COMPLETE

    def _notify_ended(self, event: str, **kwargs: Any) -> None:
        """Tell the plugins how the task ended; a hook failing now changes nothing."""
        try:
            self._notify(event, **kwargs)
        except Exception:
            logger.exception("a plugin failed on %s of task %s", event, self.task_id)

    def _record(self, status: TaskStatus, **fields: Any) -> bool | None:
        """Write the final status (retried in the background if the catalog cannot take it
        now: None); False when the move was refused."""
        return record_status(self.tasks, self.task_id, status, retry_every=self.heartbeat, **fields)

    def _fail(self, exc: BaseException, writers: list[StreamWriter]) -> TaskStatus:
        """End the task FAILED: a ``TASK_FAILED`` line in ERRORS (if it can be written), both
        streams closed or, if they cannot be, their pending part removed, sinks aborted."""
        self._checkpoint_pending(deliver=False)  # before the TASK_FAILED line
        message = (
            exc.task_message if isinstance(exc, ShardFailed) else f"{type(exc).__name__}: {exc}"
        )
        line = problem(
            "TASK_FAILED",
            message,
            stage="task",
            details={"traceback": traceback.format_exc(limit=5)},
        )
        if len(writers) > 1 and not writers[1].closed:
            try:
                writers[1].write_lines([orjson.dumps(line)])
            except Exception:
                pass  # the errors disk is full as well: the task's error says it all
        self._notify_ended("failed", error=message)  # before ERRORS closes: see completed
        self._close_streams(writers, message)
        self._record(TaskStatus.FAILED, error=message)
        return TaskStatus.FAILED

    def _close_streams(self, writers: list[StreamWriter], reason: str) -> None:
        """Close the streams of an export that ended early, never raising: sinks are aborted
        first (their ``SINK_FAILED`` lines go to ERRORS), and a stream that cannot be closed
        (a full disk) drops its pending part, so no file is left open or half-written."""
        self._checkpoint_pending(deliver=False)
        problems = [*self._hook_failure_lines(), *self._abort_delivery(reason)]
        for stream, writer, lines in zip(
            ("result", "errors"), writers, ([], problems), strict=False
        ):
            try:
                if lines and not writer.closed:
                    writer.write_lines([orjson.dumps(line) for line in lines])
                before = len(writer.manifest.parts)
                writer.close()
                for part in writer.manifest.parts[before:]:
                    self.committed(stream, part, deliver=False)
            except Exception:
                writer.abort()

    def _abort_delivery(self, reason: str) -> list[dict[str, Any]]:
        if self.delivery is None:
            return []
        try:
            return self.delivery.abort(reason)
        except Exception:
            return []

    def _open_stream(self, name: str) -> StreamWriter:
        """A new stream, or, resuming, the stream rewound to the checkpoint reopened."""
        if self.resume_from is None:
            return StreamWriter(join_place(self.streams, name))
        return StreamWriter.open(join_place(self.streams, name))

    def save_checkpoint(self, result: StreamWriter, errors: StreamWriter, after: int) -> None:
        """Both streams hold every line of the rows done so far: record where that is (once
        the plan's state is known: a checkpoint without it is no checkpoint)."""
        if self._resumable is None:
            return
        plan = self._checkpoint.plan or self._plan_state
        if plan is None:
            return
        result.sync()  # what the checkpoint names is durable before it is
        errors.sync()
        self._checkpoint = attrs.evolve(
            self._checkpoint,
            plan=plan,
            result_parts=len(result.manifest.parts),
            errors_parts=len(errors.manifest.parts),
            rows_done=self.rows_done,
            after=after,
        )
        self._checkpoint.write(self.directory)

    def _checkpoint_pending(self, *, deliver: bool = True) -> None:
        """Before the streams close (at the end, on a cancel or a failure): commit both and
        record the checkpoint at the last whole batch, so a resume continues right there. Once
        only, and best effort: if it cannot be written, a resume starts from the previous one."""
        after, self._whole_until = self._whole_until, None
        if after is None:
            return
        try:
            parts = (self._result.commit(), self._errors.commit())
            if parts != (None, None):
                self.save_checkpoint(self._result, self._errors, after)
        except OSError:
            return
        self.committed("result", parts[0], deliver=deliver)
        self.committed("errors", parts[1], deliver=deliver)

    def _close_result(self, result: StreamWriter) -> None:
        self._checkpoint_pending()
        before = len(result.manifest.parts)
        result.close()
        for part in result.manifest.parts[before:]:
            self.committed("result", part)

    def _close_errors(self, errors: StreamWriter, lines: list[dict[str, Any]]) -> None:
        # hook failures come before sink failures: those are the stream's last lines
        lines = [*self._hook_failure_lines(), *lines]
        if lines:
            errors.write_lines([orjson.dumps(line) for line in lines])
        before = len(errors.manifest.parts)
        errors.close()
        for part in errors.manifest.parts[before:]:
            self.committed("errors", part)

    def _beside(self, plan: PlanT, state_later: DeferredPlanState | None) -> None:
        """Beside the export: the plan's state (which counts its rows too) of a fresh export
        of a resumable source, else the count of an uncounted plan (progress says "counting"
        until then)."""
        stop = self._counting.is_set
        total: int | None
        try:
            if state_later is not None:
                state = state_later(stop)
                if state is None:
                    return
                self._plan_state, total = state, state.rows
            else:
                total = self.source.count(plan, stop)
        except Exception:  # progress and resume only: the export goes on without them
            logger.warning(
                "could not count the rows of export task %s", self.task_id, exc_info=True
            )
            return
        if total is not None and self.rows_planned is None and not stop():
            self.rows_planned = total

    def _export(self, result: StreamWriter, errors: StreamWriter) -> None:
        planning = self.timings.clock()
        plan = self.make_plan() if self.make_plan is not None else self.source.plan(self.request)
        self.timings.planned(planning, self.timings.clock())
        self.rows_planned = plan.total
        if self.resume_from is None and self._resumable is not None:
            # the catalog as it is before the first row is read: what a resume compares with
            self._state_later = self._resumable.plan_state_later(plan)
        try:
            if self.executor is None:
                self._stream(plan, result, errors)
            else:
                # the plan's state beside the shards, as beside a local export: a merge before
                # it is known writes no checkpoint (a resume then starts from the first row)
                self._start_beside(plan)
                export_sharded(
                    self, self.executor, plan, result, errors, shard_rows=self.shard_rows
                )
                self._finish_sharded()
        finally:
            self._counting.set()
            self.timings.flush()
            self._start_beside(plan)  # not started yet: it releases what the state holds
            self._end_beside()

    def _finish_sharded(self) -> None:
        """After the last shard is merged: the resume's check, then a late cancel."""
        if self.before_close is not None:
            self.before_close()
        if self.canceled():
            raise Canceled

    def _start_beside(self, plan: PlanT) -> None:
        """Start :meth:`_beside` on a thread of its own, once (after the first part is
        committed, so that it never competes with the first rows for a core)."""
        if self._beside_started:
            return
        self._beside_started = True
        if self._state_later is not None or self.rows_planned is None:
            self._beside_thread = threading.Thread(
                target=self._beside,
                args=(plan, self._state_later),
                name=f"count-{self.task_id}",
                daemon=True,
            )
            self._beside_thread.start()

    def _end_beside(self) -> None:
        """The export ended (``_counting`` is set): interrupt the plan's state if it is being
        computed and wait for :meth:`_beside` to end, so that nothing reads the catalog on its
        connection once the runner is done (a catalog closed under a running read crashes
        the process). A count stops at its next key range."""
        thread = self._beside_thread
        while thread is not None and thread.is_alive():
            if self._state_later is not None:
                self._state_later.cancel()  # again each time: it may not have begun its read
            thread.join(_BESIDE_POLL)

    def record_progress(self, rows_done: int) -> None:
        """Record the rows done so far (and tell the plugins, once the plan is counted)."""
        planned = self.rows_planned
        self.tasks.record_progress(
            self.task_id,
            rows_done=rows_done,
            rows_planned=planned,
            percentage=min(99.9, 100.0 * rows_done / planned) if planned else 0,
        )
        if planned is not None:
            self._notify("progress", rows_done=rows_done, rows_planned=planned)

    @property
    def checkpoint_after(self) -> int | None:
        """The plan key the streams hold every row up to (None: no row yet)."""
        return self._checkpoint.after

    def _stream(self, plan: PlanT, result: StreamWriter, errors: StreamWriter) -> None:
        layout = PlanLayout.for_request(self.request)
        assembler = RowAssembler(
            self.source, self.request, layout, sections=sections_read_by(self.steps)
        )
        if plan.missing and self._checkpoint.after is None:
            errors.write_lines(missing_lines(self.request, plan.missing))
        last_progress = 0.0
        key = layout.positions["rid"]
        timings, clock = self.timings, self.timings.clock
        mark = clock()  # each batch's time starts where the last one's ended
        for base in self.source.iter_batches(plan, self.batch_size, layout):
            # the flag every batch; the task's status (another process's cancel) with progress,
            # and whenever another connection wrote to the catalog since the last batch
            now = time.monotonic()
            if self.canceled(ask=now - last_progress >= _PROGRESS_EVERY or self.tasks.changed()):
                raise Canceled
            encoded, problems, read, plugged, dumped = run_batch(
                assembler, self.steps, self.context, base, clock
            )
            size = result.total_size
            self._whole_until = None
            result.write_lines(encoded)
            if problems:
                errors.write_lines(problems)
            if self.rows_done == 0:
                # the first rows are readable at once; later parts commit by size (or age)
                parts = (result.commit(), errors.commit())
                self._start_beside(plan)
            else:
                parts = (result.maybe_commit(), errors.maybe_commit())
            self.rows_done += len(base)
            if parts != (None, None):
                # both streams whole at the same row, so a checkpoint can name it
                parts = (parts[0] or result.commit(), parts[1] or errors.commit())
                self.save_checkpoint(result, errors, base[-1][key])
            self._whole_until = base[-1][key]
            self.committed("result", parts[0])
            self.committed("errors", parts[1])
            if self.on_batch is not None:
                self.on_batch(encoded)
            written = clock()
            timings.batch(len(base), result.total_size - size, mark, read, plugged, dumped, written)
            mark = written
            if now - last_progress >= _PROGRESS_EVERY:
                timings.flush()
                last_progress = now
                self.record_progress(self.rows_done)
        if self.before_close is not None:
            self.before_close()
        for step in self.steps:
            finish = getattr(step, "finish", None)
            if finish is not None:
                finish()
        if self.canceled():
            raise Canceled
