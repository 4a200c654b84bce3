"""A task's runner is a process identity (pid plus start time), alive on this host exactly while
that process is, and on another host while it heartbeats; waiting never spins."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from liveness_support import BatchCounter, until

import rowport
from rowport.catalog._liveness import process_start, runner_alive, runner_identity


def _own(client: rowport.Client, task_id: str, runner: str, **columns: Any) -> None:
    """Record ``runner`` as the owner of a started task (as another process would have)."""
    sets = ", ".join(f"{name} = ?" for name in ["runner", "started_ts", *columns])
    with client.catalog.db.transaction() as conn:
        conn.execute(
            f"UPDATE tasks SET {sets} WHERE id = ?",
            (runner, time.time(), *columns.values(), task_id),
        )


def _queued_task(client: rowport.Client) -> str:
    """A task record with no runner of this process behind it."""
    return client.catalog.tasks.create_task("held elsewhere", {"request": {}}).id


@pytest.fixture
def sleeper() -> Any:
    """A live process unrelated to rowport."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    until(lambda: process_start(proc.pid) is not None, "the sleeper to start")
    yield proc
    proc.kill()
    proc.wait()


def test_a_reused_pid_does_not_keep_a_dead_runners_task_alive(live_home, sleeper) -> None:
    with rowport.Client(live_home["home"]) as client:
        task_id = _queued_task(client)
        host, pid, start = runner_identity(sleeper.pid).split(":")
        ticks, boot = start.split("@")
        # the runner had this pid, but the process now holding it started at another time
        _own(client, task_id, f"{host}:{pid}:{int(ticks) - 1}@{boot}")
    with rowport.Client(live_home["home"]) as client:
        task = client.get_task(task_id)
        assert task.status == "FAILED"
        assert f"(process {sleeper.pid} on {host}) stopped before it finished" in (
            task.errors_message or ""
        )


def test_a_live_runner_with_its_own_start_time_is_left_alone(live_home, sleeper) -> None:
    with rowport.Client(live_home["home"]) as client:
        task_id = _queued_task(client)
        _own(client, task_id, runner_identity(sleeper.pid), heartbeat_ts=0.0)
    with rowport.Client(live_home["home"]) as client:
        assert client.get_task(task_id).status == "IN_PROGRESS"  # however old its heartbeat


def test_a_dead_runner_on_this_host_is_seen_at_once_by_a_waiter(live_home, sleeper) -> None:
    with rowport.Client(live_home["home"]) as client:
        task_id = _queued_task(client)
        _own(client, task_id, runner_identity(sleeper.pid))
        task = client.get_task(task_id)
        assert runner_alive(runner_identity(sleeper.pid)) is True
        sleeper.kill()
        sleeper.wait()
        task.wait_till_done(timeout_seconds=60)  # a waiter looks at the runner as it waits
        assert task.status == "FAILED"


def test_waiting_on_another_processs_task_does_not_spin(live_home, sleeper) -> None:
    with rowport.Client(live_home["home"]) as client:
        task_id = _queued_task(client)
        _own(client, task_id, runner_identity(sleeper.pid))
        task = client.get_task(task_id)
        cpu = time.process_time()
        started = time.monotonic()
        task.wait_till_done(timeout_seconds=1.0)
        waited = time.monotonic() - started
        used = time.process_time() - cpu
        assert task.status == "IN_PROGRESS"
        assert used < 0.5 * waited, f"waiting used {used:.2f} s of CPU in {waited:.2f} s"


def test_a_runner_on_another_host_lives_while_it_beats_and_dies_after_three_missed(
    live_home,
) -> None:
    with rowport.Client(live_home["home"]) as client:
        task_id = _queued_task(client)
        _own(client, task_id, "another-host:4242:1@00000000", heartbeat_interval=0.5)
        beating = threading.Event()
        stop = threading.Event()

        def beat() -> None:
            while not stop.is_set():
                client.catalog.tasks.record_progress(task_id)
                beating.set()
                stop.wait(0.02)  # far more often than the 0.5 s it promised

        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
        try:
            assert beating.wait(60)
            for _ in range(20):  # a slow runner that beats is never declared dead
                assert client._tasks.recover_orphans() == []
                time.sleep(0.05)
        finally:
            stop.set()
            thread.join(60)
        # well under the minute a runner once had: three beats of 0.5 s, and a margin
        until(lambda: client._tasks.recover_orphans() == [task_id], "the silent runner", limit=30)
        assert client.get_task(task_id).status == "FAILED"


def test_a_runner_beats_while_one_batch_takes_long(live_home) -> None:
    step = BatchCounter()
    step.hold.set()
    with rowport.Client(live_home["home"], heartbeat=0.05) as client:
        client._tasks.steps = [step]
        task = client.get_project(live_home["project"]).export()
        step.wait_entered()
        first = client.catalog.tasks.get_task(task.uid).heartbeat_ts or 0.0
        # the batch is held: only the heartbeat thread can move the heartbeat on
        until(
            lambda: (client.catalog.tasks.get_task(task.uid).heartbeat_ts or 0.0) > first,
            "a heartbeat during the held batch",
        )
        step.release.set()
        task.wait_till_done(timeout_seconds=120)
        assert task.status == "COMPLETE"


def test_the_heartbeat_must_be_a_positive_number_of_seconds(tmp_path: Path) -> None:
    with pytest.raises(rowport.errors.InvalidInput, match="heartbeat must be seconds"):
        rowport.Client(tmp_path / "home", heartbeat=0)
