"""Benchmark of resuming an export: the cost of finishing from 90 % against a full export.

    python benchmarks/resume.py [--rows 50000] [--runs 3] [--at 0.9] [--dir /tmp/x] [--keep]

The catalog is the one ``benchmarks/export.py`` builds (image rows queued in one project, each
with a label, a review, an attachment, metadata, an embedding and a history entry). Each run:

- the floor: a full export of the project (every project param), timed from the call to
  COMPLETE;
- the 90 % state: the same export with a step that raises once ``--at`` of the rows are done,
  so the task ends FAILED with 90 % of its rows committed (not timed);
- the resume: ``task.resume()`` of that task, timed from the call to COMPLETE: it makes the
  plan again, checks the catalog did not change (one aggregate over the plan), checks the kept
  parts, drops what follows the checkpoint and exports the rest. Its RESULT and ERRORS must
  equal the full export's, byte for byte. It is measured twice, each from its own 90 % state:
  ``resume`` in the process that wrote the parts (after a failure or a cancel: the kept parts
  are known unchanged, only their sizes and index lengths are read), and ``resume-new`` as a
  new process resumes after a crash (this process's record of the parts it wrote is cleared
  first, so the kept 90 % of the stream is read and hashed).

Prints min / median / max of each and of each resume / full (target: under 0.15). Figures
only: nothing asserts on timing, since the machines this runs on are shared and noisy.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import export as export_bench

import rowport
from rowport.streams import StreamReader
from rowport.streams import _verify as verify_module
from rowport.testing import ALL_SECTIONS

TARGET_RATIO = 0.15


class StopAt:
    """A pipeline step that raises once, when ``rows`` rows have gone through it."""

    needs_json = False

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.seen = 0
        self.armed = True

    def __call__(self, rows: list[Any], context: Any) -> tuple[list[Any], list[Any]]:
        self.seen += len(rows)
        if self.armed and self.seen > self.rows:
            self.armed = False
            raise RuntimeError("interrupted by the benchmark")
        return rows, []


def digest(home: Path, task_id: str) -> str:
    """sha256 of the task's RESULT and ERRORS lines."""
    sha = hashlib.sha256()
    for stream in ("result", "errors"):
        for line in StreamReader(home / "tasks" / task_id / stream).iter_lines(0):
            sha.update(line.data + b"\n")
        sha.update(b"--")
    return sha.hexdigest()


def timed_resume(
    client: rowport.Client, home: Path, rows: int, at: float, full_id: str, *, new_process: bool
) -> tuple[float, int]:
    """Seconds to resume an export stopped at ``at``, and the row it resumed from; with
    ``new_process``, this process's record of the parts it wrote is cleared first."""
    client._tasks.steps = [StopAt(int(rows * at))]
    task = client.get_project(export_bench.PROJECT_ID).export(params=ALL_SECTIONS)
    task.wait_till_done(timeout_seconds=3600, check_frequency=0.05)
    assert task.status == "FAILED", task.status
    if new_process:
        verify_module._VERIFIED.clear()  # as after a crash: nothing known about the parts
    started = time.perf_counter()
    task.resume()
    task.wait_till_done(timeout_seconds=3600, check_frequency=0.05)
    seconds = time.perf_counter() - started
    assert task.status == "COMPLETE", task.errors_message
    if digest(home, task.uid) != digest(home, full_id):
        raise SystemExit("the resumed export differs from the full one")
    return seconds, task.attempts[-1].resumed_from_row


def one_run(home: Path, rows: int, at: float) -> dict[str, float]:
    """Seconds of a full export and of both resumes from ``at``, and their ratios."""
    with rowport.Client(home, plugins=export_bench.core_plugins()) as client:
        started = time.perf_counter()
        full = client.get_project(export_bench.PROJECT_ID).export(params=ALL_SECTIONS)
        full.wait_till_done(timeout_seconds=3600, check_frequency=0.05)
        full_seconds = time.perf_counter() - started
        assert full.status == "COMPLETE", full.errors_message
        same, done = timed_resume(client, home, rows, at, full.uid, new_process=False)
        fresh, _ = timed_resume(client, home, rows, at, full.uid, new_process=True)
    return {
        "full": full_seconds,
        "resume": same,
        "resume-new": fresh,
        "ratio": same / full_seconds,
        "ratio-new": fresh / full_seconds,
        "from": done / rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000, help="rows in the catalog")
    parser.add_argument("--runs", type=int, default=3, help="runs (at least 3)")
    parser.add_argument("--at", type=float, default=0.9, help="share done before the break")
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="rowport-resume-bench-"))
    home = work / "home"
    try:
        built = export_bench.build(home, args.rows, args.rows)
        print(f"catalog: {args.rows:,} rows built in {built:.1f} s")
        runs = [one_run(home, args.rows, args.at) for _ in range(max(3, args.runs))]
        print(f"{'':10} {'min':>9} {'median':>9} {'max':>9}")
        keys = (
            ("full", "s"),
            ("resume", "s"),
            ("resume-new", "s"),
            ("ratio", ""),
            ("ratio-new", ""),
        )
        for key, unit in keys:
            values = [run[key] for run in runs]
            cells = [min(values), statistics.median(values), max(values)]
            print(f"{key:10} " + " ".join(f"{value:>8.3f}{unit or ' '}" for value in cells))
        resumed_from = statistics.median(run["from"] for run in runs)
        for key, what in (("ratio", "in its process"), ("ratio-new", "in a new process")):
            ratio = statistics.median(run[key] for run in runs)
            verdict = "ok" if ratio < TARGET_RATIO else "OVER TARGET"
            print(
                f"resume from {resumed_from:.0%} {what} costs {ratio:.1%} of a full export"
                f" (median of {len(runs)}; target < {TARGET_RATIO:.0%}): {verdict}"
            )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
