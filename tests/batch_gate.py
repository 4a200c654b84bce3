"""A pipeline step that holds each batch of an export until the test lets it through (the
task and server tests put it in ``client._tasks.steps``)."""

from __future__ import annotations

import threading
from typing import Any

WAIT_LIMIT = 120.0  # seconds to wait for a batch to reach the gate: generous (loaded box)
HOLD_LIMIT = 600.0  # seconds the gate holds a batch at most (only stops a forgotten gate)


class Gate:
    """Holds each batch that reaches it until :meth:`let_through` (or :meth:`open_all`)."""

    needs_json = False

    def __init__(self) -> None:
        self.entered = threading.Semaphore(0)
        self.release = threading.Semaphore(0)
        self.open = False

    def __call__(self, rows: list[Any], context: Any) -> tuple[list[Any], list[Any]]:
        self.entered.release()
        if not self.open:
            self.release.acquire(timeout=HOLD_LIMIT)
        return rows, []

    def wait_entered(self, batches: int = 1) -> None:
        """Block until ``batches`` more batches have reached the gate."""
        for _ in range(batches):
            assert self.entered.acquire(timeout=WAIT_LIMIT), "no batch reached the gate"

    def let_through(self, batches: int = 1) -> None:
        """Let ``batches`` held (or coming) batches pass."""
        for _ in range(batches):
            self.release.release()

    def open_all(self) -> None:
        """Hold no batch from now on (fixtures open it when a test is done)."""
        self.open = True
        self.let_through(100)
