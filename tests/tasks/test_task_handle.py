"""ExportTask's reference surface, against tasks run for real over a real catalog."""

from __future__ import annotations

import warnings
from pathlib import Path

import orjson
import pytest
from tasks_support import ROWS, FlagEveryRow, disk_bytes, finished, stream_dir

import rowport
from rowport import (
    BufferedJsonConverterOutput,
    ExportTask,
    FileConverter,
    JsonConverter,
    JsonConverterOutput,
    StreamType,
)
from rowport.errors import ExportTaskException
from rowport.streams import StreamReader

# -- the Task fields -----------------------------------------------------------------------------


def test_a_task_reports_the_reference_fields(client, home):
    task = finished(client, home["project"], task_name="nightly")
    assert len(task.uid) == 25
    assert task.name == "nightly"
    assert task.type == "export-data-rows"
    assert task.status == "COMPLETE"
    assert task.completion_percentage == 100
    assert (task.rows_done, task.rows_planned) == (ROWS, ROWS)
    assert task.deleted is False
    assert task.created_by == "admin@rowport.local"
    assert task.organization == client.catalog.organization_id
    assert task.created_at <= task.updated_at
    assert task.errors_message is None


def test_a_task_without_a_name_gets_one_naming_its_scope(client, home):
    task = finished(client, home["project"])
    assert task.name == f"export project {home['project']}"


def test_the_metadata_holds_the_request(client, home):
    keys = home["ids"]["global_keys"][:3]
    task = finished(
        client, home["project"], params={"label_details": True}, filters={"global_keys": keys}
    )
    request = task.metadata["request"]
    assert (request["kind"], request["scope_ids"]) == ("project", [home["project"]])
    assert request["params"]["label_details"] is True
    assert request["filters"]["global_keys"] == keys
    assert task.metadata["legacy"] is False


def test_get_task_finds_the_same_task(client, home):
    task = finished(client, home["project"])
    again = ExportTask.get_task(client, task.uid)
    assert (again.uid, again.status, again.name) == (task.uid, "COMPLETE", task.name)
    assert [t.uid for t in client.get_tasks()] == [task.uid]


def test_tasks_are_listed_newest_first(client, home):
    first = finished(client, home["project"], task_name="first")
    second = finished(client, home["project"], task_name="second")
    third = finished(client, home["project"], task_name="third")
    assert [t.uid for t in client.get_tasks()] == [third.uid, second.uid, first.uid]


def test_wait_till_done_returns_at_its_timeout_while_running(client, home, gate):
    task = client.get_project(home["project"]).export()
    task.wait_till_done(timeout_seconds=0.2)
    assert task.status == "IN_PROGRESS"


# -- totals and parts ------------------------------------------------------------------------


def test_totals_equal_the_bytes_and_lines_on_disk(client, home, small_parts):
    task = finished(client, home["project"])
    data = disk_bytes(client, task, "result")
    assert task.get_total_file_size(StreamType.RESULT) == len(data)
    assert task.get_total_lines(StreamType.RESULT) == data.count(b"\n") == ROWS
    assert task.has_result() is True


def test_a_clean_export_has_no_errors_and_no_error_totals(client, home):
    task = finished(client, home["project"])
    assert task.has_errors() is False
    assert task.get_total_lines(StreamType.ERRORS) is None
    assert task.get_total_file_size(StreamType.ERRORS) is None


def test_step_problems_are_error_lines_with_totals(client, home):
    client._tasks.steps = [FlagEveryRow()]
    task = finished(client, home["project"])
    data = disk_bytes(client, task, "errors")
    assert task.has_errors() is True
    assert task.get_total_lines(StreamType.ERRORS) == data.count(b"\n") == ROWS
    assert task.get_total_file_size(StreamType.ERRORS) == len(data)
    errors = [orjson.loads(o.json_str) for o in task.get_stream(JsonConverter(), StreamType.ERRORS)]
    assert {e["code"] for e in errors} == {"FLAGGED"}


def test_the_stream_has_several_parts(client, home, small_parts):
    task = finished(client, home["project"])
    reader = StreamReader(stream_dir(client, task, "result"))
    assert len(reader.manifest.parts) > 3
    assert reader.complete and reader.verify() == []


# -- get_stream, with_line, with_offset ------------------------------------------------------


