"""Ctrl-C in the real ``rowport`` process exits 130 everywhere, with a message and no
traceback. SIGINT is sent only once the process says (or shows) it is at the point under test:
a line on stderr, a FIFO it has started writing, a file it holds open; never after a sleep."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import orjson
import pytest
from clitools import READY_TIMEOUT, Gate, Sample, add_step

from rowport import Client
from rowport.testing import serve_http


class Child:
    """``python -m rowport.cli ARGS`` with its stderr read line by line on a thread."""

    def __init__(self, *args: str | Path) -> None:
        env = {k: v for k, v in os.environ.items() if k != "ROWPORT_HOME"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rowport.cli", *map(str, args)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            # a child of a background job may inherit SIGINT ignored; give it the default
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for_line(self, text: str) -> None:
        """Block until a stderr line contains ``text`` (fails if the process ends first)."""
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            assert line is not None, f"rowport ended before saying {text!r}: {self.seen}"
            self.seen.append(line)
            if text in line:
                return

    def interrupt(self) -> tuple[int, str]:
        """Send SIGINT; returns the exit code and all of stderr."""
        self.proc.send_signal(signal.SIGINT)
        return self.finish()

    def finish(self) -> tuple[int, str]:
        """Wait for the process to end; returns the exit code and all of stderr."""
        code = self.proc.wait(timeout=READY_TIMEOUT)
        self._reader.join(timeout=READY_TIMEOUT)
        while (line := self.lines.get_nowait()) is not None:
            self.seen.append(line)
        return code, "".join(self.seen)


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def test_ctrl_c_stops_tasks_wait_with_exit_130(sample: Sample, owner: Client, gate: Gate) -> None:
    add_step(owner, gate)
    task = owner.get_dataset(sample.dataset_id).export()
    assert gate.entered.wait(READY_TIMEOUT)
    child = Child("--home", sample.home, "tasks", "wait", task.uid)
    child.wait_for_line(f"waiting for task {task.uid}")
    code, err = child.interrupt()
    assert code == 130, err
    assert f"stopped waiting; task {task.uid} is IN_PROGRESS" in err
    assert "Traceback" not in err
    assert task.status == "IN_PROGRESS"


def test_ctrl_c_stops_tasks_stream_follow_with_exit_130(
    sample: Sample, owner: Client, gate: Gate, tmp_path: Path
) -> None:
    add_step(owner, gate)
    task = owner.get_dataset(sample.dataset_id).export()
    assert gate.entered.wait(READY_TIMEOUT)
    out = tmp_path / "out" / "followed.ndjson"
    child = Child("--home", sample.home, "tasks", "stream", task.uid, "--follow", "-o", out)
    child.wait_for_line(f"following the RESULT stream of task {task.uid}")
    code, err = child.interrupt()
    assert code == 130, err
    assert f"interrupted (nothing was left at {out}); task {task.uid} is IN_PROGRESS" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # no file, no temporary name, no folder made for it


def test_ctrl_c_while_export_writes_its_output_exits_130(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Client(home) as client:
        dataset = client.create_dataset("many")
        dataset.create_data_rows([f"https://example.com/{i}.jpg" for i in range(3000)])
    fifo = tmp_path / "rows.fifo"
    os.mkfifo(fifo)
    child = Child("--home", home, "export", "dataset", dataset.uid, "-o", fifo)
    # the export opens -o only once the task is COMPLETE and its rows are being written;
    # the rows are far more than a pipe holds, so it is blocked writing them
    with open(fifo, "rb") as reader:
        assert reader.read(1) == b"{"
        child.proc.send_signal(signal.SIGINT)
        reader.read()  # let it write out what it had buffered
    code, err = child.finish()
    assert code == 130, err
    assert f"interrupted while writing -o {fifo}" in err
    assert "`rowport tasks stream " in err and f"-o {fifo}`" in err
    assert "Traceback" not in err


def _holds_open(pid: int, path: Path) -> bool:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                return True
        except OSError:
            continue
    return False


def test_ctrl_c_stops_an_import_with_exit_130(tmp_path: Path) -> None:
    # the rows come through a FIFO the test keeps open: the import is certainly still running
    # (waiting for more lines) when it is interrupted, however fast or loaded the machine is
    rows = tmp_path / "rows.ndjson"
    os.mkfifo(rows)
    child = Child("--home", tmp_path / "home", "import", rows)
    with rows.open("wb") as f:  # opens once the import opens its end
        for i in range(10):
            row = {
                "data_row": {
                    "id": f"cmximport{i:016d}",
                    "global_key": f"key-{i}",
                    "row_data": f"https://example.com/{i}.jpg",
                },
                "media_attributes": {},
            }
            f.write(orjson.dumps(row) + b"\n")
        f.flush()
        _until(
            lambda: _holds_open(child.proc.pid, rows.resolve()) or child.proc.poll() is not None,
            "the import to open its file",
        )
        code, err = child.interrupt()
    assert code == 130, err
    assert "interrupted: the batches committed before it stay loaded" in err
    assert f"import {rows} again to load the rest" in err
    assert "Traceback" not in err


class HeldWebhook:
    """A loopback webhook that holds every POST until released: a gate an export running in
    another process can be stopped at (its first committed rows have reached the sink)."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.url = ""
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                gate.arrived.set()
                gate.release.wait(READY_TIMEOUT)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.handler = Handler


@pytest.fixture
def held() -> Iterator[HeldWebhook]:
    webhook = HeldWebhook()
    with serve_http(webhook.handler) as server:
        webhook.url = f"http://127.0.0.1:{server.server_port}/hook"
        try:
            yield webhook
        finally:
            webhook.release.set()


def _held_export(sample: Sample, held: HeldWebhook, *extra: str | Path) -> Child:
    return Child(
        "--home", sample.home, "export", "dataset", sample.dataset_id,
        "--sink", "webhook", "--sink-option", f"url={held.url}", *extra,
    )  # fmt: skip


def test_ctrl_c_cancels_a_running_export_and_exits_130(
    sample: Sample, held: HeldWebhook, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "rows.ndjson"
    child = _held_export(sample, held, "-o", out)
    assert held.arrived.wait(READY_TIMEOUT)  # the export runs: its rows reached the sink
    child.wait_for_line("started; Ctrl-C cancels it")
    child.proc.send_signal(signal.SIGINT)
    held.release.set()
    code, err = child.finish()
    assert code == 130, err
    assert "interrupted: canceling task" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # no output, no temporary file, no folder


def test_ctrl_c_while_a_no_wait_export_finishes_exits_130(
    sample: Sample, held: HeldWebhook
) -> None:
    child = _held_export(sample, held, "--no-wait")
    assert held.arrived.wait(READY_TIMEOUT)
    child.wait_for_line("this process exits when it ends")
    child.proc.send_signal(signal.SIGINT)
    held.release.set()
    code, err = child.finish()
    assert code == 130, err
    assert "interrupted: canceling the exports this command started" in err
    assert "Traceback" not in err
    with Client(sample.home) as client:
        (task,) = client.get_tasks()
        assert task.status in ("CANCELED", "COMPLETE")  # ended either way, never left running
