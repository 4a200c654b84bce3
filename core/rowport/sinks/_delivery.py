"""Delivering committed RESULT parts to sinks: one worker thread per sink, bounded queues,
retries with exponential backoff, and an ERRORS line for a sink that gave up.

A sink never sees a row the RESULT stream does not hold, so a failed sink loses nothing: the
rows can be re-delivered from the stream (:func:`rowport.sinks.redeliver`).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from rowport.errors import RowportError, StreamCorrupted
from rowport.export import problem
from rowport.plugins import ExportContext
from rowport.sinks._contract import SinkError, SinkFatalError, build_sink
from rowport.sinks._specs import RetryPolicy, SinkSpec, parse_sink_specs
from rowport.streams import PartInfo
from rowport.streams._storage import StreamPlace, is_object_url, open_storage

if TYPE_CHECKING:
    from rowport.plugins import PluginHost

__all__ = ["ABORT_GRACE", "BATCH_LINES", "MAX_PENDING_PARTS", "DeliveryReport", "SinkDelivery"]

BATCH_LINES = 500  # lines per sink.write()
MAX_PENDING_PARTS = 4  # parts a sink may lag behind before deliver() blocks
ABORT_GRACE = 1.0  # seconds an export that ended early waits for a sink busy in a call
_READ_BUFFER = 1 << 20
_TICK = 0.05  # seconds between looks at deadlines and the cancel while waiting on a sink


@attrs.frozen(kw_only=True)
class DeliveryReport:
    """What one sink got: lines and parts delivered, and the error it failed with, if any."""

    sink: str
    plugin: str | None
    lines_delivered: int
    parts_delivered: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the sink took every row and closed."""
        return self.error is None


def redeliver_hint(task_id: str, sink: str) -> str:
    """The sentence that tells a user how to re-drive a sink."""
    return (
        f"the rows are safe in the RESULT stream and can be re-delivered with"
        f" `rowport tasks deliver {task_id} --sink {sink}`"
    )


