"""Shared pieces of the task tests (a uniquely named module, importable from the tests)."""

from __future__ import annotations

import threading
from typing import Any

ROWS = 450  # five batches of 100


class Gate:
    """A pipeline step that holds each batch until the test lets it pass."""

    needs_json = False

    def __init__(self) -> None:
        self.entered = threading.Semaphore(0)
        self.release = threading.Semaphore(0)
        self.open = False

    def __call__(self, rows: list[dict[str, Any]], context: Any) -> tuple[list[Any], list[Any]]:
        self.entered.release()
        if not self.open:
            self.release.acquire(timeout=30)
        return rows, []

    def let_through(self, batches: int = 1) -> None:
        for _ in range(batches):
            self.release.release()

    def open_all(self) -> None:
        self.open = True
        self.let_through(100)
