"""Delivery semantics: after durability, retries, failure reports, re-drive, backpressure."""

from __future__ import annotations

import copy
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sink_support import FAST, TIMEOUT, Exported, finish

from rowport.errors import InvalidInput
from rowport.sinks import SinkDelivery, redeliver
from rowport.sinks._cli import deliver_command
from rowport.streams import StreamReader, StreamWriter
from rowport.tasks import StreamType, TaskStatus
from rowport.testing import make_context


def _export_with(exported: Exported, **options: Any) -> Any:
    project = exported.client.get_project(exported.catalog["project"])
    return finish(
        project.export(
            params={"label_details": True},
            sinks=[{"name": "collect", "options": {**FAST, **options}}],
        )
    )


def test_export_delivers_the_result_rows_to_a_sink(exported: Exported):
    task = _export_with(exported)
    sink = exported.collect.last
    assert sink.events[0] == "open" and sink.events[-1] == "close"
    assert [o.json for o in task.get_buffered_stream()] == [
        __import__("orjson").loads(line) for line in sink.lines
    ]
    assert sink.summary is not None and sink.summary["lines_delivered"] == 7
    assert sink.context is not None and sink.context.task_id == task.uid


def test_a_write_that_fails_once_is_retried_and_nothing_is_lost(exported: Exported):
    _, errors = exported.deliver([("collect", {**FAST, "fail_writes": 1})])
    sink = exported.collect.last
    assert errors == []
    assert sink.events[:3] == ["open", "write-failed", "write"]
    assert sink.lines == exported.lines


def test_a_sink_that_keeps_failing_is_reported_and_the_task_still_completes(
    exported: Exported,
):
    task = _export_with(exported, fail_writes=1000)
    assert task.status == "COMPLETE"
    sink = exported.collect.last
    assert sink.write_calls == 3  # retries=2: three attempts
    assert sink.events[-1] == "abort" and "write()" in (sink.error or "")
    (line,) = [o.json for o in task.get_buffered_stream(StreamType.ERRORS)]
    assert line["code"] == "SINK_FAILED"
    assert line["plugin"] == "CollectPlugin"
    assert line["details"] == {"sink": "collect", "lines_delivered": 0}
    assert "3 attempts" in line["message"] and "safe in the RESULT stream" in line["message"]
    assert f"rowport tasks deliver {task.uid} --sink collect" in line["message"]
    result = StreamReader(exported.client.home / "tasks" / task.uid / "result")
    assert result.verify() == [] and result.total_lines == 7


def test_redeliver_after_a_failure_delivers_every_row(exported: Exported):
    task = _export_with(exported, fail_writes=1000)
    # the task's own options are reused (fail_writes=1000 too): override what made it fail
    report = redeliver(exported.client, task.uid, "collect", {**FAST, "fail_writes": 0})
    assert report.ok and report.lines_delivered == 7 and report.parts_delivered == 1
    again = exported.collect.last
    assert again.events == ["open", "write", "close"]
    expected = [
        item.data
        for item in StreamReader(exported.client.home / "tasks" / task.uid / "result").iter_lines()
    ]
    assert again.lines == expected
    assert again.summary is not None and again.summary["redelivery"] is True


def test_redeliver_refuses_a_task_that_is_not_finished(exported: Exported):
    record = exported.client.catalog.tasks.create_task("running", exported.task.metadata)
    with pytest.raises(InvalidInput, match="IN_PROGRESS"):
        redeliver(exported.client, record.id, "collect")


