"""Tasks seen from other processes: get_task, cancel, a killed runner, a slow live runner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from tasks_support import BATCH, ROWS, WAIT_LIMIT, finished

import rowport
from rowport.streams import StreamReader


def _python(code: str, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
        timeout=WAIT_LIMIT,
    ).stdout


def test_get_task_from_a_second_process_sees_the_same_task(client, home):
    task = finished(client, home["project"])
    code = (
        "import sys, rowport\n"
        "with rowport.Client(sys.argv[1]) as c:\n"
        "    t = rowport.ExportTask.get_task(c, sys.argv[2])\n"
        "    print(t.status, t.get_total_lines(rowport.StreamType.RESULT), t.name, sep='|')\n"
    )
    out = _python(code, home["home"], task.uid).rstrip("\n").split("|")
    assert out == ["COMPLETE", str(ROWS), task.name]
    assert task.get_total_lines(rowport.StreamType.RESULT) == ROWS


def test_a_second_process_cancels_a_running_task(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.wait_entered()
    code = (
        "import sys, rowport\n"
        "with rowport.Client(sys.argv[1]) as c:\n"
        "    print(c.cancel_task(sys.argv[2]))\n"
    )
    assert _python(code, home["home"], task.uid).strip() == "True"
    gate.open_all()
    task.wait_till_done(timeout_seconds=WAIT_LIMIT)
    assert task.status == "CANCELED"
    assert task.get_total_lines(rowport.StreamType.RESULT) == BATCH


# A runner that commits a part per batch and holds its third batch forever, so it is killed
# with two parts committed and the rest of the export not written, whatever the machine's load.
HELD_AFTER_TWO_PARTS = """
import functools, sys, threading, rowport
import rowport.tasks._runner as runner
runner.StreamWriter = functools.partial(runner.StreamWriter, commit_interval=0)
client = rowport.Client(sys.argv[1])
batches = []
def held(rows, context):
    batches.append(len(rows))
    if len(batches) > 2:
        threading.Event().wait()
    return rows, []
held.needs_json = False
client._tasks.steps = [held]
task = client.get_project(sys.argv[2]).export()
print(task.uid, flush=True)
threading.Event().wait()
"""


def _wait_for_parts(result: Path, parts: int) -> None:
    deadline = time.monotonic() + WAIT_LIMIT
    while len(StreamReader(result).manifest.parts) < parts:
        assert time.monotonic() < deadline, f"the runner committed no {parts} parts"
        time.sleep(0.05)


@pytest.fixture
def killed(home):
    """An export whose runner process was SIGKILLed after it committed a part."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HELD_AFTER_TWO_PARTS, str(home["home"]), home["project"]],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        task_id = proc.stdout.readline().strip()
        result = home["home"] / "tasks" / task_id / "result"
        _wait_for_parts(result, 2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    return {"task_id": task_id, "pid": proc.pid, "result": result}


def test_a_killed_runner_leaves_a_manifest_of_whole_lines(killed):
    reader = StreamReader(killed["result"])
    assert len(reader.manifest.parts) >= 2 and not reader.complete
    assert reader.verify() == []
    rows = [orjson.loads(line.data) for line in reader.iter_lines()]
    assert 0 < len(rows) == reader.total_lines < ROWS
    assert all("data_row" in row for row in rows)


def test_a_killed_runners_task_is_failed_by_the_next_client(home, killed):
    with rowport.Client(home["home"]) as client:
        task = client.get_task(killed["task_id"])
        assert task.status == "FAILED"
        message = task.errors_message or ""
    assert f"(process {killed['pid']} on " in message
    assert "stopped before it finished" in message


# A runner that holds its first batch until the test writes the file sys.argv[3].
HELD_EXPORT = """
import sys, time, pathlib, rowport
go = pathlib.Path(sys.argv[3])
client = rowport.Client(sys.argv[1])
def held(rows, context):
    go.with_suffix(".entered").touch()
    while not go.exists():
        time.sleep(0.02)
    return rows, []
held.needs_json = False
client._tasks.steps = [held]
task = client.get_project(sys.argv[2]).export()
print(task.uid, flush=True)
task.wait_till_done(600)
print(task.status, flush=True)
client.close()
"""


def test_a_live_runner_on_this_host_is_not_failed_for_an_old_heartbeat(home, tmp_path):
    go = tmp_path / "go"
    proc = subprocess.Popen(
        [sys.executable, "-c", HELD_EXPORT, str(home["home"]), home["project"], str(go)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        task_id = proc.stdout.readline().strip()
        deadline = time.monotonic() + WAIT_LIMIT
        while not go.with_suffix(".entered").exists():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        # as if the batch took an hour
        with rowport.Client(home["home"]) as client, client.catalog.db.transaction() as conn:
            conn.execute("UPDATE tasks SET heartbeat_ts = 0 WHERE id = ?", (task_id,))
        with rowport.Client(home["home"]) as client:
            status = client.get_task(task_id).status
        go.touch()
        final = proc.stdout.readline().strip()
    finally:
        go.touch()
        proc.wait(timeout=WAIT_LIMIT)
    assert status == "IN_PROGRESS"
    assert final == "COMPLETE"
