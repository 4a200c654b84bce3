"""Benchmark of the reference SDK reading an export from ``rowport serve``, beside rowport's
remote client reading the same task.

    python benchmarks/sdk.py [--rows 200000] [--runs 3] [--dir /tmp/x]

The catalog is ``benchmarks/export.py``'s (built fast with bulk SQL: N image rows in one
project, about 2.9 KB of JSON per row with every project param on). A real ``rowport serve``
(``rowport.testing.start_server``) serves it on 127.0.0.1; one export of the project with every
project param is made through rowport's remote client. Then, ``--runs`` times each, alternating
(min / median / max):

- the SDK: ``benchmarks/sdk_reader.py`` in a virtual environment holding ``labelbox==7.17.0``
  (``rowport.testing.sdk_python``: the one the SDK tests cache), as a subprocess:
  ``lb.Client``, ``ExportTask.get_task``, every output of ``get_buffered_stream()``;
- rowport: ``rowport.Client(url, api_key=...)``, ``get_task``, every output of
  ``get_buffered_stream()`` (each line parsed too), in this process;
- the HTTP floor: the SDK's own chunk loop (``GetExportFileFromOffsetPyApi``, then a GET of
  the chunk's URL, until the stream's end) with ``requests`` and nothing done with the bytes:
  what fetching costs from this server, whoever reads; the time of its chunk lookups (the
  POSTs) is what fewer, larger chunks could save.

Time to first row runs from making the client to the first output; rows/s is rows over the time
to the last. The SDK writes every chunk to a temporary file before it yields a row, so its first
row comes after the whole download (compare it with the floor); its rows/s includes that.

Figures only: nothing asserts (the machines this runs on are shared and noisy). Exits 2 when
the SDK's environment cannot be built.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests
from export import PROJECT_ID, build

import rowport
from rowport.errors import RowportError
from rowport.testing import ALL_SECTIONS, SDK_VERSION, RowportServer, sdk_python, start_server

READER = Path(__file__).with_name("sdk_reader.py")
FILE_QUERY = (
    "query GetExportFileFromOffsetPyApi($where: WhereUniqueIdInput, $streamType: TaskStreamType!,"
    " $offset: UInt64!){task(where: $where){exportFileFromOffset(streamType: $streamType,"
    " offset: $offset){offsets {start end} lines {start end} file}}}"
)


def spread(values: Sequence[float], unit: str, scale: float = 1.0, digits: int = 2) -> str:
    """``min / median / max`` of ``values`` (times ``scale``) with ``unit``."""
    low, mid, high = min(values), statistics.median(values), max(values)
    return " / ".join(f"{v * scale:,.{digits}f}" for v in (low, mid, high)) + f" {unit}"


def sdk_read(python: Path, token: str, endpoint: str, task_id: str) -> dict[str, Any]:
    """One run of ``sdk_reader.py`` in the SDK's environment: its JSON line."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LABELBOX_API_KEY")}
    env["NO_PROXY"] = "127.0.0.1"
    done = subprocess.run(
        [python, READER, token, endpoint, task_id],
        capture_output=True,
        text=True,
        timeout=3600,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the SDK reader failed: {done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def rowport_read(url: str, token: str, task_id: str) -> dict[str, Any]:
    """The same read with rowport's remote client."""
    started = time.perf_counter()
    first = None
    rows = 0
    with rowport.Client(url, api_key=token) as client:
        for output in client.get_task(task_id).get_buffered_stream():
            if first is None:
                first = time.perf_counter()
            rows += output.json is not None
    done = time.perf_counter()
    return {"first_row_s": (first or done) - started, "total_s": done - started, "rows": rows}


def http_floor(
    endpoint: str, token: str, task_id: str, total_size: int
) -> tuple[float, float, int]:
    """Seconds to fetch the stream as the SDK's chunk loop does, the seconds of that spent in
    its ``exportFileFromOffset`` calls (what fewer, larger chunks could save), the chunks."""
    session = requests.Session()
    where = {"where": {"id": task_id}, "streamType": "RESULT"}
    started = time.perf_counter()
    cursor = chunks = 0
    asking = 0.0
    while cursor < total_size:
        asked = time.perf_counter()
        answer = session.post(
            endpoint,
            json={"query": FILE_QUERY, "variables": {**where, "offset": str(cursor)}},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        info = answer.json()["data"]["task"]["exportFileFromOffset"]
        asking += time.perf_counter() - asked
        body = requests.get(info["file"], timeout=60).content
        end = int(info["offsets"]["end"])
        if len(body) != end - cursor + 1:
            raise SystemExit(f"chunk at {cursor}: {len(body)} bytes, expected {end - cursor + 1}")
        cursor, chunks = end + 1, chunks + 1
    return time.perf_counter() - started, asking, chunks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory (default: tmp)")
    args = parser.parse_args()
    try:
        python = sdk_python(SDK_VERSION)
    except RowportError as exc:
        print(f"needs labelbox=={SDK_VERSION}: {exc}", file=sys.stderr)
        return 2
    base = Path(tempfile.mkdtemp(prefix="rowport-bench-sdk-", dir=args.dir))
    try:
        home = base / "home"
        built = build(home, args.rows, min(args.rows, 1000))
        print(f"{args.rows:,} rows built in {built:.1f} s")
        server = start_server(home, "--quiet")
        try:
            run(server, python, args.rows, max(3, args.runs))
        finally:
            server.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


def run(server: RowportServer, python: Path, rows: int, runs: int) -> None:
    """Export once, read it ``runs`` times each way, print the table."""
    token = server.create_key("benchmark")
    endpoint = server.url + "/graphql"
    with rowport.Client(server.url, api_key=token) as remote:
        started = time.perf_counter()
        task = remote.get_project(PROJECT_ID).export(params=ALL_SECTIONS)
        task.wait_till_done()
        exported = time.perf_counter() - started
        size = task.get_total_file_size(rowport.StreamType.RESULT) or 0
        if task.rows_done != rows:
            raise SystemExit(f"the export wrote {task.rows_done} rows, not {rows}")
    print(
        f"export: {rows:,} rows, {size / 2**20:,.0f} MiB in {exported:.1f} s;"
        f" {runs} runs each, alternating\n"
    )
    sdk: list[dict[str, Any]] = []
    native: list[dict[str, Any]] = []
    floor: list[float] = []
    asks: list[float] = []
    chunks = 0
    for _ in range(runs):
        sdk.append(sdk_read(python, token, endpoint, task.uid))
        native.append(rowport_read(server.url, token, task.uid))
        seconds, asking, chunks = http_floor(endpoint, token, task.uid, size)
        floor.append(seconds)
        asks.append(asking)
    for name, got in (("SDK", sdk), ("rowport", native)):
        if any(r["rows"] != rows for r in got):
            raise SystemExit(f"{name} read {[r['rows'] for r in got]} rows, not {rows}")
    report = [
        ("SDK time to first row", spread([r["first_row_s"] for r in sdk], "s"), "after all chunks"),
        ("rowport time to first row", spread([r["first_row_s"] for r in native], "ms", 1e3), ""),
        ("SDK rows/s", spread([rows / r["total_s"] for r in sdk], "rows/s", digits=0), ""),
        ("rowport rows/s", spread([rows / r["total_s"] for r in native], "rows/s", digits=0), ""),
        (
            "SDK / rowport rows/s",
            spread([n["total_s"] / s["total_s"] for s, n in zip(sdk, native, strict=True)], ""),
            "per run",
        ),
        (
            "HTTP floor (SDK chunk loop)",
            spread([size / 2**20 / s for s in floor], "MiB/s"),
            f"{chunks} chunks; {spread(floor, 's')}",
        ),
        ("  of which chunk lookups", spread(asks, "s"), "GetExportFileFromOffsetPyApi POSTs"),
        ("SDK import", spread([r["import_s"] for r in sdk], "s"), "not in the figures above"),
    ]
    width = max(len(name) for name, _, _ in report)
    for name, value, note in report:
        print(f"{name:<{width}}  {value:<34}  {note}")


if __name__ == "__main__":
    sys.exit(main())
