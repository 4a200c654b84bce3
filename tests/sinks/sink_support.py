"""Helpers of the sink tests: a collecting-sink plugin, a finished export with a delivery
driver, and the state of an HTTP receiver that de-duplicates by ``Idempotency-Key``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

import rowport
from rowport import hookimpl
from rowport.plugins import ExportContext
from rowport.request import ExportRequest
from rowport.sinks import SinkDelivery
from rowport.streams import StreamReader
from rowport.testing import CollectingSink, collecting_sink

TIMEOUT = 60.0
FAST = {"retries": 2, "backoff": 0.001}  # delivery retries without waiting in tests


class CollectPlugin:
    """Registers ``collect``: an in-memory sink whose instances the test can inspect."""

    def __init__(self) -> None:
        self.factory = collecting_sink()

    @hookimpl
    def rowport_register_sinks(self, register: Callable[..., None]) -> None:
        register("collect", self.factory)

    @property
    def last(self) -> CollectingSink:
        return self.factory.instances[-1]


@attrs.define
class Exported:
    """A finished export and where its RESULT stream is."""

    client: rowport.Client
    collect: CollectPlugin
    catalog: dict[str, Any]
    task: rowport.ExportTask

    @property
    def result_dir(self) -> Path:
        return self.client.home / "tasks" / self.task.uid / "result"

    @property
    def lines(self) -> list[bytes]:
        return [item.data for item in StreamReader(self.result_dir).iter_lines()]

    @property
    def stream_bytes(self) -> bytes:
        return b"".join(line + b"\n" for line in self.lines)

    def context(self) -> ExportContext:
        record = self.client.catalog.tasks.get_task(self.task.uid)
        return ExportContext(
            task_id=self.task.uid,
            request=ExportRequest.from_dict(record.metadata["request"]),
            catalog=self.client.catalog,
        )

    def deliver(self, specs: Sequence[Any], **kwargs: Any) -> tuple[SinkDelivery, list[Any]]:
        """Drive ``specs`` through a SinkDelivery over this task's RESULT parts."""
        delivery = SinkDelivery.from_specs(
            self.client.plugins, specs, result_dir=self.result_dir, **kwargs
        )
        delivery.open(self.context())
        for part in StreamReader(self.result_dir).manifest.parts:
            delivery.deliver(part)
        errors = delivery.close({"rows": len(self.lines), "errors": 0})
        return delivery, errors


def finish(task: rowport.ExportTask) -> rowport.ExportTask:
    task.wait_till_done(timeout_seconds=TIMEOUT, check_frequency=0.01)
    assert task.status == "COMPLETE", task.errors_message
    return task


# -- an HTTP receiver ----------------------------------------------------------------------------


@attrs.define
class Receiver:
    """What the test server got; ``fail_first`` requests get ``fail_status``."""

    url: str = ""
    fail_first: int = 0
    fail_status: int = 503
    always: int | None = None
    requests: int = 0
    bodies: dict[str, bytes] = attrs.field(factory=dict)  # by Idempotency-Key, first wins
    duplicates: int = 0
    headers: list[dict[str, str]] = attrs.field(factory=list)
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    @property
    def lines(self) -> list[bytes]:
        """Every accepted line, in the order the batches first arrived."""
        return [line for body in self.bodies.values() for line in body.splitlines()]
