"""Shared pieces of the reliability tests: a pipeline that flags some rows, small parts, and
the script of an export subprocess that reports each batch (so a test kills it mid-stream)."""

from __future__ import annotations

import hashlib
import importlib
import multiprocessing
import os
import signal
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import rowport
from rowport.catalog import IngestProgress
from rowport.export import problem
from rowport.plugins import PluginHost
from rowport.streams import StreamReader, StreamWriter

ROWS = 2000  # twenty batches of 100: a kill lands among many commits
WAIT_LIMIT = 120.0  # seconds: a safety net only, nothing waits for time to pass
PART_BYTES = 65536  # small parts: two or so per batch


class FlagSome:
    """A pipeline step that reports a problem for every seventh row (and keeps it)."""

    needs_json = False

    def __call__(
        self, rows: list[dict[str, Any]], context: Any
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        problems = [
            problem(
                "FLAGGED",
                "flagged by the test",
                data_row={"id": row["data_row"]["id"]},
                stage="plugin",
                plugin="flag-some",
            )
            for row in rows
            if int(row["data_row"]["external_id"].rsplit("-", 1)[1]) % 7 == 3
        ]
        return rows, problems


class SmallParts(StreamWriter):
    """Streams that commit after every batch in parts of at most :data:`PART_BYTES`."""

    def __init__(self, directory: Path, **options: Any) -> None:
        super().__init__(directory, part_max_bytes=PART_BYTES, commit_interval=0)

    @classmethod
    def open(cls, directory: Path, **options: Any) -> StreamWriter:
        return StreamWriter.open(directory, part_max_bytes=PART_BYTES, commit_interval=0)


def use_small_parts(client: rowport.Client, steps: list[Any]) -> None:
    """Make ``client``'s exports write small parts, through ``steps``."""
    import rowport.tasks._runner as runner

    runner.StreamWriter = SmallParts  # type: ignore[misc]
    client._tasks.steps = steps


def stream_bytes(directory: Path) -> bytes:
    """Every committed line of the stream in ``directory``, newline-terminated."""
    reader = StreamReader(directory, required=True)
    return b"".join(line.data + b"\n" for line in reader.iter_lines(0))


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def quiet_plugins() -> PluginHost:
    """The built-in plugins only (loading every installed one takes a second a process)."""
    return PluginHost.load(autoload=False)


def run_export(conn: Connection, home: str, mode: str, target: str, hold_at: int) -> None:
    """The body of an export subprocess: export project ``target`` (``mode`` "export") or
    resume task ``target`` ("resume"). It sends ``("task", id)``, then ``("batch", n)`` as
    each batch reaches the pipeline, and holds batch ``hold_at`` for ever (so a test that
    kills it after batch ``n`` always finds it running)."""
    client = rowport.Client(home, plugins=quiet_plugins())
    count = 0

    def report(rows: list[Any], context: Any) -> tuple[list[Any], list[Any]]:
        nonlocal count
        count += 1
        conn.send(("batch", count))
        if count == hold_at:
            threading.Event().wait()
        return rows, []

    report.needs_json = False  # type: ignore[attr-defined]
    use_small_parts(client, [FlagSome(), report])
    if mode == "export":
        task = client.get_project(target).export()
    else:
        task = client.get_task(target).resume()
    conn.send(("task", task.uid))
    task.wait_till_done()
    conn.send(("status", str(task.status)))


def run_import(conn: Connection, home: str, path: str, batch_size: int, hold_at: int) -> None:
    """The body of an import subprocess: load ``path`` into ``home``, sending ``("batch",
    lines)`` after each batch is written, holding once ``hold_at`` lines are (the test kills
    it by then)."""

    def progress(done: IngestProgress) -> None:
        conn.send(("batch", done.lines))
        if done.lines >= hold_at:
            threading.Event().wait()

    with rowport.Client(home, plugins=quiet_plugins()) as client:
        client.import_file(path, batch_size=batch_size, progress=progress)


_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(
    [
        "rowport.client",
        "reliability_support",
        *importlib.import_module("rowport_plugins").BUILTIN_PLUGINS,
    ]
)


def start_export(home: Path, mode: str, target: str, hold_at: int) -> Exporter:
    """Start :func:`run_export` in a subprocess (forked from a server that imported rowport
    once, so a run costs no imports)."""
    parent, child = _CONTEXT.Pipe(duplex=False)
    proc = _CONTEXT.Process(target=run_export, args=(child, str(home), mode, target, hold_at))
    proc.start()
    child.close()
    return Exporter(proc, parent)


def start_import(home: Path, path: Path, batch_size: int, hold_at: int) -> Exporter:
    """Start :func:`run_import` in a subprocess."""
    parent, child = _CONTEXT.Pipe(duplex=False)
    args = (child, str(home), str(path), batch_size, hold_at)
    proc = _CONTEXT.Process(target=run_import, args=args)
    proc.start()
    child.close()
    return Exporter(proc, parent)


class Exporter:
    """A running export subprocess and the pipe of its progress messages."""

    def __init__(self, proc: Any, conn: Connection) -> None:
        self.proc = proc
        self.conn = conn

    def wait_for_task(self) -> str:
        """The task id, once the export started (its process runs on)."""
        while True:
            assert self.conn.poll(WAIT_LIMIT), f"the export sent nothing for {WAIT_LIMIT} s"
            word, value = self.conn.recv()
            if word == "task":
                return str(value)

    def kill(self) -> None:
        """SIGKILL the process and wait for it."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.join(WAIT_LIMIT)
        self.conn.close()

    def kill_after_batch(self, batch: int, *, task: bool = True) -> str | None:
        """SIGKILL the process once it reported batch ``batch`` (or a later one) and, with
        ``task``, its task id; returns the task id (None if it ended before it sent one)."""
        task_id = None if task else ""
        seen = 0
        try:
            while task_id is None or seen < batch:
                if not self.conn.poll(WAIT_LIMIT):
                    raise AssertionError(f"the export sent nothing for {WAIT_LIMIT} s")
                word, value = self.conn.recv()
                if word == "task":
                    task_id = value
                elif word == "batch":
                    seen = value
        except EOFError:
            pass
        finally:
            self.kill()
        return task_id
