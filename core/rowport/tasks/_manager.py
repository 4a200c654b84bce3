"""The task manager: starts export runners on an executor and finds tasks again."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures
from pathlib import Path
from typing import Any, Generic

from rowport.catalog import (
    DEFAULT_HEARTBEAT,
    Catalog,
    ExportPlan,
    ExportSource,
    PlanT,
    ResumableSource,
    TaskHistory,
    TaskRecord,
    TaskStatus,
    TaskStore,
)
from rowport.catalog._liveness import describe_runner
from rowport.catalog._tasks import runner_identity
from rowport.errors import InvalidInput, RowportError
from rowport.plugins import PluginHost
from rowport.plugins._model import ErrorPolicy
from rowport.plugins._probe import MediaProbeStep
from rowport.plugins._step import PluginStep
from rowport.request import ExportRequest
from rowport.streams import StreamReader, StreamWriter, manifest_required
from rowport.streams._storage import StreamPlace, join_place, open_storage, storage_root
from rowport.tasks._checkpoint import Checkpoint
from rowport.tasks._converters import StreamType
from rowport.tasks._executors import ShardExecutor
from rowport.tasks._heartbeat import Heartbeats
from rowport.tasks._resume import ResumeReport, prepare_resume, retry_rows
from rowport.tasks._runner import BatchStep, Delivery, ExportRunner
from rowport.tasks._task import ExportTask

__all__ = ["PROBE_TASK_TYPE", "TaskManager"]

PROBE_TASK_TYPE = "probe-media"
INTERRUPTED = "INTERRUPTED"  # how an attempt ended whose process died or was shut down


class TaskManager(Generic[PlanT]):
    """Runs exports on a thread pool (``max_workers`` at once) and keeps their streams.

    Each runner beats every ``heartbeat`` seconds; a runner on another host that missed three
    beats is declared dead, one on this host as soon as its process is gone. It is the embedded
    :class:`~rowport.tasks._backend.TaskBackend` of the tasks it hands out.
    """

    def __init__(
        self,
        tasks: TaskStore,
        source: ExportSource[PlanT],
        tasks_dir: Path,
        *,
        catalog: Catalog,
        max_workers: int = 2,
        steps: Sequence[BatchStep] = (),
        host: PluginHost | None = None,
        heartbeat: float = DEFAULT_HEARTBEAT,
        history: TaskHistory | None = None,
        storage: StreamPlace | None = None,
        executor: ShardExecutor | None = None,
        shard_rows: int | None = None,
    ) -> None:
        """``history`` keeps the tasks' attempts and retry links; without it (and a source that
        is a :class:`~rowport.catalog.ResumableSource`) tasks can be neither resumed nor
        retried. ``storage`` is where the tasks' streams go: a folder or an
        ``s3://bucket/prefix`` (default: ``$ROWPORT_STORAGE_URL``, else ``tasks_dir``, which
        keeps each task's checkpoint and reports either way). ``executor`` runs each export as
        shards of ``shard_rows`` plan rows on its workers (None: in this process, the
        default); an export whose pipeline has other steps than the plugins' (a media probe,
        ``steps``) still runs here."""
        if (
            isinstance(heartbeat, bool)
            or not isinstance(heartbeat, (int, float))
            or not (0 < heartbeat <= 3600)
        ):
            raise InvalidInput(
                f"heartbeat must be seconds above 0 and at most 3600, got {heartbeat!r}"
            )
        self.heartbeat = float(heartbeat)
        self.tasks = tasks
        self.source = source
        self.history = history
        self.resumable = source if isinstance(source, ResumableSource) else None
        self.catalog = catalog  # only for plugins: ``context.catalog``
        self.tasks_dir = Path(tasks_dir)
        self.storage: StreamPlace = storage_root(self.tasks_dir) if storage is None else storage
        self.steps = list(steps)
        self.host = host
        self.executor = executor
        self.shard_rows = shard_rows
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="rowport-export")
        self._done: dict[str, threading.Event] = {}
        self._cancel: dict[str, threading.Event] = {}
        self._futures: dict[str, Future[TaskStatus]] = {}
        self._heartbeats = Heartbeats(tasks, self.heartbeat)
        self._interrupted: set[str] = set()  # canceled by shutdown(interrupt_running=True)
        self.recovered = self.recover_orphans()

    @classmethod
    def for_catalog(
        cls, catalog: Catalog, tasks_dir: Path, **options: Any
    ) -> TaskManager[ExportPlan]:
        """A manager whose tasks and export reads are the catalog's own stores."""
        return TaskManager(
            catalog.tasks,
            catalog.reads,
            tasks_dir,
            catalog=catalog,
            history=catalog.task_history,
            **options,
        )

    def recover_orphans(self) -> list[str]:
        """Fail tasks whose runner is gone (its process died, or, on another host, it missed
        three heartbeats); returns their ids."""
        failed = []
        for rec in self.tasks.find_orphans():
            message = (
                f"the process running this task ({describe_runner(rec.runner)}) stopped"
                " before it finished;"
                f" {_rows_exported(rec.rows_done, rec.rows_planned)}"
            )
            if rec.status is TaskStatus.CANCELLING:
                self.tasks.set_status(rec.id, TaskStatus.CANCELED)
            else:
                self.tasks.set_status(rec.id, TaskStatus.FAILED, error=message)
            failed.append(rec.id)
        return failed

    def task_dir(self, task_id: str) -> Path:
        """Where a task's streams live."""
        return self.tasks_dir / task_id

    def streams_dir(self, task_id: str) -> StreamPlace:
        """Where a task's two streams live: its folder, or its prefix on object storage."""
        return join_place(self.storage, task_id)

    def stream_dir(self, task_id: str, name: str) -> StreamPlace:
        """A task's ``result`` or ``errors`` stream: a directory, or an ``s3://`` prefix."""
        return join_place(self.storage, task_id, name)

    def get_record(self, task_id: str) -> TaskRecord:
        """The task's record (NotFound if there is none)."""
        return self.tasks.get_task(task_id)

    def open_stream(self, task_id: str, stream_type: StreamType) -> StreamReader:
        """A reader of the task's RESULT or ERRORS stream; a finished task's must have its
        manifest (a deleted one is :class:`~rowport.errors.StreamCorrupted`, never an empty
        stream; see :func:`~rowport.streams.manifest_required`)."""
        directory = self.stream_dir(task_id, stream_type.value.lower())
        status = self.tasks.current_status(task_id)
        required = manifest_required(
            directory, complete=status is TaskStatus.COMPLETE, finished=status.is_final
        )
        return StreamReader(directory, required=required)

    def stream_url(self, task_id: str, stream_type: StreamType) -> str:
        """The ``file://`` URL of the stream's directory, or its ``s3://`` URL."""
        place = self.stream_dir(task_id, stream_type.value.lower())
        if isinstance(place, Path):
            return place.resolve().as_uri()
        return open_storage(place).location

    def check_scope(self, request: ExportRequest) -> None:
        """Raise NotFound before a task exists when the export's scope does not exist."""
        self.source.require_scope(request)

    def start(
        self,
        request: ExportRequest,
        *,
        client: Any = None,
        legacy: bool = False,
        steps: Sequence[BatchStep] | None = None,
    ) -> ExportTask:
        """Persist a task for ``request`` and start its runner; returns at once.

        :raises ValueError: the request names sinks and this manager has no plugin host
            (before a task exists).
        """
        self.check_scope(request)
        if (request.options.sinks or request.options.get("formats")) and self.host is None:
            what = "sinks" if request.options.sinks else "formats"
            raise ValueError(f"{what} need plugins: this task manager has no plugin host")
        name = request.task_name or _default_name(request)
        record = self.tasks.create_task(
            name,
            {"request": _stored_request(request), "legacy": legacy},
            heartbeat_interval=self.heartbeat,
        )
        return self._launch(
            record.id,
            request,
            steps=self.steps_for(request) if steps is None else steps,
            host=self.host,
            delivery=self.delivery_for(
                request, self.stream_dir(record.id, "result"), task_dir=self.task_dir(record.id)
            ),
            client=client,
        )

    def start_probe(
        self, request: ExportRequest, *, only_missing: bool = True, client: Any = None
    ) -> ExportTask:
        """Persist a media probe task over ``request``'s scope and start it; returns at once.

        It runs as an export does (same runner, streams, progress and cancel) with a
        :class:`~rowport.plugins._probe.MediaProbeStep` as its only step: its RESULT stream
        holds one line per data row (``outcome``: updated, unchanged or failed), its ERRORS
        stream the media that could not be read. No lifecycle hook (``rowport_export_*``) runs.
        """
        if self.host is None:
            raise ValueError("probing media needs plugins: this task manager has no plugin host")
        self.check_scope(request)
        scope = ",".join(request.scope_ids)
        name = request.task_name or f"probe media {request.kind.noun}" + (
            f" {scope}" if scope else ""
        )
        record = self.tasks.create_task(
            name,
            {"request": request.to_dict(), "probe": {"only_missing": only_missing}},
            type=PROBE_TASK_TYPE,
            heartbeat_interval=self.heartbeat,
        )
        return self._launch(
            record.id,
            request,
            steps=[MediaProbeStep(self.host, only_missing=only_missing)],
            client=client,
        )

    def resume(
        self, task_id: str, *, allow_changed: bool = False, client: Any = None
    ) -> ExportTask:
        """Continue an interrupted task (FAILED, CANCELED, or left running by a dead process)
        after the last row its streams hold whole; the task keeps its id and records a new
        attempt. The finished streams are byte-identical to an uninterrupted export's.

        A resumed task's sinks are not driven (their secrets are not kept): re-deliver its
        rows with ``rowport tasks deliver``.

        :raises InvalidInput: the task is COMPLETE, still running, or not an export.
        :raises TaskChanged: rows of the task's plan changed since it started (pass
            ``allow_changed=True`` to continue with the catalog as it is now).
        :raises StreamCorrupted: a part the checkpoint keeps does not match its manifest (the
            task is left FAILED, saying so).
        """
        record = self.tasks.get_task(task_id)
        if not record.status.is_final:
            self.recover_orphans()
            record = self.tasks.get_task(task_id)
        resumption = prepare_resume(self, record, allow_changed=allow_changed)
        return self._launch(
            task_id,
            resumption.request,
            steps=self._steps_of(record, resumption.request),
            client=client,
            make_plan=resumption.make_plan,
            resume_from=resumption.checkpoint,
            note=resumption.note,
            before_close=resumption.check,
        )

    def resume_interrupted(
        self, *, allow_changed: bool = False, client: Any = None
    ) -> ResumeReport:
        """Resume every task whose last attempt was interrupted (its process died or was
        killed, the machine rebooted, or :meth:`shutdown` interrupted it): what a server calls
        at start with ``--resume``.

        A task that cannot be resumed is left as it is; the report says why.
        """
        self.recover_orphans()
        report = ResumeReport()
        for record in self.tasks.list_tasks():
            if record.status is TaskStatus.COMPLETE or not record.status.is_final:
                continue
            attempts = self.require_history().list_attempts(record.id)
            if not attempts or attempts[-1].status not in (None, INTERRUPTED):
                continue
            try:
                report.resumed.append(
                    self.resume(record.id, allow_changed=allow_changed, client=client)
                )
            except RowportError as exc:
                report.refused[record.id] = str(exc)
        return report

    def retry_failed(self, task_id: str, *, client: Any = None) -> ExportTask:
        """A new task that exports again exactly the rows of ``task_id`` that have ERRORS
        lines, with the same request (after the data or a plugin was fixed). The two tasks are
        linked both ways (:meth:`~rowport.catalog.TaskStore.linked_tasks`).

        :raises InvalidInput: the task has not ended, or no ERRORS line names a data row.
        """
        record = self.tasks.get_task(task_id)
        ids = retry_rows(self, record)
        request = ExportRequest.from_dict(record.metadata["request"])
        retry = self.tasks.create_task(
            request.task_name or f"retry of {record.name}",
            {**record.metadata, "retry_of": task_id, "retry_rows": ids},
            type=record.type,
        )
        self.require_history().link_tasks(task_id, retry.id)
        return self._launch(
            retry.id,
            request,
            steps=self._steps_of(retry, request),
            client=client,
            make_plan=self.planner(retry.metadata, request),
        )

    def planner(self, metadata: Any, request: ExportRequest) -> Callable[[], PlanT]:
        """How a task's plan is made: the request's, narrowed to a retry's rows."""
        ids = metadata.get("retry_rows")
        if ids is None:
            return lambda: self.source.plan(request)
        source = self.require_resumable()
        return lambda: source.restrict_plan(
            self.source.plan(request), list(source.data_row_keys(ids).values())
        )

    def require_history(self) -> TaskHistory:
        """The task store's :class:`~rowport.catalog.TaskHistory`.

        :raises InvalidInput: the store keeps none (it cannot resume or retry).
        """
        if self.history is None:
            raise InvalidInput("this task store keeps no task history: it cannot resume or retry")
        return self.history

    def require_resumable(self) -> ResumableSource[PlanT]:
        """The export source's :class:`~rowport.catalog.ResumableSource`.

        :raises InvalidInput: the source is not one (it cannot resume or retry).
        """
        if self.resumable is None:
            raise InvalidInput("this export source cannot resume or retry exports")
        return self.resumable

    def _steps_of(self, record: TaskRecord, request: ExportRequest) -> list[BatchStep]:
        """The pipeline of an existing task (an export's, or a probe task's)."""
        if record.type == PROBE_TASK_TYPE:
            if self.host is None:
                raise InvalidInput("probing media needs plugins: this task manager has none")
            only_missing = bool(record.metadata.get("probe", {}).get("only_missing", True))
            return [MediaProbeStep(self.host, only_missing=only_missing)]
        return self.steps_for(request)

    def _launch(
        self,
        task_id: str,
        request: ExportRequest,
        *,
        steps: Sequence[BatchStep],
        host: PluginHost | None = None,
        delivery: Delivery | None = None,
        client: Any,
        make_plan: Callable[[], PlanT] | None = None,
        resume_from: Checkpoint | None = None,
        note: str | None = None,
        before_close: Callable[[], None] | None = None,
    ) -> ExportTask:
        """Start the runner of a persisted task on the executor; the handle on it."""
        # the task's folder keeps its checkpoint and reports, wherever its streams are
        self.task_dir(task_id).mkdir(parents=True, exist_ok=True)
        self._done[task_id] = threading.Event()
        self._cancel[task_id] = threading.Event()
        attempt = 0
        if self.history is not None:
            attempt = self.history.start_attempt(
                task_id,
                runner=runner_identity(),
                resumed_from_row=0 if resume_from is None else resume_from.rows_done,
                note=note,
            )
        if resume_from is not None and resume_from.plan is not None:
            # the task's progress goes back to its checkpoint (the last attempt kept its own)
            done, planned = resume_from.rows_done, resume_from.plan.rows
            self.tasks.record_progress(
                task_id,
                rows_done=done,
                rows_planned=planned,
                percentage=100.0 * done / planned if planned else 0.0,
            )
        runner = ExportRunner(
            self.source,
            self.tasks,
            task_id,
            request,
            self.task_dir(task_id),
            catalog=self.catalog,
            steps=steps,
            cancel_event=self._cancel[task_id],
            host=host,
            delivery=delivery,
            heartbeat=self.heartbeat,
            heartbeats=self._heartbeats,
            make_plan=make_plan,
            resume_from=resume_from,
            before_close=before_close,
            streams=self.streams_dir(task_id),
            executor=self.executor if all(isinstance(s, PluginStep) for s in steps) else None,
            shard_rows=self.shard_rows,
        )
        self._futures[task_id] = self._executor.submit(self._run, runner, attempt)
        return ExportTask(self, task_id, client=client)

    def steps_for(self, request: ExportRequest) -> list[BatchStep]:
        """The pipeline of an export: fixed steps, then plugins under the error policy."""
        steps: list[BatchStep] = list(self.steps)
        if self.host is not None:
            steps.append(PluginStep(self.host, ErrorPolicy.of(request.options)))
        return steps

    def delivery_for(
        self, request: ExportRequest, result_dir: StreamPlace, *, task_dir: Path | None = None
    ) -> Delivery | None:
        """Delivery for the sinks and formats the request names (None without either);
        format outputs go to ``task_dir`` (default: the folder holding ``result_dir``)."""
        specs = request.options.sinks
        formats = request.options.get("formats")
        if not specs and not formats:
            return None
        if self.host is None:
            what = "sinks" if specs else "formats"
            raise ValueError(f"{what} need plugins: this task manager has no plugin host")
        deliveries: list[Delivery] = []
        if specs:
            from rowport.sinks import SinkDelivery

            deliveries.append(SinkDelivery.from_specs(self.host, specs, result_dir=result_dir))
        if formats:
            from rowport.formats import DeliveryChain, FormatDelivery

            deliveries.append(
                FormatDelivery.from_options(
                    self.host,
                    formats,
                    result_dir=result_dir,
                    task_dir=task_dir if task_dir is not None else Path(str(result_dir)).parent,
                    catalog=self.catalog,
                )
            )
            if len(deliveries) > 1:
                return DeliveryChain(deliveries)
        return deliveries[0]

    def _run(self, runner: ExportRunner[PlanT], attempt: int) -> TaskStatus:
        try:
            return runner.run()
        finally:
            self._end_attempt(runner, attempt)
            self._done[runner.task_id].set()

    def _end_attempt(self, runner: ExportRunner[PlanT], attempt: int) -> None:
        """Record how the attempt ended (best effort: a catalog that cannot be written leaves
        the attempt open, which reads as interrupted)."""
        if self.history is None:
            return
        try:
            status = self.tasks.current_status(runner.task_id).value
            if runner.task_id in self._interrupted:
                status = INTERRUPTED
            self.history.end_attempt(
                runner.task_id, attempt, status=status, rows_done=runner.rows_done
            )
        except Exception:
            pass

    def done_event(self, task_id: str) -> threading.Event | None:
        """The in-process event set when the task's runner ends (None for other processes)."""
        return self._done.get(task_id)

    def get(self, task_id: str, *, client: Any = None) -> ExportTask:
        """A handle on an existing task (NotFound if there is none)."""
        return ExportTask(self, task_id, client=client)

    def list(self, *, client: Any = None) -> list[ExportTask]:
        """Every task, newest first."""
        return [ExportTask(self, rec.id, client=client) for rec in self.tasks.list_tasks()]

    def running(self) -> Sequence[str]:
        """The ids of the tasks this manager started whose runner has not ended yet."""
        return [task_id for task_id, future in self._futures.items() if not future.done()]

    def cancel(self, task_id: str) -> bool:
        """Ask a task to stop; False when it had already finished.

        A task still queued (no runner took it up, here or in another process) ends CANCELED
        at once and never starts; a running one is CANCELLING until its runner stops, before
        its next batch.
        """
        self.tasks.get_task(task_id)
        future = self._futures.get(task_id)
        if future is not None and future.cancel():
            self._done[task_id].set()  # it will never run, so nothing else sets it
        accepted = self.tasks.set_status(task_id, TaskStatus.CANCELLING)
        if accepted and self.tasks.current_status(task_id) is TaskStatus.CANCELED:
            self._empty_streams(task_id)  # it was still queued: canceled before it started
            return True
        event = self._cancel.get(task_id)
        if event is not None:
            event.set()
        # A runner in another process sees CANCELLING at its next batch or heartbeat.
        return accepted

    def _empty_streams(self, task_id: str) -> None:
        """A task canceled before it started has two empty, complete streams to read."""
        for name in ("result", "errors"):
            try:
                StreamWriter(self.stream_dir(task_id, name)).close()
            except OSError:
                pass  # its streams read as empty all the same

    def shutdown(
        self, *, wait: bool = True, cancel_running: bool = False, interrupt_running: bool = False
    ) -> None:
        """Stop the executor (optionally canceling what still runs). ``interrupt_running``
        cancels it too, but records the attempts as ``INTERRUPTED``, so the next
        :meth:`resume_interrupted` (a server started with ``--resume``) resumes them."""
        if cancel_running or interrupt_running:
            for task_id, future in self._futures.items():
                if not future.done():
                    if interrupt_running:
                        self._interrupted.add(task_id)
                    self.cancel(task_id)
        if wait:
            # wait on the futures, not the threads: on Python < 3.13 a Thread.join() cut short
            # by Ctrl-C marks a still-running thread as stopped (gh-90882), so a second
            # shutdown would return at once and the catalog be closed under a running export
            wait_for_futures(list(self._futures.values()))
        self._executor.shutdown(wait=wait)
        if wait:
            self._heartbeats.stop()


def _stored_request(request: ExportRequest) -> dict[str, Any]:
    """The request as it is kept with the task: its sinks' secrets are not stored."""
    data = request.to_dict()
    if not request.options.get("sinks"):
        return data
    from rowport.sinks._stored import redact_request

    return redact_request(data)


def _rows_exported(done: int | None, planned: int | None) -> str:
    """``"40 of 100 rows had been exported"``, or, for a runner that died while planning,
    ``"it had not yet planned its rows (none had been exported)"``."""
    done = done or 0
    if planned is None:
        if done == 0:
            return "it had not yet planned its rows (none had been exported)"
        return f"{done:,} rows had been exported"
    return f"{done:,} of {planned:,} rows had been exported"


def _default_name(request: ExportRequest) -> str:
    scope = ",".join(request.scope_ids[:3]) + ("..." if len(request.scope_ids) > 3 else "")
    return f"export {request.kind.noun}" + (f" {scope}" if scope else "")
