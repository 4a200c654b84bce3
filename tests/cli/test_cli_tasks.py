"""``rowport tasks``: list, show, wait, cancel and stream export tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from clitools import READY_TIMEOUT, ROWS, Boom, Gate, Run, Sample, add_step, lines, read_lines

from rowport import Client, ExportTask, StreamType


@pytest.fixture
def done(sample: Sample, owner: Client) -> ExportTask:
    """A COMPLETE export of the sample project."""
    task = owner.get_project(sample.project_id).export(task_name="full project")
    task.wait_till_done()
    assert task.status == "COMPLETE"
    return task


@pytest.fixture
def running(sample: Sample, owner: Client, gate: Gate) -> ExportTask:
    """An export held in its first batch by :func:`gate` (released when the test ends)."""
    add_step(owner, gate)
    task = owner.get_dataset(sample.dataset_id).export(task_name="held")
    assert gate.entered.wait(READY_TIMEOUT)
    return task


@pytest.fixture
def failed(sample: Sample, owner: Client) -> ExportTask:
    """An export that FAILED."""
    add_step(owner, Boom())
    task = owner.get_dataset(sample.dataset_id).export()
    task.wait_till_done()
    assert task.status == "FAILED"
    return task


def _result_lines(task: ExportTask) -> list[str]:
    return [out.json_str for out in task.get_stream()]


def test_list_prints_a_table_newest_first(done: ExportTask, running: ExportTask, run: Run) -> None:
    result = run("tasks", "list")
    assert result.exit_code == 0
    header, first, second = lines(result.stdout)
    assert header.split() == ["ID", "NAME", "STATUS", "%", "ROWS", "CREATED"]
    assert first.startswith(running.uid) and "IN_PROGRESS" in first
    assert second.startswith(done.uid) and "COMPLETE" in second
    assert f"{ROWS}/{ROWS}" in second


def test_list_json_is_an_array_of_tasks(done: ExportTask, run: Run) -> None:
    result = run("tasks", "list", "--json")
    (record,) = orjson.loads(result.stdout)
    assert (record["id"], record["name"], record["status"]) == (
        done.uid,
        "full project",
        "COMPLETE",
    )


def test_list_on_an_empty_home_says_so(sample: Sample, run: Run) -> None:
    result = run("tasks", "list")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "no tasks\n")


def test_show_prints_fields_request_and_stream_totals(done: ExportTask, run: Run) -> None:
    result = run("tasks", "show", done.uid)
    assert result.exit_code == 0
    fields = dict(line.split(None, 1) for line in lines(result.stdout) if " " in line)
    assert fields["status"] == "COMPLETE"
    assert fields["kind"] == "project"
    assert fields["result"].startswith(f"{ROWS} lines, ")
    assert fields["errors"] == "0 lines, 0 B"


def test_show_json_holds_the_request_and_totals(done: ExportTask, sample: Sample, run: Run) -> None:
    record = orjson.loads(run("tasks", "show", done.uid, "--json").stdout)
    assert record["metadata"]["request"]["scope_ids"] == [sample.project_id]
    size = done.get_total_file_size(StreamType.RESULT)
    assert record["streams"]["result"] == {"lines": ROWS, "bytes": size}


def test_show_of_a_running_task_has_no_totals(running: ExportTask, run: Run) -> None:
    record = orjson.loads(run("tasks", "show", running.uid, "--json").stdout)
    assert (record["status"], record["streams"]) == ("IN_PROGRESS", None)


def _release_on_call(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, gate: Gate) -> None:
    """Open ``gate`` when ``owner.name`` is first called: the command has started waiting."""
    original = getattr(owner, name)

    def released(*args: Any, **kwargs: Any) -> Any:
        gate.release.set()
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, released)


def test_wait_returns_0_when_the_task_completes(
    running: ExportTask, gate: Gate, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rowport.cli import _waiting

    _release_on_call(monkeypatch, _waiting, "wait_with_progress", gate)
    result = run("tasks", "wait", running.uid)
    assert result.exit_code == 0
    assert f"COMPLETE: {ROWS} rows" in result.stderr
    assert running.uid in result.stderr


def test_wait_on_a_failed_task_exits_1_with_its_message(failed: ExportTask, run: Run) -> None:
    result = run("tasks", "wait", failed.uid)
    assert result.exit_code == 1
    assert "FAILED" in result.stderr
    assert f"Error: task {failed.uid} failed: RuntimeError: the disk caught fire" in result.stderr


def test_cancel_stops_a_running_task(running: ExportTask, run: Run) -> None:
    result = run("tasks", "cancel", running.uid)
    assert result.exit_code == 0
    assert f"cancel requested for task {running.uid}" in result.stdout
    running.wait_till_done(10)
    assert running.status == "CANCELED"
    waited = run("tasks", "wait", running.uid)
    assert waited.exit_code == 1
    assert "was canceled" in waited.stderr


def test_cancel_of_a_finished_task_exits_1(done: ExportTask, run: Run) -> None:
    result = run("tasks", "cancel", done.uid)
    assert result.exit_code == 1
    assert result.stderr == f"Error: task {done.uid} has already ended (COMPLETE)\n"


def test_stream_prints_every_result_line(done: ExportTask, run: Run) -> None:
    result = run("tasks", "stream", done.uid)
    assert result.exit_code == 0
    assert lines(result.stdout) == _result_lines(done)


def test_stream_from_a_line(done: ExportTask, run: Run) -> None:
    result = run("tasks", "stream", done.uid, "--line", "27")
    assert lines(result.stdout) == _result_lines(done)[27:]


def test_stream_from_a_mid_line_offset_starts_with_the_rest_of_that_line(
    done: ExportTask, run: Run
) -> None:
    every = _result_lines(done)
    offset = len(every[0]) + 1 + 10  # ten bytes into the second line
    result = run("tasks", "stream", done.uid, "--offset", str(offset))
    assert result.exit_code == 0
    assert lines(result.stdout) == [every[1][10:], *every[2:]]


def test_stream_to_a_file(done: ExportTask, run: Run, tmp_path: Path) -> None:
    out = tmp_path / "tail.ndjson"
    result = run("tasks", "stream", done.uid, "--line", "29", "-o", out)
    assert (result.exit_code, result.stdout) == (0, "")
    assert read_lines(out) == _result_lines(done)[29:]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--line", "30"], "line 30 is out of range: the stream has 30 lines (0-29)"),
        (["--offset", "99999999"], "offset 99999999 is out of range"),
        (["--errors", "--line", "0"], "line 0 is out of range"),
        (["--line", "1", "--offset", "1"], "give --offset or --line, not both"),
        (["--follow", "--offset", "3"], "use --line instead of --offset"),
    ],
)
def test_stream_positions_out_of_range_exit_2(
    done: ExportTask, run: Run, args: list[str], message: str
) -> None:
    result = run("tasks", "stream", done.uid, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_stream_errors_reads_the_errors_stream(sample: Sample, owner: Client, run: Run) -> None:
    from rowport import DataRow

    task = DataRow.export(owner, global_keys=["img-0", "missing-key"])
    task.wait_till_done()
    result = run("tasks", "stream", task.uid, "--errors")
    (error,) = [orjson.loads(line) for line in lines(result.stdout)]
    assert "missing-key" in orjson.dumps(error).decode()


def test_stream_of_a_running_task_names_its_status_and_suggests_follow(
    running: ExportTask, run: Run
) -> None:
    result = run("tasks", "stream", running.uid)
    assert result.exit_code == 1
    assert "is IN_PROGRESS" in result.stderr and "--follow" in result.stderr


def test_follow_streams_a_running_task_to_its_end(
    running: ExportTask, gate: Gate, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    _release_on_call(monkeypatch, ExportTask, "stream", gate)
    result = run("tasks", "stream", running.uid, "--follow", "--line", "5")
    assert result.exit_code == 0
    assert lines(result.stdout) == _result_lines(running)[5:]
    assert len(lines(result.stdout)) == ROWS - 5


def test_follow_of_a_finished_task_past_its_end_exits_2(done: ExportTask, run: Run) -> None:
    result = run("tasks", "stream", done.uid, "--follow", "--line", "31")
    assert result.exit_code == 2
    assert "out of range" in result.stderr


def test_stream_of_a_failed_task_explains_and_its_errors_stay_readable(
    failed: ExportTask, run: Run
) -> None:
    result = run("tasks", "stream", failed.uid)
    assert result.exit_code == 1
    assert "failed, so its RESULT cannot be read: RuntimeError" in result.stderr
    errors = run("tasks", "stream", failed.uid, "--errors")
    assert errors.exit_code == 0
    (line,) = lines(errors.stdout)
    assert "the disk caught fire" in line


@pytest.mark.parametrize("command", ["show", "wait", "cancel", "stream"])
def test_an_unknown_task_is_a_clean_error(sample: Sample, run: Run, command: str) -> None:
    result = run("tasks", command, "no-such-task")
    assert result.exit_code == 1
    assert result.stderr == "Error: task not found: 'no-such-task'\n"


def test_ctrl_c_in_wait_stops_waiting_but_leaves_the_task_running(
    running: ExportTask, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rowport.cli import _waiting

    def interrupted(task: object, **kwargs: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(_waiting, "wait_with_progress", interrupted)
    result = run("tasks", "wait", running.uid)
    assert result.exit_code == 130
    assert "stopped waiting" in result.stderr
    assert running.status == "IN_PROGRESS"
