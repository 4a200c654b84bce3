"""The webhook sink against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from sink_support import FAST, Exported, Receiver

from rowport.sinks import redeliver


def _webhook(receiver: Receiver, **options: object) -> dict[str, object]:
    return {"name": "webhook", "options": {"url": receiver.url, "backoff": 0.001, **options}}


def test_webhook_retries_503s_and_every_row_arrives_once(exported: Exported, receiver: Receiver):
    receiver.fail_first = 2
    _, errors = exported.deliver([_webhook(receiver, batch_size=3)])
    assert errors == []
    assert receiver.requests == 2 + 3  # two refused, then 3 batches of at most 3 rows
    assert receiver.lines == exported.lines
    assert receiver.duplicates == 0


def test_webhook_posts_ndjson_with_its_headers(exported: Exported, receiver: Receiver):
    exported.deliver([_webhook(receiver, headers={"Authorization": "Bearer t0ken"})])
    (headers,) = receiver.headers
    assert headers["Content-Type"] == "application/x-ndjson"
    assert headers["Authorization"] == "Bearer t0ken"
    assert len(headers["Idempotency-Key"]) == 64


def test_webhook_keys_make_a_redelivery_a_duplicate_the_receiver_can_drop(
    exported: Exported, receiver: Receiver
):
    exported.deliver([_webhook(receiver, batch_size=2)])
    first = dict(receiver.bodies)
    report = redeliver(
        exported.client, exported.task.uid, "webhook", _webhook(receiver, batch_size=2)["options"]
    )  # type: ignore[arg-type]
    assert report.ok and report.lines_delivered == 7
    assert receiver.bodies == first
    assert receiver.duplicates == 4


def test_webhook_400_fails_at_once_and_close_reports_sink_failed(
    exported: Exported, receiver: Receiver
):
    receiver.always = 400
    _, errors = exported.deliver([_webhook(receiver, **FAST)])
    assert receiver.requests == 1  # neither the sink nor the delivery retries a 400
    (line,) = errors
    assert line["code"] == "SINK_FAILED" and line["stage"] == "sink"
    assert line["plugin"] == "rowport_plugins.sinks"
    assert line["data_row"] is None
    assert line["details"] == {"sink": "webhook", "lines_delivered": 0}
    assert "HTTP 400" in line["message"] and "no thanks" in line["message"]
    assert f"rowport tasks deliver {exported.task.uid} --sink webhook" in line["message"]


def test_webhook_gives_up_after_its_attempts_on_a_server_that_keeps_failing(
    exported: Exported, receiver: Receiver
):
    receiver.always = 503
    _, errors = exported.deliver([_webhook(receiver, max_attempts=2, retries=1)])
    assert receiver.requests == 4  # 2 attempts per POST, 2 attempts of the write
    assert "2 attempts" in errors[0]["message"] and "HTTP 503" in errors[0]["message"]
