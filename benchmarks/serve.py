"""Benchmark of ``rowport serve``: remote stream reads against the embedded reader, time to the
first row over HTTP, 16 concurrent exports with readers (server memory), remote ingest.

    python benchmarks/serve.py [--rows 200000] [--row-bytes 2900] [--runs 5]
                               [--export-rows 500] [--ingest-rows 20000] [--dir /tmp/x]

One home holds a small project (``build_catalog``, ``--export-rows`` rows) and a finished task
whose RESULT stream has ``--rows`` lines of about ``--row-bytes`` bytes (written directly with a
``StreamWriter`` from the rows of ``benchmarks/streams.py``, about the size of an export row
with every project param on). A real ``rowport serve`` (``rowport.testing.start_server``) serves
the home on 127.0.0.1. Then, ``--runs`` times each (min / median / max; the machines this runs on
are shared, so the fastest run of each is compared too):

- read: every line of the stream through ``task.get_stream()`` (``JsonConverter``), embedded
  and over a remote ``rowport.Client``, alternating; the ratio is remote rows/s over embedded
  rows/s of the same run (goal >= 0.7). The bytes of the whole stream fetched with ``requests``
  and nothing else done with them are the HTTP floor, for context;
- time to the first row: a fresh remote handle's first ``get_stream()`` output (the task
  record, the stream header and the first bytes: three requests), and the embedded one's;
- 16 exports of the project started over HTTP at once, each followed by a reader thread
  (``task.stream(follow=True)``); every task must COMPLETE with every row read. The server's
  ``VmRSS`` / ``VmHWM`` (``/proc/PID/status``) after each round shows whether it stays flat;
- ingest: ``import_file`` of ``--ingest-rows`` rows of ``benchmarks/ingest.py``, embedded into a
  fresh home and remote into a fresh organization of the server, alternating.

Figures only: nothing asserts, since the machines this runs on are shared and noisy.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import requests
from ingest import write_rows
from streams import batches, make_pool

import rowport
from rowport import StreamType
from rowport.catalog import TaskStatus
from rowport.streams import StreamWriter
from rowport.testing import RowportServer, build_catalog, start_server

CONCURRENT = 16
TARGET_RATIO = 0.7


def spread(values: Sequence[float], unit: str, scale: float = 1.0, digits: int = 2) -> str:
    """``min / median / max`` of ``values`` (times ``scale``) with ``unit``."""
    low, mid, high = min(values), statistics.median(values), max(values)
    return " / ".join(f"{v * scale:,.{digits}f}" for v in (low, mid, high)) + f" {unit}"


def server_memory(pid: int) -> tuple[float, float]:
    """The server's ``VmRSS`` and ``VmHWM`` in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def write_task(client: rowport.Client, home: Path, rows: int, row_bytes: int) -> str:
    """A COMPLETE task whose RESULT stream holds ``rows`` lines; its id."""
    record = client.catalog.tasks.create_task("benchmark stream", {"request": {}})
    writer = StreamWriter(home / "tasks" / record.id / "result")
    for batch in batches(make_pool(row_bytes), rows):
        writer.write_lines(batch)
        writer.maybe_commit()
    writer.close()
    StreamWriter(home / "tasks" / record.id / "errors").close()
    client.catalog.tasks.set_status(record.id, TaskStatus.COMPLETE)
    return record.id


def read_all(task: rowport.ExportTask) -> float:
    """Seconds to read every line of the task's RESULT stream through ``get_stream()``."""
    started = time.perf_counter()
    count = sum(1 for _ in task.get_stream())
    elapsed = time.perf_counter() - started
    assert count == task.get_total_lines(StreamType.RESULT)
    return elapsed


def http_floor(server: RowportServer, token: str, task_id: str) -> float:
    """Seconds to fetch the stream's bytes with ``requests`` and do nothing with them."""
    url = f"{server.url}/api/v1/tasks/{task_id}/streams/result/content"
    started = time.perf_counter()
    with requests.get(url, headers={"Authorization": f"Bearer {token}"}, stream=True) as r:
        for _ in r.iter_content(1 << 20):
            pass
    return time.perf_counter() - started


def first_row(open_task: Callable[[], rowport.ExportTask]) -> float:
    """Seconds from opening a handle to its first ``get_stream()`` output."""
    started = time.perf_counter()
    next(iter(open_task().get_stream()))
    return time.perf_counter() - started


