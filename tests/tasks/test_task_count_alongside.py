"""Less in the way of the first row and of every batch: an export's first part is committed
before its rows are counted and before its plan's state is computed (progress says "counting"
until they are, and the count arrives in the task record; the state, computed in a snapshot
taken as the export started, is the catalog's as it was then), the task's status is not read
once per batch, and the collector runs less often while exports run."""

from __future__ import annotations

import gc
import threading
from pathlib import Path
from typing import Any

from tasks_support import ROWS

import rowport
from rowport._gc import EXPORT_THRESHOLD
from rowport._progress import render_progress
from rowport.catalog import DeferredPlanState, ExportPlan, PlanState, SQLiteExportSource, TaskStatus
from rowport.request import ExportKind, build_request
from rowport.streams import StreamReader
from rowport.streams._manifest import read_manifest
from rowport.tasks import TaskManager
from rowport.tasks._checkpoint import Checkpoint

TIMEOUT = 60.0


class HeldCount:
    """The catalog's source whose count (and plan state, which counts the rows of a fresh
    export) waits until :attr:`release` is set."""

    def __init__(self, inner: SQLiteExportSource) -> None:
        self.inner = inner
        self.release = threading.Event()
        self.counting = threading.Event()
        self.computed = threading.Event()  # a held plan state was computed

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def count(self, plan: ExportPlan, stop: Any) -> int | None:
        self.counting.set()
        assert self.release.wait(TIMEOUT)
        return self.inner.count(plan, stop)

    def plan_state_later(self, plan: ExportPlan) -> DeferredPlanState:
        return HeldState(self, self.inner.plan_state_later(plan))


class HeldState:
    """A deferred plan state that waits until its source's :attr:`HeldCount.release`."""

    def __init__(self, source: HeldCount, inner: DeferredPlanState) -> None:
        self.source = source
        self.inner = inner

    def __call__(self, stop: Any) -> PlanState | None:
        self.source.counting.set()
        assert self.source.release.wait(TIMEOUT)
        try:
            return self.inner(stop)
        finally:
            self.source.computed.set()

    def cancel(self) -> None:
        self.inner.cancel()


def test_the_first_part_is_committed_before_the_rows_are_counted(
    client: rowport.Client, home: dict[str, Any], tmp_path: Path
) -> None:
    source = HeldCount(client.catalog.reads)
    manager = TaskManager(client.catalog.tasks, source, tmp_path / "tasks", catalog=client.catalog)
    committed = threading.Event()
    try:
        request = build_request(ExportKind.PROJECT, scope_ids=(home["project"],))
        manager.steps = [_wait_for_first_part(manager, committed, source)]
        task = manager.start(request)
        assert committed.wait(TIMEOUT)  # a part was readable while the count was held
        record = client.catalog.tasks.get_task(task.uid)
        assert record.rows_planned is None
        line = render_progress(label="export", done=100, planned=None, rate=None, width=80)
        assert "counting" in line
        source.release.set()
        task.wait_till_done(timeout_seconds=TIMEOUT)
        assert task.status is TaskStatus.COMPLETE
        record = client.catalog.tasks.get_task(task.uid)
        assert record.rows_planned == record.rows_done == ROWS
    finally:
        source.release.set()
        manager.shutdown()