class _SinkWorker:
    """One sink behind a bounded queue, driven by its own thread."""

    def __init__(
        self,
        spec: SinkSpec,
        plugin: str | None,
        sink: Any,
        *,
        max_pending: int,
        batch_lines: int,
        sleep: Callable[[float], None],
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.plugin = plugin
        self.sink = sink
        self.retry: RetryPolicy = spec.retry
        self.batch_lines = batch_lines
        self.sleep = sleep
        self.queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=max_pending)
        self.thread = threading.Thread(
            target=self._run, name=f"rowport-sink-{spec.name}", daemon=True
        )
        self.aborting = threading.Event()
        self.result_dir: StreamPlace | None = None
        self.task_id = ""
        self.lines_delivered = 0
        self.parts_delivered = 0
        self.error: str | None = None
        self.deadline = spec.deadline
        self.abandoned = False
        self.busy_since: float | None = None  # when the sink call running now started
        self.busy_in = ""  # which call: open, write, close or abort
        self.idle = False  # waiting for the next part (not in a call or a retry's backoff)

    @property
    def failed(self) -> bool:
        return self.error is not None

    def overdue(self, limit: float) -> bool:
        """Whether the sink has been in one call for more than ``limit`` seconds."""
        since = self.busy_since
        return since is not None and time.monotonic() - since > limit

    def abandon(self, why: str = "") -> None:
        """Give up on a sink stuck in a call: it is failed, and its thread (which cannot be
        stopped) calls it no more once the call returns."""
        if self.abandoned:
            return
        self.abandoned = True
        why = (
            why
            or f"did not return from {self.busy_in}() within its deadline of {self.deadline:g} s"
        )
        if not self.failed:
            self.error = (
                f"sink {self.name!r} {why} and was abandoned; {self.lines_delivered} lines had"
                f" been delivered; {redeliver_hint(self.task_id or 'TASK_ID', self.name)}"
            )

    def _timed(self, step: str, fn: Callable[[], Any]) -> None:
        """Call ``fn``, marking the worker busy in ``step`` for the deadline watch."""
        self.busy_in = step
        self.busy_since = time.monotonic()
        try:
            fn()
        finally:
            self.busy_since = None

    def report(self) -> DeliveryReport:
        return DeliveryReport(
            sink=self.name,
            plugin=self.plugin,
            lines_delivered=self.lines_delivered,
            parts_delivered=self.parts_delivered,
            error=self.error,
        )

    # -- the worker thread ------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            self.idle = True
            kind, payload = self.queue.get()
            self.idle = False
            if self.abandoned:
                return
            try:
                if self.failed or (self.aborting.is_set() and kind != "abort"):
                    if kind in ("close", "abort"):
                        return
                    continue
                if kind == "open":
                    self._call("open", partial(self.sink.open, payload))
                elif kind == "part":
                    self._deliver_part(payload)
                elif kind == "close":
                    summary = {**payload, "lines_delivered": self.lines_delivered}
                    self._call("close", partial(self.sink.close, summary))
                    return
                elif kind == "abort":
                    self._abort(payload)
                    return
            except BaseException as exc:  # a bug here must not hang the export
                if not self.failed:
                    self._fail(kind, exc, 1)
                if kind in ("close", "abort"):
                    return

    def _batches(self, part: PartInfo) -> Iterator[list[bytes]]:
        assert self.result_dir is not None
        batch: list[bytes] = []
        storage = open_storage(self.result_dir)
        f, size, _ = storage.open_read(part.file, buffering=_READ_BUFFER)
        with f:
            if size != part.size:
                raise StreamCorrupted(
                    storage.path_of(part.file), f"holds {size} bytes, the manifest says {part.size}"
                )
            for line in f:
                batch.append(line[:-1] if line.endswith(b"\n") else line)
                if len(batch) >= self.batch_lines:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def _deliver_part(self, part: PartInfo) -> None:
        for batch in self._batches(part):
            if self.aborting.is_set() or not self._call("write", partial(self.sink.write, batch)):
                return
            if self.abandoned:
                return
            self.lines_delivered += len(batch)
        self.parts_delivered += 1

    def _call(self, step: str, fn: Callable[[], Any]) -> bool:
        """Call ``fn`` with retries and backoff; on the last failure the sink has failed."""
        attempts = self.retry.attempts
        for attempt in range(1, attempts + 1):
            try:
                self._timed(step, fn)
                return not self.abandoned
            except SinkFatalError as exc:
                self._fail(step, exc, attempt)
                return False
            except Exception as exc:
                if attempt == attempts or self.aborting.is_set():
                    self._fail(step, exc, attempt)
                    return False
                self.sleep(self.retry.delay(attempt))
        return False  # pragma: no cover - the loop always returns

    def _fail(self, step: str, exc: BaseException, attempts: int) -> None:
        if self.abandoned:
            return  # already reported: the call that fails now returned after its deadline
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        cause = str(exc) if isinstance(exc, SinkError) else f"{type(exc).__name__}: {exc}"
        self.error = (
            f"sink {self.name!r} failed in {step}() after {tries}:"
            f" {cause}; {self.lines_delivered} lines had been delivered;"
            f" {redeliver_hint(self.task_id or 'TASK_ID', self.name)}"
        )
        self._abort(self.error)

    def _abort(self, error: str) -> None:
        try:
            self._timed("abort", partial(self.sink.abort, error))
        except Exception:
            pass  # the sink is being given up on; its own cleanup failing changes nothing


