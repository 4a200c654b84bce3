"""SIGKILL an export subprocess at seeded random points; every resume finishes it byte for byte
as an uninterrupted export of the same catalog would (RESULT and ERRORS)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from reliability_support import (
    ROWS,
    WAIT_LIMIT,
    FlagSome,
    quiet_plugins,
    start_export,
    stream_bytes,
)

import rowport

RUNS = 30
BATCHES = ROWS // 100


def _resume_in_process(home: Path, task_id: str) -> rowport.ExportTask:
    with rowport.Client(home, plugins=quiet_plugins()) as client:
        client._tasks.steps = [FlagSome()]
        task = client.get_task(task_id)
        assert task.status == "FAILED"  # the dead runner was noticed when the client opened
        task.resume()
        task.wait_till_done(timeout_seconds=WAIT_LIMIT)
        assert task.status == "COMPLETE", task.errors_message
        assert task.verify() == {"result": [], "errors": []}
        return task


@pytest.mark.parametrize("seed", range(RUNS))
def test_a_killed_export_resumes_to_the_uninterrupted_stream(home: dict[str, Any], seed: int):
    rng = random.Random(seed)
    kill_at = rng.randint(1, BATCHES - 3)
    proc = start_export(home["home"], "export", home["project"], hold_at=kill_at + 2)
    task_id = proc.kill_after_batch(kill_at)
    assert task_id is not None
    folder = home["home"] / "tasks" / task_id
    if seed % 4 == 0:  # the resume is killed too: a third attempt finishes the task
        with rowport.Client(home["home"], plugins=quiet_plugins()):
            pass  # notice the dead runner (the task becomes FAILED)
        proc = start_export(home["home"], "resume", task_id, hold_at=2)
        assert proc.kill_after_batch(1) == task_id
    task = _resume_in_process(home["home"], task_id)
    assert stream_bytes(folder / "result") == home["result"]
    assert stream_bytes(folder / "errors") == home["errors"]
    attempts = task.attempts
    assert [a.attempt for a in attempts] == list(range(1, len(attempts) + 1))
    assert len(attempts) == (3 if seed % 4 == 0 else 2)
    assert all(a.status == "INTERRUPTED" for a in attempts[:-1])
    assert attempts[-1].status == "COMPLETE" and attempts[-1].rows_done == ROWS
    assert 0 <= attempts[-1].resumed_from_row < ROWS
