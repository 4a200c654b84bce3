"""Benchmark of the stream store: write throughput against a raw floor, full read, seek cost,
time to first row and reader memory.

    python benchmarks/streams.py [--lines 1000000] [--row-bytes 600] [--dir /tmp/x]

Rows are orjson-encoded once into a pool and reused, so encoding is not timed; both the writer
and the floor receive the same batches of 100 encoded rows. Figures only: nothing asserts on
timing, since the machines this runs on are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson

from rowport.streams import StreamPlace, StreamReader, StreamWriter

BATCH = 100
POOL = 1000


def make_pool(row_bytes: int) -> list[bytes]:
    """``POOL`` distinct encoded rows of about ``row_bytes`` bytes each."""
    rows = []
    for i in range(POOL):
        row = {
            "data_row": {"id": f"ck{i:023d}", "global_key": f"gk-{i}", "row_data": f"s3://b/{i}"},
            "media_attributes": {"mime_type": "image/png", "width": 640 + i, "height": 480},
            "projects": {"p1": {"labels": [], "text": ""}},
        }
        pad = max(0, row_bytes - len(orjson.dumps(row)))
        row["projects"]["p1"]["text"] = "é" * (pad // 2)  # type: ignore[index]
        rows.append(orjson.dumps(row))
    return rows


def batches(pool: list[bytes], lines: int) -> Iterator[list[bytes]]:
    """``lines`` rows from ``pool`` in batches of ``BATCH``."""
    for start in range(0, lines, BATCH):
        first = start % POOL
        count = min(BATCH, lines - start)
        batch = pool[first : first + count]
        if len(batch) < count:
            batch += pool[: count - len(batch)]
        yield batch


def write_floor(path: Path, pool: list[bytes], lines: int) -> float:
    """Seconds to write the same bytes through a plain 1 MiB buffered file, fsynced once."""
    started = time.perf_counter()
    with open(path, "wb", buffering=1 << 20) as f:
        for batch in batches(pool, lines):
            f.write(b"\n".join([*batch, b""]))
        f.flush()
        os.fsync(f.fileno())
    return time.perf_counter() - started


def write_stream(directory: StreamPlace, pool: list[bytes], lines: int) -> float:
    """Seconds to write the stream as the runner does: ``maybe_commit`` after every batch."""
    started = time.perf_counter()
    writer = StreamWriter(directory)
    for batch in batches(pool, lines):
        writer.write_lines(batch)
        writer.maybe_commit()
    writer.close()
    return time.perf_counter() - started


def timed(action: Callable[[], object], repeat: int = 7) -> float:
    """The median seconds of ``repeat`` runs of ``action``."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def full_read(directory: Path) -> int:
    """Read every line; return how many."""
    count = 0
    for _ in StreamReader(directory).iter_lines():
        count += 1
    return count


def child_memory(directory: Path) -> dict[str, float]:
    """In a fresh process: its own peak resident memory (``VmHWM``) after a full read, then the
    tracemalloc peak of another. (``ru_maxrss`` of a child inherits its parent's peak on
    Linux: a child of a 410 MB parent reported 410 MB while its ``VmHWM`` was 9 MB.)"""
    hwm = "int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"
    code = (
        "import json, sys, tracemalloc\n"
        "from pathlib import Path\n"
        "from rowport.streams import StreamReader\n"
        "def full_read(d):\n"
        "    for _ in StreamReader(d).iter_lines():\n"
        "        pass\n"
        "d = Path(sys.argv[1])\n"
        f"before = {hwm}\n"
        "full_read(d)\n"
        f"after = {hwm}\n"
        "tracemalloc.start()\n"
        "full_read(d)\n"
        "peak = tracemalloc.get_traced_memory()[1]\n"
        "print(json.dumps({'hwm_before_kb': before, 'hwm_kb': after, 'peak': peak}))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code, str(directory)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(output)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--row-bytes", type=int, default=600)
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory (default: tmp)")
    args = parser.parse_args()
    lines: int = args.lines
    base = Path(tempfile.mkdtemp(prefix="rowport-bench-", dir=args.dir))
    try:
        run(base, lines, args.row_bytes)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def run(base: Path, lines: int, row_bytes: int) -> None:
    """Run every measurement in ``base`` and print the table."""
    pool = make_pool(row_bytes)
    average = sum(len(row) + 1 for row in pool) / len(pool)
    print(f"{lines:,} lines of ~{average:,.0f} bytes, batches of {BATCH}")
    report: list[tuple[str, str, str]] = []

    floor_path = base / "floor.ndjson"
    floor = write_floor(floor_path, pool, lines)
    floor_path.unlink()
    big = base / "big"
    write = write_stream(big, pool, lines)
    reader = StreamReader(big)
    size_mb = reader.total_size / 2**20
    report.append(("write floor (buffered file)", f"{floor:.2f} s", f"{lines / floor:,.0f} rows/s"))
    report.append(
        (
            "write stream (maybe_commit/batch)",
            f"{write:.2f} s",
            f"{lines / write:,.0f} rows/s, {size_mb / write:,.0f} MB/s, "
            f"{floor / write:.0%} of floor speed, {len(reader.manifest.parts)} parts",
        )
    )

    read = timed(lambda: full_read(big), repeat=3)
    report.append(("full read (iter_lines)", f"{read:.2f} s", f"{lines / read:,.0f} rows/s"))

    last = lines - 1
    seek_line = timed(lambda: next(StreamReader(big).iter_lines(last)))
    report.append(
        (
            f"seek to line {last:,} (first item)",
            f"{seek_line * 1e3:.2f} ms",
            _share(seek_line, read),
        )
    )
    near_end = reader.total_size - 10
    seek_offset = timed(lambda: next(StreamReader(big).iter_from_offset(near_end)))
    report.append(
        ("iter_from_offset(total - 10)", f"{seek_offset * 1e3:.2f} ms", _share(seek_offset, read))
    )
    first_row = timed(lambda: next(StreamReader(big).iter_lines(0)))
    report.append(("time to first row (line 0)", f"{first_row * 1e3:.2f} ms", "target < 50 ms"))

    small_lines = max(1, lines // 10)
    small = base / "small"
    write_stream(small, pool, small_lines)
    for count, directory in ((small_lines, small), (lines, big)):
        memory = child_memory(directory)
        report.append(
            (
                f"reader memory, {count:,} lines",
                f"{memory['peak'] / 2**20:.2f} MiB",
                f"tracemalloc peak; reader VmHWM {memory['hwm_kb'] / 1024:.1f} MiB "
                f"(after imports {memory['hwm_before_kb'] / 1024:.1f} MiB)",
            )
        )

    width = max(len(name) for name, _, _ in report)
    print()
    for name, figure, note in report:
        print(f"{name:<{width}}  {figure:>10}  {note}")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nbenchmark process ru_maxrss {maxrss:.1f} MiB (its own peak: includes the row pool)")


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.4%} of a full read (target < 1 %)"


if __name__ == "__main__":
    main()
