"""Shared pieces of the liveness, cancel and full-disk tests (a uniquely named module).

Real homes, real threads and subprocesses, a real HTTP server on 127.0.0.1 that never answers,
and tmpfs mounts for full disks. Waits are bounded by generous limits only as a safety net;
nothing asserts on elapsed time.
"""

from __future__ import annotations

import collections
import contextlib
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import rowport
from rowport import hookimpl
from rowport.streams import StreamReader

ROWS = 450  # five batches of 100
WAIT_LIMIT = 120.0  # seconds: a safety net for a loaded machine, never an assertion
HOLD_LIMIT = 600.0


def until(condition: Callable[[], object], what: str, limit: float = WAIT_LIMIT) -> None:
    """Wait (napping, never spinning) until ``condition()`` is true."""
    deadline = time.monotonic() + limit
    nap = 0.005
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(nap)
        nap = min(nap * 2, 0.1)


class BatchCounter:
    """A pipeline step that counts the batches each task ran, and can hold them."""

    needs_json = False

    def __init__(self) -> None:
        self.batches: collections.Counter[str] = collections.Counter()
        self.hold = threading.Event()  # set: batches wait for ``release``
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)

    def __call__(self, rows: list[dict[str, Any]], context: Any) -> tuple[list[Any], list[Any]]:
        self.batches[context.task_id] += 1
        self.entered.release()
        if self.hold.is_set():
            self.release.wait(HOLD_LIMIT)
        return rows, []

    def wait_entered(self) -> None:
        assert self.entered.acquire(timeout=WAIT_LIMIT), "no batch reached the step"


class HangingSink:
    """A sink whose ``write`` blocks until the test ends (a plugin that hangs)."""

    released = threading.Event()
    writes_started = threading.Event()

    def open(self, context: Any) -> None:
        pass

    def write(self, batch: list[bytes]) -> None:
        HangingSink.writes_started.set()
        HangingSink.released.wait(HOLD_LIMIT)

    def close(self, summary: dict[str, Any]) -> None:
        pass

    def abort(self, error: str) -> None:
        pass


class HangingSinkPlugin:
    """Registers ``hang``: a :class:`HangingSink`."""

    @hookimpl
    def rowport_register_sinks(self, register: Callable[..., None]) -> None:
        register("hang", HangingSink)


@contextlib.contextmanager
def silent_server() -> Iterator[tuple[str, threading.Event]]:
    """An HTTP server on 127.0.0.1 that accepts connections and never answers; yields its URL
    and an event set once a request arrived."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    got = threading.Event()
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)
            got.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook", got
    finally:
        stop.set()
        thread.join(WAIT_LIMIT)
        for conn in held:
            conn.close()
        listener.close()


def stream_lines(client: rowport.Client, task_id: str, stream: str) -> list[bytes]:
    return [
        line.data for line in StreamReader(client.home / "tasks" / task_id / stream).iter_lines()
    ]


def error_codes(client: rowport.Client, task_id: str) -> list[str]:
    import orjson

    return [orjson.loads(line)["code"] for line in stream_lines(client, task_id, "errors")]


@contextlib.contextmanager
def tmpfs(directory: Path, size: str = "2m") -> Iterator[Path]:
    """A small tmpfs mounted at ``directory`` (skipped where mounting is not allowed)."""
    import pytest

    directory.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"needs: permission to mount a tmpfs ({done.stderr.strip()})")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def open_files_under(directory: Path) -> list[str]:
    """The files this process holds open under ``directory``."""
    out = []
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):
            target = str(fd.readlink())
            if target.startswith(str(directory)):
                out.append(target)
    return out


def fill(directory: Path) -> Path:
    """Fill the filesystem of ``directory`` to the last byte; returns the filler file."""
    filler = directory / "filler"
    chunk = b"\0" * 65536
    with open(filler, "ab", buffering=0) as f:
        with contextlib.suppress(OSError):
            while True:
                f.write(chunk)
        with contextlib.suppress(OSError):
            while True:
                f.write(b"\0")
    return filler
