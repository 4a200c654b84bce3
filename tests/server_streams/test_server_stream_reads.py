"""The stream readers of ``ExportTask`` give the same answers embedded and over HTTP."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from batch_gate import Gate
from server_support import READY_LIMIT, ROWS

import rowport
from rowport import ExportTask, FileConverter, JsonConverter, StreamType
from rowport.streams import StreamReader

Handle = Callable[[ExportTask], ExportTask]


def finished(client: rowport.Client, built: dict[str, Any], **options: Any) -> ExportTask:
    task = client.get_project(built["project"]).export(**options)
    task.wait_till_done()
    assert task.status == "COMPLETE"
    return task


def on_disk(client: rowport.Client, task: ExportTask) -> StreamReader:
    return StreamReader(client._tasks.stream_dir(task.uid, "result"))


def test_totals_and_status_read_the_same(client, built, handle: Handle):
    task = finished(client, built)
    reader = on_disk(client, task)
    seen = handle(task)
    assert seen.status == "COMPLETE"
    assert seen.rows_done == ROWS
    assert seen.get_total_file_size(StreamType.RESULT) == reader.total_size
    assert seen.get_total_lines(StreamType.RESULT) == ROWS
    assert seen.has_result() and not seen.has_errors()
    assert seen.get_total_lines(StreamType.ERRORS) is None


@pytest.mark.parametrize("k", [0, 1, ROWS // 2, ROWS - 1])
def test_with_line_of_a_multi_part_stream(client, built, handle: Handle, small_parts, k):
    task = finished(client, built)
    reader = on_disk(client, task)
    assert len(reader.manifest.parts) >= 3
    expected = list(reader.iter_lines(k))
    got = list(handle(task).get_stream().with_line(k))
    assert [(o.current_offset, o.current_line, o.json_str) for o in got] == [
        (line.offset, line.line, line.data.decode()) for line in expected
    ]


def test_with_offset_mid_line_yields_the_fragment_first(client, built, handle: Handle):
    task = finished(client, built)
    reader = on_disk(client, task)
    offset = next(reader.iter_lines(7)).offset + 5
    got = list(handle(task).get_stream().with_offset(offset))
    expected = list(reader.iter_from_offset(offset))
    assert (got[0].current_offset, got[0].current_line) == (offset, 7)
    assert [o.json_str.encode() for o in got] == [line.data for line in expected]


@pytest.mark.parametrize("bad", [-1, "total"])
def test_out_of_range_offsets_raise_value_error(client, built, handle: Handle, bad):
    task = handle(finished(client, built))
    offset = task.get_total_file_size(StreamType.RESULT) if bad == "total" else bad
    with pytest.raises(ValueError, match="out of range"):
        task.get_stream().with_offset(offset)


def test_out_of_range_lines_raise_value_error(client, built, handle: Handle):
    task = handle(finished(client, built))
    with pytest.raises(ValueError, match=f"line {ROWS} is out of range"):
        task.get_stream().with_line(ROWS)


def test_buffered_stream_yields_parsed_rows(client, built, handle: Handle):
    task = handle(finished(client, built))
    rows = [output.json for output in task.get_buffered_stream()]
    assert len(rows) == ROWS
    assert {row["data_row"]["global_key"] for row in rows} == set(built["global_keys"])


def test_file_converter_writes_exactly_the_stream(
    client, built, handle: Handle, small_parts, tmp_path: Path
):
    task = finished(client, built)
    target = tmp_path / "out" / "rows.ndjson"
    outputs = list(handle(task).get_stream(FileConverter(target)).with_line(3))
    reader = on_disk(client, task)
    assert target.read_bytes() == b"".join(line.data + b"\n" for line in reader.iter_lines(3))
    assert sum(o.bytes_written for o in outputs) == target.stat().st_size


def test_an_empty_export_has_nothing_to_read(client, built, handle: Handle):
    task = client.get_dataset(built["dataset"]).export(filters={"global_keys": ["nothing-here"]})
    task.wait_till_done()
    seen = handle(task)
    assert seen.status == "COMPLETE"
    assert not seen.has_result() and seen.get_total_file_size(StreamType.RESULT) is None
    assert list(seen.get_stream()) == []
    assert list(seen.stream(follow=False)) == []
    with pytest.raises(ValueError, match=r"Task \w+ does not have a RESULT stream"):
        seen.get_buffered_stream()
    with pytest.raises(ValueError, match="out of range"):
        seen.get_stream().with_line(0)


def test_errors_stream_reads_the_same(client, built, handle: Handle):
    task = finished(client, built)
    seen = handle(task)
    assert list(seen.get_stream(JsonConverter(), StreamType.ERRORS)) == []
    assert list(seen.stream(StreamType.ERRORS, follow=False)) == []


def test_follow_and_resume_give_every_line_once(client, built, handle: Handle):
    task = finished(client, built)
    seen = handle(task)
    first = [o.current_line for o in itertools.islice(seen.stream(follow=True), 10)]
    rest = list(seen.stream(follow=True, start_line=first[-1] + 1))
    assert first + [o.current_line for o in rest] == list(range(ROWS))
    embedded = list(client.get_task(task.uid).stream(follow=True, start_line=10))
    assert rest == embedded


def test_following_from_a_line_not_yet_committed(client, built, handle: Handle):
    gate = Gate()
    client._tasks.steps = [gate]
    task = client.get_project(built["project"]).export()
    gate.wait_entered()  # the first batch is held: no line is committed yet
    seen: list[Any] = []
    follower = threading.Thread(
        target=lambda: seen.extend(handle(task).stream(follow=True, start_line=150))
    )
    follower.start()
    gate.let_through(ROWS // 100 + 1)
    follower.join(timeout=READY_LIMIT)
    task.wait_till_done()
    expected = on_disk(client, task).iter_lines(150)
    assert [(o.current_offset, o.current_line, o.json_str.encode()) for o in seen] == [
        (line.offset, line.line, line.data) for line in expected
    ]


@pytest.mark.parametrize("read", ["has_result", "get_stream", "get_buffered_stream"])
def test_reading_a_running_task_is_not_ready_yet(client, built, handle: Handle, read):
    gate = Gate()
    client._tasks.steps = [gate]
    task = client.get_project(built["project"]).export()
    gate.wait_entered()
    try:
        seen = handle(task)
        assert seen.status == "IN_PROGRESS"
        with pytest.raises(rowport.ExportTask.ExportTaskException, match="Task is not ready yet"):
            getattr(seen, read)()
    finally:
        gate.let_through(ROWS // 100 + 1)
    task.wait_till_done()


def test_a_canceled_task_keeps_its_rows_readable(client, built, handle: Handle):
    gate = Gate()
    client._tasks.steps = [gate]
    task = client.get_project(built["project"]).export()
    gate.wait_entered()
    seen = handle(task)
    gate.let_through()  # the first batch is written
    gate.wait_entered()  # the second waits
    assert seen.cancel() is True
    gate.let_through(ROWS // 100 + 1)
    seen.wait_till_done(timeout_seconds=READY_LIMIT)
    status, done, planned, _ = seen.progress()
    # the total is counted beside the export: a cancel may come before the count ends
    assert status == "CANCELED" and planned in (None, ROWS) and 0 < done < ROWS
    lines = seen.get_total_lines(StreamType.RESULT)
    assert lines is not None and 0 < lines < ROWS
    assert len(list(seen.get_buffered_stream())) == lines
    assert seen.cancel() is False


def test_following_times_out_when_no_line_comes(client, built, handle: Handle):
    gate = Gate()
    client._tasks.steps = [gate]
    task = client.get_project(built["project"]).export()
    gate.wait_entered()  # held until the test ends: no line will come
    try:
        with pytest.raises(TimeoutError, match="no new line"):
            list(handle(task).stream(follow=True, timeout=0.5))
    finally:
        gate.let_through(ROWS // 100 + 1)
    task.wait_till_done()


def test_export_v2_rows_read_the_same(client, built, handle: Handle):
    task = client.get_project(built["project"]).export_v2()
    task.wait_till_done()
    seen = handle(task)
    with pytest.warns(DeprecationWarning, match="export_v2 is deprecated"):
        rows = seen.result
    with pytest.warns(DeprecationWarning):
        assert seen.errors is None
    assert rows == [output.json for output in task.get_buffered_stream()]
    with pytest.warns(DeprecationWarning):
        assert seen.result_url.endswith(("/result/content", "/result"))