@pytest.mark.parametrize("k", [0, 1, ROWS // 2, ROWS - 2, ROWS - 1])
def test_with_line_yields_line_k_of_a_multi_part_stream(client, home, small_parts, k):
    task = finished(client, home["project"])
    assert len(StreamReader(stream_dir(client, task, "result")).manifest.parts) > 1
    lines = disk_bytes(client, task, "result").split(b"\n")
    outputs = list(task.get_stream().with_line(k))
    assert outputs[0].current_line == k
    assert [o.json_str.encode() for o in outputs] == lines[k:-1]


def test_with_line_on_the_first_line_of_a_later_part(client, home, small_parts):
    task = finished(client, home["project"])
    part = StreamReader(stream_dir(client, task, "result")).manifest.parts[2]
    first = next(iter(task.get_stream().with_line(part.lines.start)))
    assert (first.current_line, first.current_offset) == (part.lines.start, part.offsets.start)


def test_with_offset_at_a_line_start(client, home, small_parts):
    task = finished(client, home["project"])
    data = disk_bytes(client, task, "result")
    start = data.index(b"\n", 5000) + 1
    first = next(iter(task.get_stream().with_offset(start)))
    assert first.current_offset == start
    assert first.current_line == data[:start].count(b"\n")
    assert first.json_str.encode() == data[start : data.index(b"\n", start)]


def test_with_offset_mid_line_yields_the_fragment_first(client, home, small_parts):
    task = finished(client, home["project"])
    data = disk_bytes(client, task, "result")
    offset = data.index(b"\n", 9000) - 17
    outputs = list(task.get_stream().with_offset(offset))
    assert outputs[0].json_str.encode() == data[offset : data.index(b"\n", offset)]
    assert outputs[0].current_line == data[:offset].count(b"\n")
    assert "".join(o.json_str + "\n" for o in outputs).encode() == data[offset:]


@pytest.mark.parametrize("bad", [-1, "total", "beyond"])
def test_out_of_range_offsets_raise_value_error(client, home, bad):
    task = finished(client, home["project"])
    total = task.get_total_file_size(StreamType.RESULT)
    value = {"total": total, "beyond": total + 100}.get(bad, bad)
    with pytest.raises(ValueError, match="out of range"):
        task.get_stream().with_offset(value)


@pytest.mark.parametrize("bad", [-1, ROWS, ROWS + 5])
def test_out_of_range_lines_raise_value_error(client, home, bad):
    task = finished(client, home["project"])
    with pytest.raises(ValueError, match="out of range"):
        task.get_stream().with_line(bad)


def test_start_calls_the_handler_with_each_json_converter_output(client, home):
    task = finished(client, home["project"])
    seen = []
    task.get_stream(JsonConverter(), StreamType.RESULT).start(seen.append)
    assert [o.current_line for o in seen] == list(range(ROWS))
    assert all(isinstance(orjson.loads(o.json_str), dict) for o in seen)


def test_iterating_get_stream_yields_each_line_with_its_offset(client, home):
    task = finished(client, home["project"])
    data = disk_bytes(client, task, "result")
    offsets = []
    for output in task.get_stream(JsonConverter()):
        assert isinstance(output, JsonConverterOutput)
        offsets.append(output.current_offset)
    starts = [0] + [i + 1 for i, b in enumerate(data[:-1]) if b == ord("\n")]
    assert offsets == starts


def test_buffered_stream_yields_parsed_rows(client, home):
    task = finished(client, home["project"])
    outputs = list(task.get_buffered_stream())
    assert all(isinstance(o, BufferedJsonConverterOutput) for o in outputs)
    assert [o.json["data_row"]["global_key"] for o in outputs] == [
        orjson.loads(line)["data_row"]["global_key"]
        for line in disk_bytes(client, task, "result").splitlines()
    ]
    assert len(outputs) == ROWS


def test_file_converter_writes_exactly_the_stream(client, home, tmp_path: Path):
    task = finished(client, home["project"])
    out = tmp_path / "out" / "result.ndjson"
    reports = list(task.get_stream(FileConverter(out)))
    assert out.read_bytes() == disk_bytes(client, task, "result")
    assert sum(r.bytes_written for r in reports) == out.stat().st_size
    assert (reports[0].total_lines, reports[0].total_size) == (ROWS, out.stat().st_size)


def test_file_converter_from_a_line_writes_the_rest_of_the_stream(client, home, tmp_path: Path):
    task = finished(client, home["project"])
    out = tmp_path / "tail.ndjson"
    task.get_stream(FileConverter(out)).with_line(ROWS - 10).start()
    assert out.read_bytes().splitlines() == disk_bytes(client, task, "result").splitlines()[-10:]


# -- empty exports -----------------------------------------------------------------------------


def test_an_empty_export_completes_with_no_result(client, home):
    task = finished(client, home["project"], filters={"global_keys": ["nobody"]})
    assert task.has_result() is False
    assert task.has_errors() is False
    assert task.get_total_file_size(StreamType.RESULT) is None
    assert task.get_total_lines(StreamType.RESULT) is None
    # the reference's get_buffered_stream refuses a stream that is not there (issue 10)
    with pytest.raises(ValueError, match=f"Task {task.uid} does not have a RESULT stream"):
        task.get_buffered_stream()
    with pytest.raises(ValueError, match=f"Task {task.uid} does not have a ERRORS stream"):
        task.get_buffered_stream(StreamType.ERRORS)
    assert list(task.get_stream()) == []


@pytest.mark.parametrize("seek", ["with_line", "with_offset"])
def test_seeking_in_an_empty_stream_raises_value_error(client, home, seek):
    task = finished(client, home["project"], filters={"global_keys": ["nobody"]})
    with pytest.raises(ValueError, match="out of range"):
        getattr(task.get_stream(), seek)(0)


# -- readers that need a finished task ----------------------------------------------------------

READERS = {
    "get_stream": lambda t: t.get_stream(),
    "get_buffered_stream": lambda t: t.get_buffered_stream(),
    "get_total_lines": lambda t: t.get_total_lines(StreamType.RESULT),
    "get_total_file_size": lambda t: t.get_total_file_size(StreamType.ERRORS),
    "has_result": lambda t: t.has_result(),
    "has_errors": lambda t: t.has_errors(),
}


@pytest.mark.parametrize("reader", list(READERS))
def test_reading_a_running_task_is_not_ready_yet(client, home, gate, reader):
    task = client.get_project(home["project"]).export()
    gate.wait_entered()
    assert task.status == "IN_PROGRESS"
    with pytest.raises(ExportTask.ExportTaskException, match="Task is not ready yet"):
        READERS[reader](task)


def test_export_task_exception_is_the_rowport_error():
    assert ExportTask.ExportTaskException is ExportTaskException
    assert issubclass(ExportTaskException, rowport.RowportError)


def test_stream_type_must_be_a_stream_type(client, home):
    task = finished(client, home["project"])
    with pytest.raises(ValueError, match="StreamType"):
        task.get_stream(JsonConverter(), "RESULT")


# -- export_v2 (deprecated) --------------------------------------------------------------------


def test_export_v2_gives_the_rows_as_a_list_with_a_warning(client, home):
    task = client.get_project(home["project"]).export_v2()
    task.wait_till_done(timeout_seconds=60)
    with pytest.warns(DeprecationWarning):
        rows = task.result
    assert len(rows) == ROWS and all(isinstance(row, dict) for row in rows)
    assert task.metadata["legacy"] is True


def test_export_v2_errors_are_none_when_there_are_none(client, home):
    task = client.get_project(home["project"]).export_v2()
    task.wait_till_done(timeout_seconds=60)
    with pytest.warns(DeprecationWarning):
        assert task.errors is None


def test_export_v2_errors_are_the_error_objects(client, home):
    client._tasks.steps = [FlagEveryRow()]
    task = client.get_project(home["project"]).export_v2()
    task.wait_till_done(timeout_seconds=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        errors = task.errors
    assert len(errors) == ROWS and errors[0]["code"] == "FLAGGED"


def test_export_v2_urls_name_the_stream_directories(client, home):
    task = client.get_project(home["project"]).export_v2()
    task.wait_till_done(timeout_seconds=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert task.result_url == stream_dir(client, task, "result").resolve().as_uri()
        assert task.errors_url == stream_dir(client, task, "errors").resolve().as_uri()


@pytest.mark.parametrize("attribute", ["result", "errors", "result_url", "errors_url"])
def test_legacy_attributes_raise_on_an_export_task(client, home, attribute):
    task = finished(client, home["project"])
    with pytest.raises(ExportTaskException):
        getattr(task, attribute)