class SinkDelivery:
    """Hands committed RESULT parts to the sinks of one export (the runner's ``Delivery``).

    Each sink gets a worker thread fed through a queue of at most ``max_pending_parts`` parts:
    :meth:`deliver` blocks while a sink is that far behind, so a slow sink slows the export
    down instead of filling memory. The worker reads each part's lines from disk and calls
    ``sink.write`` with batches of ``batch_lines`` lines. A failing call is retried
    (``retries``, ``backoff`` in the sink's options); then the sink is aborted, the others go
    on, and :meth:`close` returns a ``SINK_FAILED`` line for the ERRORS stream.

    No call waits on a sink for ever: a sink whose call (``open``, ``write``, ``close`` or
    ``abort``) takes longer than its ``deadline`` option (default 600 s) is abandoned and
    reported as failed, and once the export's cancel event is set :meth:`deliver` and
    :meth:`close` stop waiting at once and :meth:`abort` waits at most ``ABORT_GRACE`` for a
    sink busy in a call. An abandoned sink's rows stay in the RESULT stream for re-delivery.

    :param host: the plugins, to find each sink's factory.
    :param specs: the export's sinks.
    :param result_dir: the RESULT stream's directory; when None, ``context.state["result_dir"]``
        at :meth:`open`, else ``<home>/tasks/<task id>/result`` next to the catalog.
    """

    def __init__(
        self,
        host: PluginHost,
        specs: Sequence[SinkSpec],
        *,
        result_dir: StreamPlace | None = None,
        max_pending_parts: int = MAX_PENDING_PARTS,
        batch_lines: int = BATCH_LINES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_pending_parts < 1 or batch_lines < 1:
            raise ValueError("max_pending_parts and batch_lines must be at least 1")
        self.host = host
        self.specs = list(specs)
        self.result_dir = result_dir
        self.max_pending_parts = max_pending_parts
        self.batch_lines = batch_lines
        self.sleep = sleep
        self.workers: list[_SinkWorker] = []
        self._opened = False
        self._finished = False
        self._cancel = threading.Event()
        self.interrupted = False

    @classmethod
    def from_specs(
        cls,
        host: PluginHost,
        specs: Sequence[SinkSpec | Mapping[str, Any] | str | tuple[str, Mapping[str, Any]]],
        *,
        result_dir: StreamPlace | None = None,
        **kwargs: Any,
    ) -> SinkDelivery:
        """Build a delivery from sink specs in any form :func:`parse_sink_specs` reads (the
        request's ``options["sinks"]`` keeps ``{"name": ..., "options": {...}}`` dicts)."""
        return cls(host, parse_sink_specs(specs), result_dir=result_dir, **kwargs)

    # -- the runner's Delivery protocol -----------------------------------------------------

    def open(self, context: ExportContext, cancel: threading.Event | None = None) -> None:
        """Build and open every sink (each in its own thread) before the first row; once
        ``cancel`` is set, :meth:`deliver` and :meth:`close` wait for no sink."""
        if self._opened:
            raise RowportError("this delivery was already opened")
        self._opened = True
        if cancel is not None:
            self._cancel = cancel
        result_dir = self._result_dir(context)
        factories = self.host.sink_factories()
        for spec in self.specs:
            plugin: str | None = None
            sink: Any = None
            error: str | None = None
            try:
                if spec.name not in factories:
                    raise RowportError(f"no sink is registered as {spec.name!r}")
                plugin, factory = factories[spec.name]
                sink = build_sink(spec.name, plugin, factory, spec.options_for(factory))
            except Exception as exc:
                error = f"sink {spec.name!r} could not be built: {exc}"
            worker = _SinkWorker(
                spec,
                plugin,
                sink,
                max_pending=self.max_pending_parts,
                batch_lines=self.batch_lines,
                sleep=self.sleep,
            )
            worker.result_dir = result_dir
            worker.task_id = context.task_id
            if error is not None:
                worker.error = f"{error}; {redeliver_hint(context.task_id, spec.name)}"
            self.workers.append(worker)
        for worker in self.workers:
            if not worker.failed:
                worker.queue.put(("open", context))
                worker.thread.start()

    def _result_dir(self, context: ExportContext) -> StreamPlace:
        if self.result_dir is not None:
            return self.result_dir
        given = context.state.get("result_dir")
        if given is not None:
            return str(given) if is_object_url(given) else Path(given)
        # The client's layout: <home>/catalog.db beside <home>/tasks/<task id>/result.
        db_path = getattr(getattr(context.catalog, "db", None), "path", None)
        if db_path is None:
            raise RowportError("SinkDelivery needs result_dir: where the RESULT stream is")
        return Path(db_path).parent / "tasks" / context.task_id / "result"

    def deliver(self, part: PartInfo) -> None:
        """A RESULT part was committed: queue it for every sink still working (blocks while a
        sink is ``max_pending_parts`` parts behind, until its deadline or a cancel)."""
        for worker in self._live():
            if not worker.failed:
                self._put(worker, ("part", part))

    def close(self, summary: dict[str, Any]) -> list[dict[str, Any]]:
        """Wait for every sink to take its rows and close; return a ``SINK_FAILED`` ERRORS line
        for each sink that failed. When the export is canceled meanwhile, it stops waiting,
        sets :attr:`interrupted` and returns no line (:meth:`abort` follows)."""
        if self._finished:
            return []
        for worker in self._live():
            self._put(worker, ("close", dict(summary)))  # a failed sink's thread ends on it
        for worker in self.workers:
            self._join(worker, stop_on_cancel=True)
        if self._cancel.is_set() and any(
            w.thread.is_alive() and not w.failed for w in self.workers
        ):
            self.interrupted = True
            return []
        self._finished = True
        return [self._error_line(w) for w in self.workers if w.failed]

    def abort(self, error: str) -> list[dict[str, Any]]:
        """The export ended early: drop the parts still queued and abort every sink; a
        ``SINK_FAILED`` line for each sink that failed or had to be abandoned."""
        if self._finished:
            return []
        self._finished = True
        started = time.monotonic()
        for worker in self._live():
            worker.aborting.set()
            _drain(worker.queue)
            try:
                worker.queue.put_nowait(("abort", error))
            except queue.Full:  # pragma: no cover - drained just now, and nobody else puts
                pass
        for worker in self.workers:
            self._join(worker, abort_started=started)
        return [self._error_line(w) for w in self.workers if w.failed]

    def reports(self) -> list[DeliveryReport]:
        """What each sink got so far (final after :meth:`close` or :meth:`abort`)."""
        return [worker.report() for worker in self.workers]

    # -- internals --------------------------------------------------------------------------

    def _live(self) -> list[_SinkWorker]:
        return [w for w in self.workers if w.thread.is_alive() and not w.abandoned]

    def _put(self, worker: _SinkWorker, item: tuple[str, Any]) -> None:
        """Queue ``item`` for a sink, waiting while its queue is full unless the sink is past
        its deadline (abandoned) or the export was canceled (then the item is dropped)."""
        while True:
            try:
                worker.queue.put(item, timeout=_TICK)
                return
            except queue.Full:
                if worker.overdue(worker.deadline):
                    worker.abandon()
                if worker.abandoned or self._cancel.is_set() or not worker.thread.is_alive():
                    return

    def _join(
        self,
        worker: _SinkWorker,
        *,
        stop_on_cancel: bool = False,
        abort_started: float | None = None,
    ) -> None:
        """Wait for a sink's thread to end, abandoning the sink past its deadline (or, when
        aborting, past ``ABORT_GRACE`` in a call that is not its ``abort``)."""
        thread = worker.thread
        if thread.ident is None:
            return
        while not worker.abandoned:
            thread.join(_TICK)
            if not thread.is_alive():
                return
            if worker.overdue(worker.deadline):
                worker.abandon()
            elif (
                abort_started is not None
                and not worker.idle
                and not (worker.busy_in == "abort" and worker.busy_since is not None)
                and time.monotonic() - abort_started > min(ABORT_GRACE, worker.deadline)
            ):
                worker.abandon(f"was still in {worker.busy_in}() when the export ended early")
            elif stop_on_cancel and self._cancel.is_set():
                return

    @staticmethod
    def _error_line(worker: _SinkWorker) -> dict[str, Any]:
        return problem(
            "SINK_FAILED",
            worker.error or f"sink {worker.name!r} failed",
            stage="sink",
            plugin=worker.plugin,
            details={"sink": worker.name, "lines_delivered": worker.lines_delivered},
        )


def _drain(items: queue.Queue[tuple[str, Any]]) -> None:
    """Drop what a queue still holds (the parts an aborted sink will not get)."""
    while True:
        try:
            items.get_nowait()
        except queue.Empty:
            return
