"""``wait_till_done`` and ``get_buffered_stream`` behave as the reference SDK's do.

The reference's ``ExportTask.wait_till_done`` waits up to two hours; rowport's logs a warning
naming the task when it gives up. A gated pipeline step holds the task in progress, so the
timeout is certain to pass before it ends (no clock decides the outcome).
"""

from __future__ import annotations

import inspect
import logging

import pytest

from rowport import ExportTask
from rowport.tasks import StreamType


def test_wait_till_done_waits_two_hours_by_default() -> None:
    for method in (ExportTask.wait_till_done, ExportTask.wait_until_done):
        assert inspect.signature(method).parameters["timeout_seconds"].default == 7200


def test_a_wait_that_times_out_logs_a_warning_naming_the_task(client, home, gate, caplog):
    task = client.get_project(home["project"]).export()
    gate.wait_entered()  # the first batch is held: the task cannot finish yet
    with caplog.at_level(logging.WARNING, logger="rowport"):
        task.wait_till_done(timeout_seconds=0)
    assert task.status == "IN_PROGRESS"
    (record,) = [r for r in caplog.records if task.uid in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "still IN_PROGRESS" in record.getMessage()
    assert "wait_till_done() again" in record.getMessage()
    gate.open_all()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="rowport"):
        task.wait_till_done(timeout_seconds=60)
    assert task.status == "COMPLETE"
    assert not [r for r in caplog.records if task.uid in r.getMessage()]


def test_get_buffered_stream_names_the_task_and_the_missing_stream(client, home):
    task = client.get_project(home["project"]).export()
    task.wait_till_done(timeout_seconds=60)
    assert task.status == "COMPLETE" and not task.has_errors()
    with pytest.raises(ValueError, match=f"^Task {task.uid} does not have a ERRORS stream$"):
        task.get_buffered_stream(StreamType.ERRORS)
    assert next(iter(task.get_buffered_stream())).json["data_row"]["id"]