def test_the_plan_state_computed_beside_is_the_catalogs_as_the_export_started(
    client: rowport.Client, home: dict[str, Any], tmp_path: Path
) -> None:
    source = HeldCount(client.catalog.reads)
    manager = TaskManager(client.catalog.tasks, source, tmp_path / "tasks", catalog=client.catalog)
    request = build_request(ExportKind.PROJECT, scope_ids=(home["project"],))
    before = client.catalog.reads.plan_state(client.catalog.reads.plan(request))
    committed = threading.Event()
    first_part = _wait_for_first_part(manager, committed, source)
    batches = [0]

    def step(rows: list[dict[str, Any]], context: Any) -> tuple[list[dict[str, Any]], list[Any]]:
        batches[0] += 1
        if batches[0] == 3:  # the rest of the export once the state is known
            assert source.computed.wait(TIMEOUT)
        return first_part(rows, context)

    step.needs_json = False  # type: ignore[attr-defined]
    try:
        manager.steps = [step]
        task = manager.start(request)
        assert committed.wait(TIMEOUT)
        # no checkpoint while the state is not known (a resume would start from the first row)
        assert Checkpoint.read(manager.task_dir(task.uid)) is None
        # a row of the plan changes after the export started, before its state is computed
        with client.catalog.db.transaction() as conn:  # either backend
            conn.execute(
                "UPDATE data_rows SET updated_at = '2999-01-01T00:00:00.000+00:00'"
                " WHERE rid = (SELECT MAX(data_row_rid) FROM project_data_rows"
                " WHERE project_id = ?)",
                (home["project"],),
            )
        source.release.set()
        task.wait_till_done(timeout_seconds=TIMEOUT)
        assert task.status is TaskStatus.COMPLETE
    finally:
        source.release.set()
        manager.shutdown()
    checkpoint = Checkpoint.read(manager.task_dir(task.uid))
    assert checkpoint is not None and checkpoint.plan == before
    after = client.catalog.reads.plan_state(client.catalog.reads.plan(request))
    assert after.digest != before.digest  # so a resume would see the change
    assert client.catalog.tasks.get_task(task.uid).rows_planned == ROWS


class LongState:
    """A deferred plan state read as SQLite reads it: an interrupt that comes before its read
    began is lost (``sqlite3_interrupt`` with no statement running does nothing); one that
    comes while it reads ends it. The first interrupt is let in before the read begins."""

    def __init__(self, inner: DeferredPlanState) -> None:
        self.inner = inner
        self.running = threading.Event()
        self.interrupted = threading.Event()
        self.stopped_reading = False  # an interrupt ended the read
        self.returned = threading.Event()

    def __call__(self, stop: Any) -> PlanState | None:
        self.inner(lambda: True)  # lets the snapshot go: this read stands in for its own
        self.running.set()
        assert self.interrupted.wait(TIMEOUT)  # the runner's first interrupt, before the read
        self.interrupted.clear()
        self.stopped_reading = self.interrupted.wait(10.0)  # a read of a large plan's rows
        self.returned.set()
        return None

    def cancel(self) -> None:
        self.interrupted.set()


def test_an_ended_export_interrupts_its_plan_state_read_until_it_stops_and_waits_for_it(
    client: rowport.Client, home: dict[str, Any], tmp_path: Path
) -> None:
    # the read runs on a connection of the catalog: a runner that ended before it stopped
    # would leave it reading a catalog its client may close at once (a crash); an interrupt
    # that came too early would leave it reading a 10,000,000-row plan to its end
    states: list[LongState] = []
    made = threading.Event()

    class Source(HeldCount):
        def plan_state_later(self, plan: ExportPlan) -> DeferredPlanState:
            states.append(LongState(self.inner.plan_state_later(plan)))
            made.set()
            return states[-1]

    source = Source(client.catalog.reads)
    manager = TaskManager(client.catalog.tasks, source, tmp_path / "tasks", catalog=client.catalog)
    try:
        request = build_request(ExportKind.PROJECT, scope_ids=(home["project"],))
        task = manager.start(request)
        assert made.wait(TIMEOUT) and states[0].running.wait(TIMEOUT)  # after the first part
        task.cancel()
        task.wait_till_done(timeout_seconds=TIMEOUT)
        assert task.status is TaskStatus.CANCELED
        assert states[0].returned.is_set()  # the runner waited for the read to stop ...
        assert states[0].stopped_reading  # ... interrupting it again once it had begun
    finally:
        for state in states:
            state.interrupted.set()
        manager.shutdown()


def _wait_for_first_part(
    manager: TaskManager, committed: threading.Event, source: HeldCount
) -> Any:
    """A pipeline step that, from the second batch on, waits (once) until the stream lists
    a part while the count is still held, then lets the export go on."""
    batches = [0]

    def step(rows: list[dict[str, Any]], context: Any) -> tuple[list[dict[str, Any]], list[Any]]:
        batches[0] += 1
        if batches[0] == 2 and not committed.is_set():
            assert source.counting.wait(TIMEOUT)
            directory = manager.stream_dir(context.task_id, "result")
            assert read_manifest(directory).parts, "the first batch was not committed"
            assert not source.release.is_set()
            committed.set()
        return rows, []

    step.needs_json = False  # type: ignore[attr-defined]
    return step


