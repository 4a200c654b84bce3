"""ExportTask's reference surface, against tasks run for real over a real catalog."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import orjson
import pytest
from tasks_support import ROWS

import rowport
from rowport import (
    BufferedJsonConverterOutput,
    ExportTask,
    FileConverter,
    JsonConverter,
    StreamType,
)
from rowport.errors import ExportTaskException
from rowport.streams import StreamReader


def _finished(client: rowport.Client, project: str, **kwargs) -> ExportTask:
    task = client.get_project(project).export(**kwargs)
    task.wait_till_done(timeout_seconds=60)
    assert task.status == "COMPLETE", task.errors_message
    return task


def _disk(client: rowport.Client, task: ExportTask, stream: str) -> bytes:
    directory = client.home / "tasks" / task.uid / stream
    reader = StreamReader(directory)
    return b"".join((directory / p.file).read_bytes() for p in reader.manifest.parts)


def test_a_task_reports_the_reference_fields(client, home):
    task = _finished(client, home["project"], task_name="nightly")
    assert len(task.uid) == 25
    assert task.name == "nightly"
    assert task.type == "export-data-rows"
    assert task.status == "COMPLETE"
    assert task.completion_percentage == 100
    assert task.deleted is False
    assert task.created_by == "admin@rowport.local"
    assert task.organization == client.catalog.organization_id
    assert task.created_at <= task.updated_at
    assert task.metadata["request"]["kind"] == "project"
    assert task.metadata["request"]["scope_ids"] == [home["project"]]


def test_a_task_without_a_name_gets_one_naming_its_scope(client, home):
    task = _finished(client, home["project"])
    assert task.name == f"export project {home['project']}"


def test_totals_equal_the_bytes_and_lines_on_disk(client, home, small_parts):
    task = _finished(client, home["project"])
    data = _disk(client, task, "result")
    assert task.get_total_file_size(StreamType.RESULT) == len(data)
    assert task.get_total_lines(StreamType.RESULT) == data.count(b"\n") == ROWS
    assert task.has_result() is True
    assert task.has_errors() is False
    assert task.get_total_lines(StreamType.ERRORS) is None
    assert task.get_total_file_size(StreamType.ERRORS) is None


def test_the_stream_has_several_parts(client, home, small_parts):
    task = _finished(client, home["project"])
    reader = StreamReader(client.home / "tasks" / task.uid / "result")
    assert len(reader.manifest.parts) > 3
    assert reader.verify() == []


@pytest.mark.parametrize("k", [0, 1, ROWS // 2, ROWS - 2, ROWS - 1])
def test_with_line_yields_line_k_of_a_multi_part_stream(client, home, small_parts, k):
    task = _finished(client, home["project"])
    lines = _disk(client, task, "result").split(b"\n")
    outputs = list(task.get_stream().with_line(k))
    assert outputs[0].current_line == k
    assert outputs[0].json_str.encode() == lines[k]
    assert len(outputs) == ROWS - k


def test_with_offset_at_a_line_start(client, home, small_parts):
    task = _finished(client, home["project"])
    data = _disk(client, task, "result")
    start = data.index(b"\n", 5000) + 1
    first = next(iter(task.get_stream().with_offset(start)))
    assert first.current_offset == start
    assert first.current_line == data[:start].count(b"\n")
    assert first.json_str.encode() == data[start : data.index(b"\n", start)]


def test_with_offset_mid_line_yields_the_fragment_first(client, home, small_parts):
    task = _finished(client, home["project"])
    data = _disk(client, task, "result")
    offset = data.index(b"\n", 9000) - 17
    outputs = list(task.get_stream().with_offset(offset))
    assert outputs[0].json_str.encode() == data[offset : data.index(b"\n", offset)]
    assert outputs[1].json_str.encode() == data[data.index(b"\n", offset) + 1 :].split(b"\n")[0]
    assert outputs[0].current_line == data[:offset].count(b"\n")


@pytest.mark.parametrize("bad", [-1, "total", "beyond"])
def test_out_of_range_offsets_raise_value_error(client, home, bad):
    task = _finished(client, home["project"])
    total = task.get_total_file_size(StreamType.RESULT)
    value = {"total": total, "beyond": total + 100}.get(bad, bad)
    with pytest.raises(ValueError, match="out of range"):
        task.get_stream().with_offset(value)


@pytest.mark.parametrize("bad", [-1, ROWS, ROWS + 5])
def test_out_of_range_lines_raise_value_error(client, home, bad):
    task = _finished(client, home["project"])
    with pytest.raises(ValueError, match="out of range"):
        task.get_stream().with_line(bad)


def test_start_calls_the_handler_with_each_json_converter_output(client, home):
    task = _finished(client, home["project"])
    seen = []
    task.get_stream(JsonConverter(), StreamType.RESULT).start(seen.append)
    assert len(seen) == ROWS
    assert [o.current_line for o in seen] == list(range(ROWS))
    assert all(isinstance(orjson.loads(o.json_str), dict) for o in seen)


def test_buffered_stream_yields_parsed_rows(client, home):
    task = _finished(client, home["project"])
    outputs = list(task.get_buffered_stream())
    assert all(isinstance(o, BufferedJsonConverterOutput) for o in outputs)
    assert {o.json["data_row"]["global_key"] for o in outputs} == set(home["ids"]["global_keys"])


def test_file_converter_writes_exactly_the_stream(client, home, tmp_path: Path):
    task = _finished(client, home["project"])
    out = tmp_path / "out" / "result.ndjson"
    reports = list(task.get_stream(FileConverter(out)))
    assert out.read_bytes() == _disk(client, task, "result")
    assert sum(r.bytes_written for r in reports) == out.stat().st_size
    assert reports[0].total_lines == ROWS


def test_an_empty_export_completes_with_no_result(client, home):
    task = _finished(client, home["project"], filters={"global_keys": ["nobody"]})
    assert task.has_result() is False
    assert task.has_errors() is False
    assert task.get_total_file_size(StreamType.RESULT) is None
    assert task.get_total_lines(StreamType.RESULT) is None
    assert list(task.get_buffered_stream()) == []


def test_reading_a_running_task_is_not_ready_yet(client, home, gate):
    task = client.get_project(home["project"]).export()
    gate.entered.acquire(timeout=10)
    assert task.status == "IN_PROGRESS"
    for read in (
        lambda: task.get_stream(),
        lambda: task.get_buffered_stream(),
        lambda: task.get_total_lines(StreamType.RESULT),
        lambda: task.get_total_file_size(StreamType.RESULT),
        lambda: task.has_result(),
    ):
        with pytest.raises(ExportTask.ExportTaskException, match="Task is not ready yet"):
            read()
    gate.open_all()
    task.wait_till_done(timeout_seconds=30)
    assert task.status == "COMPLETE"


def test_export_task_exception_is_the_rowport_error(client):
    assert ExportTask.ExportTaskException is ExportTaskException
    assert issubclass(ExportTaskException, rowport.RowportError)


def test_wait_till_done_returns_at_its_timeout_while_running(client, home, gate):
    task = client.get_project(home["project"]).export()
    task.wait_till_done(timeout_seconds=0.2)
    assert task.status == "IN_PROGRESS"


def test_get_task_finds_the_same_task(client, home):
    task = _finished(client, home["project"])
    again = ExportTask.get_task(client, task.uid)
    assert (again.uid, again.status, again.name) == (task.uid, "COMPLETE", task.name)
    assert [t.uid for t in client.get_tasks()] == [task.uid]


def test_get_task_from_a_second_process_sees_the_same_task(client, home):
    task = _finished(client, home["project"])
    code = (
        "import sys, rowport\n"
        "c = rowport.Client(sys.argv[1])\n"
        "t = rowport.ExportTask.get_task(c, sys.argv[2])\n"
        "print(t.status, t.get_total_lines(rowport.StreamType.RESULT), t.name)\n"
        "c.close()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(home["home"]), task.uid],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.split(" ", 2)
    assert out == ["COMPLETE", str(ROWS), task.name + "\n"]


def test_tasks_are_listed_newest_first(client, home):
    first = _finished(client, home["project"], task_name="first")
    second = _finished(client, home["project"], task_name="second")
    assert [t.uid for t in client.get_tasks()][:2] == [second.uid, first.uid]


def test_export_v2_gives_the_rows_as_a_list_with_a_warning(client, home):
    task = client.get_project(home["project"]).export_v2()
    task.wait_till_done(timeout_seconds=60)
    with pytest.warns(DeprecationWarning):
        rows = task.result
    assert len(rows) == ROWS and isinstance(rows[0], dict)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert task.errors is None


@pytest.mark.parametrize("attribute", ["result", "errors", "result_url", "errors_url"])
def test_legacy_attributes_raise_on_an_export_task(client, home, attribute):
    task = _finished(client, home["project"])
    with pytest.raises(ExportTaskException):
        getattr(task, attribute)
