"""Cancel, failure, forward-only status, following a running task, and a killed runner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import orjson
import pytest
from tasks_support import ROWS

import rowport
from rowport import StreamType
from rowport.streams import StreamReader


def test_cancel_during_a_run_ends_canceled_with_a_consistent_partial_stream(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.entered.acquire(timeout=10)
    gate.let_through(2)
    gate.entered.acquire(timeout=10)
    gate.entered.acquire(timeout=10)
    assert task.cancel() is True
    gate.open_all()
    task.wait_till_done(timeout_seconds=30)
    assert task.status == "CANCELED"
    for stream in ("result", "errors"):
        reader = StreamReader(client.home / "tasks" / task.uid / stream)
        assert reader.complete and reader.verify() == []
    rows = [o.json for o in task.get_buffered_stream()]
    assert 0 < len(rows) < ROWS
    assert len(rows) % 100 == 0  # whole batches only


def test_client_cancel_task_cancels_and_a_finished_task_cannot_be(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.entered.acquire(timeout=10)
    assert client.cancel_task(task.uid) is True
    gate.open_all()
    task.wait_till_done(timeout_seconds=30)
    assert task.status == "CANCELED"
    assert client.cancel_task(task.uid) is False


def test_a_failing_step_ends_failed_with_its_message(client, home):
    def explode(rows: list[Any], context: Any) -> tuple[list[Any], list[Any]]:
        raise RuntimeError("the disk is on fire")

    client._tasks.steps = [explode]
    task = client.get_project(home["project"]).export()
    task.wait_till_done(timeout_seconds=30)
    assert task.status == "FAILED"
    assert task.errors_message == "RuntimeError: the disk is on fire"
    with pytest.raises(task.ExportTaskException, match="Task failed"):
        task.get_stream()
    (line,) = [orjson.loads(o.json_str) for o in task.stream(StreamType.ERRORS, follow=False)]
    assert (line["code"], line["stage"], line["message"]) == (
        "TASK_FAILED",
        "task",
        "RuntimeError: the disk is on fire",
    )


def test_status_only_moves_forward(client, home):
    task = client.get_project(home["project"]).export()
    task.wait_till_done(timeout_seconds=30)
    assert client.catalog.set_task_status(task.uid, "IN_PROGRESS") is False
    assert client.catalog.set_task_status(task.uid, "FAILED") is False
    task.refresh()
    assert task.status == "COMPLETE"


def test_progress_is_recorded_while_running(client, home, gate):
    task = client.get_project(home["project"]).export()
    for _ in range(3):
        gate.entered.acquire(timeout=10)
        gate.let_through()
    time.sleep(0.4)  # progress is written at most every quarter second
    gate.entered.acquire(timeout=10)
    assert 0 < task.completion_percentage < 100
    assert task.rows_planned == ROWS
    gate.open_all()


def test_follow_yields_rows_while_the_task_runs(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.let_through(1)
    lines = task.stream(follow=True, poll_interval=0.01)
    first = next(lines)
    assert first.current_line == 0
    assert task.status == "IN_PROGRESS"  # rows arrive before the task ends
    gate.open_all()
    rest = list(lines)
    assert len(rest) == ROWS - 1
    assert task.status == "COMPLETE"


def test_a_reader_resumes_from_the_line_after_the_last_it_saw(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.let_through(2)
    seen = []
    for output in task.stream(follow=True, poll_interval=0.01):
        seen.append(output)
        if len(seen) == 150:
            break
    gate.open_all()
    rest = list(task.stream(follow=True, start_line=seen[-1].current_line + 1))
    lines = [o.current_line for o in seen + rest]
    assert lines == list(range(ROWS))


KILLED_EXPORT = """
import sys, time, rowport
client = rowport.Client(sys.argv[1])
def slow(rows, context):
    time.sleep(0.5)
    return rows, []
slow.needs_json = False
client._tasks.steps = [slow]
task = client.get_project(sys.argv[2]).export()
print(task.uid, flush=True)
time.sleep(60)
"""


def test_a_killed_runner_leaves_whole_lines_and_is_failed_at_next_start(home):
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_EXPORT, str(home["home"]), home["project"]],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        task_id = proc.stdout.readline().strip()
        result = home["home"] / "tasks" / task_id / "result"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not StreamReader(result).manifest.parts:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader = StreamReader(result)
    assert reader.manifest.parts and not reader.complete
    assert reader.verify() == []
    lines = [orjson.loads(line.data) for line in reader.iter_lines()]
    assert len(lines) == reader.total_lines > 0
    with rowport.Client(home["home"]) as client:
        task = client.get_task(task_id)
        assert task.status == "FAILED"
        assert str(proc.pid) in (task.errors_message or "")
        assert "stopped before it finished" in (task.errors_message or "")