def test_cli_deliver_redrives_a_sink(exported: Exported, tmp_path: Path):
    out = tmp_path / "cli.ndjson"
    result = CliRunner().invoke(
        deliver_command,
        [exported.task.uid, "--sink", "ndjson_file", "--sink-option", f"path={out}"],
        obj=exported.client,
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == exported.stream_bytes
    assert "delivered 7 rows" in result.output


def test_cli_deliver_reports_a_bad_option(exported: Exported):
    result = CliRunner().invoke(
        deliver_command,
        [exported.task.uid, "--sink", "ndjson_file", "--sink-option", "pth=x"],
        obj=exported.client,
    )
    assert result.exit_code == 1
    assert "has no option 'pth'" in result.output and "takes: path" in result.output


def test_a_fatal_error_is_not_retried(exported: Exported):
    _, errors = exported.deliver([("collect", {**FAST, "fail_writes": 5, "fatal": True})])
    assert exported.collect.last.write_calls == 1
    assert "after 1 attempt:" in errors[0]["message"]


def test_a_failing_sink_does_not_stop_the_others(exported: Exported, tmp_path: Path):
    out = tmp_path / "ok.ndjson"
    _, errors = exported.deliver(
        [("collect", {**FAST, "fail_open": True}), ("ndjson_file", {"path": str(out)})]
    )
    assert [e["details"]["sink"] for e in errors] == ["collect"]
    assert "open()" in errors[0]["message"]
    assert out.read_bytes() == exported.stream_bytes


def test_abort_tells_every_sink_and_close_after_it_reports_nothing(exported: Exported):
    delivery = SinkDelivery.from_specs(
        exported.client.plugins, ["collect"], result_dir=exported.result_dir
    )
    delivery.open(exported.context())
    delivery.abort("the export was canceled")
    assert exported.collect.last.events == ["open", "abort"]
    assert exported.collect.last.error == "the export was canceled"
    assert delivery.close({}) == []


def _many_parts(directory: Path, parts: int, lines: int) -> list[Any]:
    writer = StreamWriter(directory)
    committed = []
    for p in range(parts):
        writer.write_lines([b'{"part": %d, "line": %d}' % (p, i) for i in range(lines)])
        committed.append(writer.commit())
    writer.close()
    return committed


def test_deliver_blocks_while_a_slow_sink_is_behind(exported: Exported, tmp_path: Path):
    parts = _many_parts(tmp_path / "stream", parts=8, lines=3)
    release = threading.Event()
    original = exported.collect.factory.write

    def held(self: Any, batch: list[bytes]) -> None:
        release.wait(TIMEOUT)  # the sink is stuck on its first part until the test lets go
        original(self, batch)

    exported.collect.factory.write = held  # type: ignore[method-assign]
    delivery = SinkDelivery.from_specs(
        exported.client.plugins,
        ["collect"],
        result_dir=tmp_path / "stream",
        max_pending_parts=2,
    )
    delivery.open(make_context())
    worker = delivery.workers[0]
    delivered, depths = [], []

    def produce() -> None:
        for part in parts:
            delivery.deliver(part)
            delivered.append(part)
            depths.append(worker.queue.qsize())

    producer = threading.Thread(target=produce)
    producer.start()
    deadline = time.monotonic() + TIMEOUT
    while not worker.queue.full():
        assert time.monotonic() < deadline, "the queue never filled"
        time.sleep(0.01)
    # one part in the sink, two queued: deliver() of the fourth part cannot have returned
    assert len(delivered) <= 3 and producer.is_alive()
    release.set()
    producer.join(TIMEOUT)
    assert len(delivered) == 8
    assert max(depths) <= 2  # the queue never grows past its bound
    assert delivery.close({}) == []
    sink = exported.collect.last
    assert len(sink.lines) == 24 and sink.lines == [
        item.data for item in StreamReader(tmp_path / "stream").iter_lines()
    ]


def test_sink_calls_run_on_one_worker_thread_per_sink(exported: Exported):
    seen: set[str] = set()
    original = exported.collect.factory.write

    def spy(self: Any, batch: list[bytes]) -> None:
        seen.add(threading.current_thread().name)
        original(self, batch)

    exported.collect.factory.write = spy  # type: ignore[method-assign]
    exported.deliver(["collect"], batch_lines=2)
    assert seen == {"rowport-sink-collect"}


def test_redeliver_names_a_nested_withheld_secret_with_how_to_give_it(exported: Exported):
    metadata = copy.deepcopy(dict(exported.task.metadata))
    metadata["request"]["options"]["sinks"] = [
        {"name": "collect", "options": {}, "withheld": ["headers.Authorization", "s3.creds.token"]}
    ]
    tasks = exported.client.catalog.tasks
    record = tasks.create_task("finished", metadata)
    tasks.set_status(record.id, TaskStatus.COMPLETE)
    with pytest.raises(InvalidInput) as raised:
        redeliver(exported.client, record.id, "collect")
    assert str(raised.value) == (
        f"sink 'collect' of task {record.id} had options that are not stored with the task"
        " (secrets): headers.Authorization, s3.creds.token; give them again"
        """ (--sink-option 'headers={"Authorization":"..."}',"""
        """ --sink-option 's3={"creds":{"token":"..."}}')"""
    )
