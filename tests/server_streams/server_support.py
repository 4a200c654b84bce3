"""Shared pieces of the server tests: a pipeline gate, an SSE reader and a TCP proxy that cuts
connections (a uniquely named module, importable from the tests)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import requests

from rowport.catalog import Catalog
from rowport.streams import StreamReader
from rowport.tasks import TaskManager
from rowport.tasks._remote import parse_events

ROWS = 240  # rows of the served project: three batches, so three parts
READY_LIMIT = 120.0  # seconds to wait for the server, a batch, a line: generous (loaded box)


def result_reader(home: Path, task_id: str) -> StreamReader:
    """A reader of the task's RESULT stream wherever the home keeps it (its folder, or the
    ``$ROWPORT_STORAGE_URL`` the module's ``storage`` fixture set)."""
    manager = TaskManager.for_catalog(Catalog(home / "catalog.db"), home / "tasks")
    try:
        return StreamReader(manager.stream_dir(task_id, "result"))
    finally:
        manager.shutdown()
        manager.catalog.close()


def events(response: requests.Response) -> Iterator[tuple[str, str, bytes]]:
    """``(event, id, data)`` of each server-sent event (comments skipped)."""
    for event in parse_events(response.iter_content(1 << 16)):
        if event.name:
            yield event.name, event.id, event.data


class CuttingProxy:
    """A loopback TCP proxy in front of the server that cuts connections: each one is closed
    after ``per_connection`` bytes towards the client, and once ``total`` bytes went through
    in all, every connection is cut at once (None: no such limit)."""

    def __init__(
        self, upstream: str, *, per_connection: int | None = None, total: int | None = None
    ) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.per_connection = per_connection
        self.total = total
        self.sent = 0
        self.cuts = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._pump, args=(downstream,), daemon=True).start()

    def _allowance(self, sent_here: int) -> int:
        limits = [1 << 16]
        if self.per_connection is not None:
            limits.append(self.per_connection - sent_here)
        if self.total is not None:
            limits.append(self.total - self.sent)
        return max(0, min(limits))

    def _pump(self, downstream: socket.socket) -> None:
        with downstream, socket.create_connection(self.upstream) as upstream:
            threading.Thread(target=_copy, args=(downstream, upstream), daemon=True).start()
            sent_here = 0
            while True:
                with self._lock:
                    allowance = self._allowance(sent_here)
                if allowance == 0:
                    break
                data = upstream.recv(allowance)
                if not data:
                    return
                downstream.sendall(data)
                sent_here += len(data)
                with self._lock:
                    self.sent += len(data)
            with self._lock:
                self.cuts += 1
            downstream.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._listener.close()


def _copy(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(1 << 16):
            target.sendall(data)
    except OSError:
        pass