class StatusReads:
    """The catalog's task store, counting its reads of a task's status."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def current_status(self, task_id: str) -> TaskStatus:
        self.reads += 1
        status: TaskStatus = self.inner.current_status(task_id)
        return status


def test_the_runner_reads_the_task_status_with_progress_not_every_batch(
    client: rowport.Client, home: dict[str, Any], tmp_path: Path, monkeypatch: Any
) -> None:
    import rowport.tasks._runner as runner

    # no progress write falls due during the export: the status is read at its end only
    monkeypatch.setattr(runner, "_PROGRESS_EVERY", 10.0**9)
    store = StatusReads(client.catalog.tasks)
    manager = TaskManager(
        store, client.catalog.reads, tmp_path / "tasks", catalog=client.catalog, heartbeat=3600.0
    )
    thresholds: list[tuple[int, int, int]] = []

    def step(rows: list[dict[str, Any]], context: Any) -> tuple[list[dict[str, Any]], list[Any]]:
        thresholds.append(gc.get_threshold())
        return rows, []

    step.needs_json = False  # type: ignore[attr-defined]
    manager.steps = [step]
    try:
        request = build_request(ExportKind.PROJECT, scope_ids=(home["project"],))
        task = manager.start(request)
        task.wait_till_done(timeout_seconds=TIMEOUT)
        assert task.status is TaskStatus.COMPLETE
    finally:
        manager.shutdown()
    batches = len(thresholds)
    assert batches >= 5
    # not once per batch: the first batch, once after the count beside the export writes the
    # total (another connection's write), and the end
    assert store.reads <= 3 < batches
    # the collector's youngest generation waits longer while an export runs, and not after
    assert {t[0] for t in thresholds} == {EXPORT_THRESHOLD}
    assert gc.get_threshold()[0] != EXPORT_THRESHOLD


class RecordReads(StatusReads):
    """The catalog's task store, counting its reads of a task's record as well."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.records = 0

    def get_task(self, task_id: str) -> Any:
        self.records += 1
        return self.inner.get_task(task_id)


def test_a_follower_in_the_runners_process_reads_no_task_record_per_poll(
    client: rowport.Client, home: dict[str, Any], tmp_path: Path, monkeypatch: Any
) -> None:
    # its runner's done event tells it the task ended: polling costs a stat of the manifest,
    # not a catalog read (which takes the GIL from the runner's first rows as often)
    store = RecordReads(client.catalog.tasks)
    manager = TaskManager(store, client.catalog.reads, tmp_path / "tasks", catalog=client.catalog)
    polls = [0]
    held = threading.Event()
    release = threading.Event()
    refresh = StreamReader.refresh

    def counted(reader: StreamReader) -> bool:
        if held.is_set():
            polls[0] += 1
            if polls[0] == 50:
                release.set()  # the follower polled 50 times while the runner was held
        return refresh(reader)

    monkeypatch.setattr(StreamReader, "refresh", counted)
    batches = [0]

    def step(rows: list[dict[str, Any]], context: Any) -> tuple[list[dict[str, Any]], list[Any]]:
        batches[0] += 1
        if batches[0] == 2:
            held.set()
            assert release.wait(TIMEOUT)
        return rows, []

    step.needs_json = False  # type: ignore[attr-defined]
    manager.steps = [step]
    try:
        request = build_request(ExportKind.PROJECT, scope_ids=(home["project"],))
        task = manager.start(request)
        lines = task.stream(follow=True, poll_interval=0.001)
        next(lines)
        before = store.records
        rest = list(lines)
        assert task.status is TaskStatus.COMPLETE
    finally:
        release.set()
        manager.shutdown()
    assert len(rest) == ROWS - 1
    assert polls[0] >= 50
    assert store.records - before < 10  # the end's, not one a poll
