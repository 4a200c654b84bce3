"""Cancel, failure, forward-only status, progress, and following a running task."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from tasks_support import BATCH, ROWS, finished, stream_dir

from rowport import StreamType
from rowport.errors import InvalidInput
from rowport.streams import StreamReader

# -- cancel ------------------------------------------------------------------------------------


def test_a_canceled_task_is_cancelling_until_its_runner_stops(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.wait_entered()
    assert task.cancel() is True
    assert task.status == "CANCELLING"
    gate.open_all()
    task.wait_till_done(timeout_seconds=120)
    assert task.status == "CANCELED"


def test_cancel_during_a_run_leaves_both_streams_complete_and_consistent(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.wait_entered()
    task.cancel()
    gate.open_all()
    task.wait_till_done(timeout_seconds=120)
    for stream in ("result", "errors"):
        reader = StreamReader(stream_dir(client, task, stream))
        assert reader.complete and reader.verify() == []


def test_a_canceled_task_keeps_the_whole_rows_of_the_batches_before_the_cancel(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.wait_entered()
    gate.let_through(2)
    gate.wait_entered(2)  # batches 2 and 3 have reached the gate, 3 waits there
    task.cancel()
    gate.open_all()  # batch 3 is written; the runner stops before batch 4
    task.wait_till_done(timeout_seconds=120)
    assert task.status == "CANCELED"
    raw = StreamReader(stream_dir(client, task, "result")).iter_lines()
    rows = [orjson.loads(line.data) for line in raw]
    assert len(rows) == 3 * BATCH
    assert [o.json for o in task.get_buffered_stream()] == rows


def test_stream_without_follow_reads_a_canceled_tasks_partial_rows(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.wait_entered()
    task.cancel()
    gate.open_all()
    task.wait_till_done(timeout_seconds=120)
    lines = list(task.stream(follow=False))
    assert [o.current_line for o in lines] == list(range(BATCH))
    assert task.get_total_lines(StreamType.RESULT) == BATCH


def test_client_cancel_task_cancels_a_running_task(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.wait_entered()
    assert client.cancel_task(task.uid) is True
    gate.open_all()
    task.wait_till_done(timeout_seconds=120)
    assert task.status == "CANCELED"


def test_cancel_of_a_finished_task_returns_false(client, home):
    task = finished(client, home["project"])
    assert task.cancel() is False
    assert client.cancel_task(task.uid) is False
    assert task.status == "COMPLETE"


def test_cancel_of_a_canceled_task_returns_false(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.wait_entered()
    task.cancel()
    gate.open_all()
    task.wait_till_done(timeout_seconds=120)
    assert client.cancel_task(task.uid) is False


# -- failure -----------------------------------------------------------------------------------


def _explode(rows: list[Any], context: Any) -> tuple[list[Any], list[Any]]:
    raise RuntimeError("the disk is on fire")


@pytest.fixture
def failed(client, home):
    client._tasks.steps = [_explode]
    task = client.get_project(home["project"]).export()
    task.wait_till_done(timeout_seconds=120)
    return task


def test_a_failing_step_ends_the_task_failed_with_its_message(failed):
    assert failed.status == "FAILED"
    assert failed.errors_message == "RuntimeError: the disk is on fire"


def test_a_failed_task_has_a_task_failed_line_in_its_errors_stream(client, failed):
    (line,) = [orjson.loads(o.json_str) for o in failed.stream(StreamType.ERRORS, follow=False)]
    assert (line["code"], line["stage"], line["message"]) == (
        "TASK_FAILED",
        "task",
        "RuntimeError: the disk is on fire",
    )
    reader = StreamReader(stream_dir(client, failed, "errors"))
    assert reader.complete and reader.verify() == []


@pytest.mark.parametrize(
    "read",
    [
        lambda t: t.get_stream(),
        lambda t: t.get_buffered_stream(),
        lambda t: t.get_total_lines(StreamType.RESULT),
        lambda t: t.get_total_file_size(StreamType.RESULT),
        lambda t: t.has_result(),
        lambda t: t.has_errors(),
    ],
    ids=["get_stream", "buffered", "lines", "size", "has_result", "has_errors"],
)
def test_reading_a_failed_task_raises_task_failed(failed, read):
    with pytest.raises(failed.ExportTaskException, match="Task failed"):
        read(failed)


# -- status and progress -----------------------------------------------------------------------


@pytest.mark.parametrize("backward", ["IN_PROGRESS", "CANCELLING", "FAILED", "CANCELED"])
def test_a_complete_task_does_not_move_back(client, home, backward):
    task = finished(client, home["project"])
    assert client.catalog.tasks.set_status(task.uid, backward) is False
    task.refresh()
    assert task.status == "COMPLETE"


def test_a_canceled_task_cannot_become_complete(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.wait_entered()
    task.cancel()
    gate.open_all()
    task.wait_till_done(timeout_seconds=120)
    assert client.catalog.tasks.set_status(task.uid, "COMPLETE") is False


def test_an_unknown_status_is_refused(client, home):
    task = finished(client, home["project"])
    with pytest.raises(InvalidInput, match="unknown task status"):
        client.catalog.tasks.set_status(task.uid, "DONE")


def test_progress_is_recorded_while_running(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.wait_entered()
    gate.let_through()
    gate.wait_entered()  # batch 1 is written and its progress recorded
    assert task.status == "IN_PROGRESS"
    assert task.rows_done == BATCH
    # the rows are counted beside the export once its first part is out: until the count is
    # in, rows_planned is None and the percentage 0; then rows done over rows planned
    assert task.rows_planned in (None, ROWS)
    assert 0 <= task.completion_percentage < 100
    gate.open_all()
    task.wait_till_done(timeout_seconds=60)
    assert task.status == "COMPLETE"
    assert (task.rows_done, task.rows_planned, task.completion_percentage) == (ROWS, ROWS, 100)


# -- follow and resume ---------------------------------------------------------------------------


def test_follow_yields_rows_while_the_task_runs(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.let_through(1)
    lines = task.stream(follow=True, poll_interval=0.01)
    first = [next(lines) for _ in range(BATCH)]  # the first batch is committed at once
    assert [o.current_line for o in first] == list(range(BATCH))
    gate.wait_entered(2)  # batch 2 is held at the gate
    assert task.status == "IN_PROGRESS"
    gate.open_all()
    rest = list(lines)
    assert [o.current_line for o in rest] == list(range(BATCH, ROWS))
    assert task.status == "COMPLETE"


def test_follow_ends_with_a_canceled_task(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.wait_entered()
    task.cancel()
    gate.open_all()
    assert len(list(task.stream(follow=True, poll_interval=0.01))) == BATCH
    assert task.status == "CANCELED"


def test_a_reader_resumes_from_the_line_after_the_last_it_saw(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.let_through(1)
    seen = []
    for output in task.stream(follow=True, poll_interval=0.01):
        seen.append(output)
        if len(seen) == 60:
            break
    gate.open_all()
    rest = list(task.stream(follow=True, start_line=seen[-1].current_line + 1))
    assert [o.current_line for o in seen + rest] == list(range(ROWS))
    expected = StreamReader(stream_dir(client, task, "result")).iter_lines()
    assert [o.json_str.encode() for o in seen + rest] == [line.data for line in expected]
