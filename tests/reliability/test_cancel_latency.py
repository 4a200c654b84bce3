"""A cancel takes effect at once for a queued task and within one batch for a running one,
whatever its sinks do: a webhook that never answers or a sink plugin hung in ``write()`` is
abandoned, reported as failed and left for re-delivery. Latency is counted in batches."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from liveness_support import (
    BatchCounter,
    HangingSink,
    HangingSinkPlugin,
    error_codes,
    silent_server,
    stream_lines,
)

import rowport
from rowport.testing import make_client


@pytest.fixture
def step() -> Any:
    counter = BatchCounter()
    yield counter
    counter.release.set()


def test_a_queued_task_is_canceled_at_once_and_never_starts(live_home, step) -> None:
    step.hold.set()
    with rowport.Client(live_home["home"], max_workers=1) as client:
        client._tasks.steps = [step]
        project = client.get_project(live_home["project"])
        running = project.export()
        step.wait_entered()
        queued = project.export()  # waits for the only worker
        assert queued.cancel()
        assert queued.status == "CANCELED"  # at once: no wait, no batch
        step.release.set()
        running.wait_till_done(timeout_seconds=120)
        queued.wait_till_done(timeout_seconds=120)
        assert running.status == "COMPLETE"
        assert queued.status == "CANCELED"
        assert step.batches[queued.uid] == 0
        assert queued.rows_done == 0
        assert queued.get_total_lines(rowport.StreamType.RESULT) is None  # empty, readable


def test_a_task_queued_in_another_process_is_canceled_at_once(live_home, step) -> None:
    step.hold.set()
    with rowport.Client(live_home["home"], max_workers=1) as client:
        client._tasks.steps = [step]
        project = client.get_project(live_home["project"])
        running = project.export()
        step.wait_entered()
        queued = project.export()
        with rowport.Client(live_home["home"]) as other:  # as `rowport tasks cancel ID` would
            assert other.get_task(queued.uid).cancel()
            assert other.get_task(queued.uid).status == "CANCELED"
        step.release.set()
        running.wait_till_done(timeout_seconds=120)
        queued.wait_till_done(timeout_seconds=120)
        assert queued.status == "CANCELED"
        assert step.batches[queued.uid] == 0


def test_a_running_task_canceled_elsewhere_ends_within_one_batch(live_home, step) -> None:
    step.hold.set()
    with rowport.Client(live_home["home"], heartbeat=0.05) as client:
        client._tasks.steps = [step]
        task = client.get_project(live_home["project"]).export()
        step.wait_entered()
        at_cancel = step.batches[task.uid]
        with rowport.Client(live_home["home"]) as other:
            assert other.get_task(task.uid).cancel()
        step.release.set()
        task.wait_till_done(timeout_seconds=120)
        assert task.status == "CANCELED"
        assert step.batches[task.uid] == at_cancel  # the held batch was the last one


def _sink_failed(client: rowport.Client, task_id: str, sink: str) -> dict[str, Any]:
    lines = [orjson.loads(line) for line in stream_lines(client, task_id, "errors")]
    failed = [line for line in lines if line["code"] == "SINK_FAILED"]
    assert [line["details"]["sink"] for line in failed] == [sink], lines
    return failed[0]


def test_a_webhook_that_never_answers_does_not_hold_a_cancel(live_home, step) -> None:
    with silent_server() as (url, got), rowport.Client(live_home["home"]) as client:
        client._tasks.steps = [step]
        # default delivery settings: the webhook's own 10 s timeout and three attempts
        task = client.get_project(live_home["project"]).export(sinks=[("webhook", {"url": url})])
        assert got.wait(120), "the webhook got no request"
        at_cancel = sum(step.batches.values())
        task.cancel()
        task.wait_till_done(timeout_seconds=120)
        assert task.status == "CANCELED"
        assert sum(step.batches.values()) <= at_cancel + 1
        failed = _sink_failed(client, task.uid, "webhook")
        assert f"rowport tasks deliver {task.uid} --sink webhook" in failed["message"]


def test_a_sink_hung_in_write_does_not_hold_a_cancel(tmp_path, step) -> None:
    HangingSink.released.clear()
    HangingSink.writes_started.clear()
    client = make_client(tmp_path, plugins=[HangingSinkPlugin()])
    try:
        from rowport.testing import build_catalog

        ids = build_catalog(client, rows=450)
        client._tasks.steps = [step]
        task = client.get_project(ids["project"]).export(sinks=["hang"])
        assert HangingSink.writes_started.wait(120)
        at_cancel = sum(step.batches.values())
        task.cancel()
        task.wait_till_done(timeout_seconds=120)
        assert task.status == "CANCELED"
        assert sum(step.batches.values()) <= at_cancel + 1
        failed = _sink_failed(client, task.uid, "hang")
        assert "was abandoned" in failed["message"]
        assert "write()" in failed["message"]
    finally:
        HangingSink.released.set()
        client.close()


def test_a_sink_past_its_deadline_is_abandoned_and_the_export_completes(tmp_path) -> None:
    HangingSink.released.clear()
    client = make_client(tmp_path, plugins=[HangingSinkPlugin()])
    try:
        from rowport.testing import build_catalog

        ids = build_catalog(client, rows=7)
        task = client.get_project(ids["project"]).export(sinks=[("hang", {"deadline": 0.2})])
        task.wait_till_done(timeout_seconds=120)
        assert task.status == "COMPLETE"
        failed = _sink_failed(client, task.uid, "hang")
        assert "did not return from write() within its deadline of 0.2 s" in failed["message"]
        assert len(stream_lines(client, task.uid, "result")) == 7  # kept for re-delivery
        assert error_codes(client, task.uid) == ["SINK_FAILED"]
    finally:
        HangingSink.released.set()
        client.close()


def test_a_sink_deadline_must_be_positive_seconds(tmp_path) -> None:
    client = make_client(tmp_path, plugins=[HangingSinkPlugin()])
    try:
        from rowport.testing import build_catalog

        ids = build_catalog(client, rows=1)
        with pytest.raises(rowport.errors.InvalidInput, match="deadline must be seconds"):
            client.get_project(ids["project"]).export(sinks=[("hang", {"deadline": 0})])
    finally:
        client.close()
