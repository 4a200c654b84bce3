"""What resume refuses and records: a changed catalog, a finished or running task, a damaged
kept part; the attempts; resuming every interrupted task at start (``resume_interrupted``)."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from reliability_support import (
    ROWS,
    WAIT_LIMIT,
    FlagSome,
    quiet_plugins,
    start_export,
    stream_bytes,
    use_small_parts,
)

import rowport
from rowport.cli import main
from rowport.errors import InvalidInput, StreamCorrupted, TaskChanged


class FailOnce:
    """A step that raises at its ``at``-th batch the first time (a bug, fixed by the resume)."""

    needs_json = False

    def __init__(self, at: int) -> None:
        self.at = at
        self.seen = 0
        self.armed = True

    def __call__(self, rows: list[Any], context: Any) -> tuple[list[Any], list[Any]]:
        self.seen += 1
        if self.armed and self.seen == self.at:
            self.armed = False
            raise RuntimeError("the plugin broke on purpose")
        return rows, []


def _failed_export(client: rowport.Client, project: str, at: int = 6) -> rowport.ExportTask:
    use_small_parts(client, [FlagSome(), FailOnce(at)])
    task = client.get_project(project).export()
    task.wait_till_done(timeout_seconds=WAIT_LIMIT)
    assert task.status == "FAILED"
    return task


def _folder(client: rowport.Client, task: rowport.ExportTask) -> Path:
    return client.home / "tasks" / task.uid


def test_a_failed_export_resumes_without_its_task_failed_line(client, home):
    task = _failed_export(client, home["project"])
    errors = stream_bytes(_folder(client, task) / "errors")
    assert b"TASK_FAILED" in errors
    task.resume()
    task.wait_till_done(timeout_seconds=WAIT_LIMIT)
    assert task.status == "COMPLETE"
    assert stream_bytes(_folder(client, task) / "result") == home["result"]
    assert stream_bytes(_folder(client, task) / "errors") == home["errors"]
    first, second = task.attempts
    assert (first.status, second.status) == ("FAILED", "COMPLETE")
    assert 0 < second.resumed_from_row == first.rows_done < ROWS
    assert second.rows_done == ROWS and task.rows_done == ROWS


def test_an_updated_row_of_the_plan_refuses_the_resume_unless_allowed(client, home):
    task = _failed_export(client, home["project"])
    row = client.get_data_row(home["ids"]["data_rows"][-1])
    row.update(external_id="changed-1")
    with pytest.raises(TaskChanged, match=r"updated, deleted or replaced.*allow_changed=True"):
        task.resume()
    assert task.status == "FAILED" and len(task.attempts) == 1
    task.resume(allow_changed=True)
    task.wait_till_done(timeout_seconds=WAIT_LIMIT)
    assert task.status == "COMPLETE", task.errors_message
    assert task.attempts[-1].note.startswith("resumed with allow_changed")
    last = orjson.loads(stream_bytes(_folder(client, task) / "result").splitlines()[-1])
    assert last["data_row"]["external_id"] == "changed-1"


def test_a_row_leaving_the_plan_is_named_as_a_count(client, home):
    task = _failed_export(client, home["project"])
    with client.catalog.db.transaction() as conn:  # no API removes a queued row: SQL does
        conn.execute(
            "DELETE FROM project_data_rows WHERE data_row_id = ?", (home["ids"]["data_rows"][0],)
        )
    with pytest.raises(TaskChanged, match=f"{ROWS:,} rows up to key .* has {ROWS - 1:,} now"):
        task.resume()


def _failed_listed_export(client: rowport.Client, home: dict[str, Any]) -> rowport.ExportTask:
    """A failed export of every other row of the project by an id list (a plan that lists its
    keys: its state reads the listed rows in their state index)."""
    use_small_parts(client, [FlagSome(), FailOnce(4)])
    ids = home["ids"]["data_rows"][::2]
    task = client.get_project(home["project"]).export(filters={"data_row_ids": ids})
    task.wait_till_done(timeout_seconds=WAIT_LIMIT)
    assert task.status == "FAILED"
    return task


def test_an_id_list_export_resumes_where_it_failed(client, home):
    task = _failed_listed_export(client, home)
    task.resume()
    task.wait_till_done(timeout_seconds=WAIT_LIMIT)
    assert task.status == "COMPLETE", task.errors_message
    first, second = task.attempts
    assert 0 < second.resumed_from_row == first.rows_done < ROWS // 2
    listed = set(home["ids"]["data_rows"][::2])
    rows = [
        orjson.loads(line) for line in stream_bytes(_folder(client, task) / "result").splitlines()
    ]
    assert [row["data_row"]["id"] for row in rows] == [
        i for i in home["ids"]["data_rows"] if i in listed
    ]


def test_an_id_list_export_refuses_the_resume_when_a_listed_row_changed(client, home):
    task = _failed_listed_export(client, home)
    client.get_data_row(home["ids"]["data_rows"][-2]).update(external_id="changed-2")
    with pytest.raises(TaskChanged, match=r"updated, deleted or replaced"):
        task.resume()


def test_an_id_list_export_names_a_listed_row_that_left_the_project(client, home):
    task = _failed_listed_export(client, home)
    with client.catalog.db.transaction() as conn:  # no API removes a queued row: SQL does
        conn.execute(
            "DELETE FROM project_data_rows WHERE data_row_id = ?", (home["ids"]["data_rows"][2],)
        )
    half = ROWS // 2
    with pytest.raises(TaskChanged, match=f"{half:,} rows up to key .* has {half - 1:,} now"):
        task.resume()


def test_a_complete_or_running_task_is_not_resumed(client, home, tmp_path):
    use_small_parts(client, [FlagSome()])
    task = client.get_project(home["project"]).export()
    task.wait_till_done(timeout_seconds=WAIT_LIMIT)
    with pytest.raises(InvalidInput, match="COMPLETE: there is nothing to resume"):
        task.resume()
    proc = start_export(home["home"], "export", home["project"], hold_at=2)
    try:
        running = proc.wait_for_task()
        with pytest.raises(InvalidInput, match=r"its runner .* is alive"):
            client.get_task(running).resume()
    finally:
        proc.kill()


def test_a_damaged_kept_part_refuses_the_resume_and_says_so(client, home):
    task = _failed_export(client, home["project"])
    result = _folder(client, task) / "result"
    first = result / orjson.loads((result / "manifest.json").read_bytes())["parts"][0]["file"]
    first.write_bytes(first.read_bytes()[:-10])
    with pytest.raises(StreamCorrupted, match=re.escape(first.name)):
        task.resume()
    assert task.status == "FAILED"
    assert task.errors_message.startswith("resume refused: StreamCorrupted")


def test_a_flipped_byte_in_a_kept_part_fails_the_resumed_attempt(client, home):
    task = _failed_export(client, home["project"])
    result = _folder(client, task) / "result"
    first = result / orjson.loads((result / "manifest.json").read_bytes())["parts"][0]["file"]
    data = bytearray(first.read_bytes())
    data[10] ^= 0x01
    first.write_bytes(bytes(data))
    task.resume()  # sizes match: the sha256 is checked beside the export, before it closes
    task.wait_till_done(timeout_seconds=WAIT_LIMIT)
    assert task.status == "FAILED"
    assert task.errors_message.startswith("StreamCorrupted: ")
    assert f"{first.name}: sha256" in task.errors_message


def test_resume_interrupted_resumes_the_killed_tasks_only(client, home):
    failed = _failed_export(client, home["project"])
    proc = start_export(home["home"], "export", home["project"], hold_at=4)
    killed = proc.kill_after_batch(3)
    assert killed is not None
    with rowport.Client(home["home"], plugins=quiet_plugins()) as other:
        other._tasks.steps = [FlagSome()]
        report = other._tasks.resume_interrupted()
        assert [task.uid for task in report.resumed] == [killed] and report.refused == {}
        task = report.resumed[0]
        task.wait_till_done(timeout_seconds=WAIT_LIMIT)
        assert task.status == "COMPLETE"
    assert stream_bytes(home["home"] / "tasks" / killed / "result") == home["result"]
    assert client.get_task(failed.uid).status == "FAILED"  # its attempt ended: not interrupted


def test_the_cli_resumes_a_task_and_shows_its_attempts(client, home):
    task = _failed_export(client, home["project"])
    client.close()
    runner = CliRunner()
    out = runner.invoke(main, ["--home", str(home["home"]), "tasks", "resume", task.uid])
    assert out.exit_code == 0, out.output
    assert f"resuming task {task.uid} (attempt 2) after" in out.output
    assert stream_bytes(home["home"] / "tasks" / task.uid / "result") == home["result"]
    shown = runner.invoke(main, ["--home", str(home["home"]), "tasks", "show", task.uid])
    assert re.search(r"attempt 1 +FAILED: from row 0 to \d", shown.output)
    assert re.search(r"attempt 2 +COMPLETE: from row \d+ to 2,000", shown.output)
    again = runner.invoke(main, ["--home", str(home["home"]), "tasks", "resume", task.uid])
    assert again.exit_code == 1
    assert again.output.strip().splitlines() == [
        f"Error: task {task.uid} is COMPLETE: there is nothing to resume"
    ]


class HoldThird:
    """A step that holds its third batch until ``go`` is set (so a shutdown finds it running)."""

    needs_json = False

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.go = threading.Event()
        self.seen = 0

    def __call__(self, rows: list[Any], context: Any) -> tuple[list[Any], list[Any]]:
        self.seen += 1
        if self.seen == 3:
            self.entered.set()
            self.go.wait(WAIT_LIMIT)
        return rows, []


def test_a_shutdown_that_interrupts_leaves_tasks_for_resume_interrupted(home):
    hold = HoldThird()
    client = rowport.Client(home["home"], plugins=quiet_plugins())
    use_small_parts(client, [FlagSome(), hold])
    task = client.get_project(home["project"]).export()
    assert hold.entered.wait(WAIT_LIMIT)
    stopper = threading.Thread(target=client._tasks.shutdown, kwargs={"interrupt_running": True})
    stopper.start()
    deadline = time.monotonic() + WAIT_LIMIT
    while task.status != "CANCELLING":  # the shutdown asked the runner to stop
        assert time.monotonic() < deadline
        time.sleep(0.01)
    hold.go.set()
    stopper.join(WAIT_LIMIT)
    client.close()
    with rowport.Client(home["home"], plugins=quiet_plugins()) as server:
        server._tasks.steps = [FlagSome()]
        assert server.get_task(task.uid).attempts[-1].status == "INTERRUPTED"
        report = server._tasks.resume_interrupted()
        assert [t.uid for t in report.resumed] == [task.uid]
        report.resumed[0].wait_till_done(timeout_seconds=WAIT_LIMIT)
        assert report.resumed[0].status == "COMPLETE"
    assert stream_bytes(home["home"] / "tasks" / task.uid / "result") == home["result"]
    assert stream_bytes(home["home"] / "tasks" / task.uid / "errors") == home["errors"]
