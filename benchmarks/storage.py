"""Benchmark of streams on object storage against local disk, in one run: whole-stream read
throughput, seek cost to a line and to an offset, time to first byte, and write throughput,
each as S3 / local. The S3 server is a throwaway SeaweedFS (``weed mini``) on 127.0.0.1.

    python benchmarks/storage.py [--lines 200000] [--row-bytes 600]

``measure(lines, row_bytes)`` returns the figures as a dict (``benchmarks/scale.py`` may
import it). Figures only: nothing asserts on timing (shared, noisy machines).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from rowport.streams import StreamPlace, StreamReader
from rowport.testing_s3 import start_seaweed

sys.path.insert(0, str(Path(__file__).parent))
from streams import make_pool, timed, write_stream


def read_all(place: StreamPlace) -> int:
    """Read every line (a fresh reader: parts are fetched, checked once, split)."""
    return sum(1 for _ in StreamReader(place).iter_lines())


def first_byte(place: StreamPlace) -> bytes:
    """The first byte, from a fresh reader (manifest, part check, one ranged read)."""
    return StreamReader(place).read_range(0, 0)


def figures(place: StreamPlace, pool: list[bytes], lines: int) -> dict[str, float]:
    """Write, then read ``lines`` rows at ``place``: seconds of each measurement."""
    result = {"write": write_stream(place, pool, lines)}
    reader = StreamReader(place)
    last, near_end = lines - 1, reader.total_size - 10
    result["parts"] = len(reader.manifest.parts)
    result["size_mb"] = reader.total_size / 2**20
    result["read"] = timed(lambda: read_all(place), repeat=3)
    result["seek_line"] = timed(lambda: next(reader.iter_lines(last)))
    result["seek_offset"] = timed(lambda: next(reader.iter_from_offset(near_end)))
    result["offset_of_line"] = timed(lambda: reader.offset_of_line(last // 2))
    result["first_byte"] = timed(lambda: first_byte(place))
    return result


def measure(lines: int = 200_000, row_bytes: int = 600) -> dict[str, dict[str, float]]:
    """Local and S3 figures of the same rows, measured in one run: ``{"local", "s3"}``."""
    pool = make_pool(row_bytes)
    base = Path(tempfile.mkdtemp(prefix="rowport-storage-"))
    server = start_seaweed(base / "seaweed")
    try:
        local = figures(base / "local", pool, lines)
        with server.environment():
            s3 = figures(f"s3://exports/bench-{uuid.uuid4().hex[:8]}", pool, lines)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    return {"local": local, "s3": s3}


def report(lines: int, found: dict[str, dict[str, float]]) -> list[str]:
    """The lines that show ``found`` (from :func:`measure` of ``lines`` lines)."""
    local, s3 = found["local"], found["s3"]
    out = [
        f"{lines:,} lines, {local['size_mb']:.0f} MB: {local['parts']:.0f} local parts,"
        f" {s3['parts']:.0f} S3 parts (at most 8 MiB each)",
        "",
        f"{'':36}{'local':>12}{'S3':>12}  S3 / local",
    ]
    rows: list[tuple[str, str, Callable[[float], str]]] = [
        ("write (maybe_commit/batch)", "write", _seconds),
        ("whole-stream read (iter_lines)", "read", _seconds),
        ("seek to the last line (first item)", "seek_line", _ms),
        ("iter_from_offset(total - 10)", "seek_offset", _ms),
        ("offset_of_line(middle)", "offset_of_line", _ms),
        ("time to first byte (new reader)", "first_byte", _ms),
    ]
    for name, key, show in rows:
        ratio = s3[key] / local[key]
        out.append(f"{name:36}{show(local[key]):>12}{show(s3[key]):>12}  {ratio:,.1f}x")
    mb = local["size_mb"]
    out += [
        "",
        f"read throughput: local {mb / local['read']:,.0f} MB/s, S3 {mb / s3['read']:,.0f} MB/s"
        f" ({s3['read'] / local['read']:.1f}x the time)",
    ]
    return out


def compare(rows: int, work: Path) -> list[str]:
    """What ``benchmarks/scale.py`` prints: local and S3 streams of ``rows`` lines (``work``
    is not needed: the figures are taken in a folder of their own)."""
    return report(rows, measure(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--row-bytes", type=int, default=600)
    args = parser.parse_args()
    print("\n".join(report(args.lines, measure(args.lines, args.row_bytes))))


def _seconds(value: float) -> str:
    return f"{value:.2f} s"


def _ms(value: float) -> str:
    return f"{value * 1e3:.2f} ms"


if __name__ == "__main__":
    main()
