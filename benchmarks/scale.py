"""Benchmark of scaling an export out: throughput with 1, 2 and 4 shard workers.

    python benchmarks/scale.py [--rows 200000] [--runs 3] [--workers 1,2,4] [--dask]
                               [--dir /tmp/x] [--keep]

(``--dir D --keep`` keeps the catalog, and a later run with the same two reuses it.)

The catalog is the one ``benchmarks/export.py`` builds (image rows queued in one project, each
with a label, a review, an attachment, metadata, an embedding and a history entry), exported
with every project param and the core plugins (no validation: the export's own cost). Each run
times, from the call to COMPLETE:

- ``local``: the export in this process (the default executor), for reference;
- ``process:N`` for each N of ``--workers``: the export as shards on N worker processes
  (the pool started before the clock; each worker opens the catalog in its first shard);
- with ``--dask``, ``dask:N``: the same on a ``LocalCluster`` of N worker processes.

Every sharded export's RESULT and ERRORS must equal the local one's, byte for byte (each
export's folder is removed once compared). Prints the min, median and max seconds of each, its
median rows/s and its ratio to one worker of the same executor (the floor, measured in the same
run; goal: >= 1.6 with two workers on a 2-core machine). Then the backend comparisons
(PostgreSQL vs SQLite, S3 vs local streams) when their benchmarks are present. Figures only:
nothing asserts on timing, since the machines this runs on are shared and noisy: the load
average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import export as export_bench
from resume import digest

import rowport
from rowport.tasks._executors import DaskExecutor, ProcessExecutor, ShardExecutor
from rowport.testing import ALL_SECTIONS

TARGET_TWO = 1.6  # throughput with two workers over one
#: the others' backend comparisons, each a module of benchmarks/ with ``compare(rows, work)``
#: returning the lines to print (PostgreSQL vs SQLite ingest and export; S3 vs local reads)
BACKEND_BENCHMARKS = {
    "catalog_backends": "PostgreSQL vs SQLite: ingest and export",
    "storage": "S3 (SeaweedFS) vs local disk: stream reads",
}


def timed_export(home: Path, executor: ShardExecutor | None) -> tuple[float, str]:
    """Seconds of one export of the project on ``executor`` (None: local), and its digest."""
    with rowport.Client(
        home, plugins=export_bench.core_plugins(), executor=executor or "local"
    ) as client:
        started = time.perf_counter()
        task = client.get_project(export_bench.PROJECT_ID).export(params=ALL_SECTIONS)
        task.wait_till_done(timeout_seconds=3600, check_frequency=0.05)
        seconds = time.perf_counter() - started
        assert task.status == "COMPLETE", task.errors_message
        found = digest(home, task.uid)
        shutil.rmtree(home / "tasks" / task.uid, ignore_errors=True)  # 2.7 KB a row
        return seconds, found


@contextmanager
def process_pool(workers: int) -> Iterator[ShardExecutor]:
    executor = ProcessExecutor(workers)
    executor.info()  # the workers are up before the clock starts
    try:
        yield executor
    finally:
        executor.close()


@contextmanager
def dask_cluster(workers: int) -> Iterator[ShardExecutor]:
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        processes=True,
    )
    executor = DaskExecutor(cluster.scheduler_address)
    try:
        yield executor
    finally:
        executor.close()
        cluster.close()


def backend_comparisons(rows: int, work: Path) -> list[str]:
    """The lines of the others' backend benchmarks, or where they plug in."""
    lines = []
    for module_name, what in BACKEND_BENCHMARKS.items():
        lines.append(f"-- {what} --")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            lines.append(f"   not measured here: benchmarks/{module_name}.py plugs in (compare())")
            continue
        compare: Callable[[int, Path], list[str]] = module.compare
        lines.extend(f"   {line}" for line in compare(rows, work / module_name))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows in the catalog")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (>= 3)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--dask", action="store_true", help="measure a Dask LocalCluster too")
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: temp)")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the work directory (and use the catalog a --keep run left in --dir)",
    )
    args = parser.parse_args()
    counts = sorted({int(n) for n in args.workers.split(",")})
    if counts[0] != 1:
        counts.insert(0, 1)  # the floor
    work = args.dir or Path(tempfile.mkdtemp(prefix="rowport-scale-bench-"))
    home = work / "home"
    try:
        if args.keep and (home / "catalog.db").exists():
            print(f"catalog: {home} kept from an earlier --keep run; {os.cpu_count()} cores")
        else:
            built = export_bench.build(home, args.rows, args.rows)
            print(f"catalog: {args.rows:,} rows built in {built:.1f} s; {os.cpu_count()} cores")
        pools: dict[str, Callable[[int], AbstractContextManager[ShardExecutor]]] = {
            "process": process_pool
        }
        if args.dask:
            pools["dask"] = dask_cluster
        load = os.getloadavg()
        print(f"load average before the runs: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        seconds: dict[str, list[float]] = {}
        reference = None
        for _ in range(max(3, args.runs)):
            took, reference = timed_export(home, None)
            seconds.setdefault("local", []).append(took)
            for kind, pool in pools.items():
                for n in counts:
                    with pool(n) as executor:
                        took, found = timed_export(home, executor)
                    if found != reference:
                        raise SystemExit(f"the {kind}:{n} export differs from the local one")
                    seconds.setdefault(f"{kind}:{n}", []).append(took)
        load = os.getloadavg()
        print(f"load average after the runs: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print(
            f"{'executor':10} {'min s':>7} {'median s':>9} {'max s':>7} {'rows/s':>9}"
            f" {'x 1 worker':>11}"
        )
        for name, values in seconds.items():
            median = statistics.median(values)
            kind = name.partition(":")[0]
            floor = statistics.median(seconds.get(f"{kind}:1", values))
            ratio = f"{floor / median:>10.2f}x" if name != "local" else f"{'':>11}"
            print(
                f"{name:10} {min(values):>7.2f} {median:>9.2f} {max(values):>7.2f}"
                f" {args.rows / median:>9,.0f} {ratio}"
            )
        for kind in pools:
            two = statistics.median(seconds[f"{kind}:1"]) / statistics.median(
                seconds.get(f"{kind}:2", seconds[f"{kind}:1"])
            )
            verdict = "ok" if two >= TARGET_TWO else "UNDER GOAL"
            print(f"{kind}: two workers give {two:.2f}x one (goal >= {TARGET_TWO}x): {verdict}")
        print("backend comparisons:")
        for line in backend_comparisons(args.rows, work):
            print(line)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