def concurrent_round(remote: rowport.Client, project_id: str, rows: int) -> float:
    """Seconds for 16 exports started at once, each followed to its end by a thread."""
    started = time.perf_counter()
    project = remote.get_project(project_id)
    tasks = [project.export() for _ in range(CONCURRENT)]
    counts: list[int] = []
    lock = threading.Lock()

    def follow(task: rowport.ExportTask) -> None:
        n = sum(1 for _ in task.stream(follow=True))
        with lock:
            counts.append(n)

    threads = [threading.Thread(target=follow, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    statuses = {task.status for task in tasks}
    if statuses != {TaskStatus.COMPLETE} or counts != [rows] * CONCURRENT:
        raise SystemExit(f"concurrent exports did not all complete: {statuses}, {counts}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="lines of the read stream")
    parser.add_argument("--row-bytes", type=int, default=2900)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--export-rows", type=int, default=500, help="rows of the project")
    parser.add_argument("--ingest-rows", type=int, default=20_000)
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory (default: tmp)")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="rowport-bench-serve-", dir=args.dir))
    try:
        run(base, args)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def run(base: Path, args: argparse.Namespace) -> None:
    """Every measurement in ``base``; prints the table."""
    home = base / "home"
    with rowport.Client(home) as client:
        project_id = build_catalog(client, rows=args.export_rows)["project"]
        task_id = write_task(client, home, args.rows, args.row_bytes)
    server = start_server(home, "--quiet")
    report: list[tuple[str, str, str]] = []
    try:
        token = server.create_key("benchmark")
        rss_start = server_memory(server.pid)
        with rowport.Client(home) as embedded, rowport.Client(server.url, api_key=token) as remote:
            size = embedded.get_task(task_id).get_total_file_size(StreamType.RESULT) or 0
            print(f"stream: {args.rows:,} lines, {size / 2**20:,.0f} MiB; {args.runs} runs each\n")
            local_s, remote_s, floor_s = [], [], []
            for _ in range(args.runs):
                local_s.append(read_all(embedded.get_task(task_id)))
                remote_s.append(read_all(remote.get_task(task_id)))
                floor_s.append(http_floor(server, token, task_id))
            ratios = [local / far for local, far in zip(local_s, remote_s, strict=True)]
            rss_read = server_memory(server.pid)
            rate = [args.rows / s for s in local_s]
            report.append(("read, embedded get_stream()", spread(rate, "rows/s", digits=0), ""))
            rate = [args.rows / s for s in remote_s]
            mb = [size / 2**20 / s for s in remote_s]
            report.append(
                ("read, remote get_stream()", spread(rate, "rows/s", digits=0), spread(mb, "MiB/s"))
            )
            mb = [size / 2**20 / s for s in floor_s]
            report.append(("HTTP floor (bytes only)", spread(mb, "MiB/s"), "requests, 1 MiB reads"))
            report.append(
                ("remote / embedded rows/s", spread(ratios, ""), f"goal >= {TARGET_RATIO}")
            )
            best = min(local_s) / min(remote_s)
            report.append(("best remote / best embedded", f"{best:.2f}", "fastest run of each"))
            report.append(
                (
                    "server memory after the reads",
                    f"VmRSS {rss_read[0]:.0f} MiB, VmHWM {rss_read[1]:.0f} MiB",
                    f"at start {rss_start[0]:.0f} MiB",
                )
            )

            firsts = [first_row(lambda: remote.get_task(task_id)) for _ in range(max(7, args.runs))]
            report.append(("time to first row, remote", spread(firsts, "ms", 1e3), "3 requests"))
            firsts = [
                first_row(lambda: embedded.get_task(task_id)) for _ in range(max(7, args.runs))
            ]
            report.append(("time to first row, embedded", spread(firsts, "ms", 1e3), ""))

            rounds, memory = [], []
            for _ in range(args.runs):
                rounds.append(concurrent_round(remote, project_id, args.export_rows))
                memory.append(server_memory(server.pid))
            report.append(
                (
                    f"{CONCURRENT} exports + readers, {args.export_rows} rows each",
                    spread(rounds, "s"),
                    "all COMPLETE, every row read",
                )
            )
            report.append(
                (
                    "server VmRSS after each round",
                    ", ".join(f"{rss:.0f}" for rss, _ in memory) + " MiB",
                    f"VmHWM {memory[-1][1]:.0f} MiB",
                )
            )
        report.extend(ingest(base, server, args.ingest_rows, args.runs))
    finally:
        server.stop()
    width = max(len(name) for name, _, _ in report)
    for name, value, note in report:
        print(f"{name:<{width}}  {value:<36}  {note}")


def ingest(base: Path, server: RowportServer, rows: int, runs: int) -> list[tuple[str, str, str]]:
    """``import_file`` of ``rows`` rows, embedded and remote, ``runs`` times each."""
    path = base / "ingest.ndjson"
    write_rows(path, rows)
    local_s, remote_s = [], []
    for n in range(runs):
        with rowport.Client(base / f"ingest-{n}") as client:
            started = time.perf_counter()
            client.import_file(path)
            local_s.append(time.perf_counter() - started)
        token = server.create_key("ingest", organization=f"ingest-{n}")
        with rowport.Client(server.url, api_key=token) as remote:
            started = time.perf_counter()
            remote.import_file(path)
            remote_s.append(time.perf_counter() - started)
    ratios = [local / far for local, far in zip(local_s, remote_s, strict=True)]
    return [
        (
            "ingest, embedded import_file",
            spread([rows / s for s in local_s], "rows/s", digits=0),
            "",
        ),
        (
            "ingest, remote import_file",
            spread([rows / s for s in remote_s], "rows/s", digits=0),
            "",
        ),
        ("remote / embedded ingest", spread(ratios, ""), ""),
    ]


if __name__ == "__main__":
    main()
