"""PostgreSQL vs SQLite catalog: ingest and export of the same rows, as ratios, in one run.

    python benchmarks/catalog_backends.py [--rows 200000] [--dir /tmp/x]

The rows are ``benchmarks/export.py``'s (an image row with metadata, attachments, an
embedding, a queued project entry with workflow history, a label with a review). Each backend
gets a fresh catalog: SQLite in a home folder, PostgreSQL 15 in a database of a throwaway
cluster on 127.0.0.1 (``rowport.catalog.pg_cluster``: initdb + pg_ctl, fsync off as for any
throwaway). For each: ``Client.import_rows`` of every row (batches of 10,000: on PostgreSQL
each batch's plain inserts are ``COPY``), then the project exported with every param. The two
RESULT streams must be byte-identical. Printed: seconds and rows/s of each, and PostgreSQL's
time over SQLite's. Figures only: nothing asserts a speed (the machines are shared).
:func:`measure` is what ``benchmarks/scale.py`` calls.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from export import PROJECT_ID, core_plugins, make_row

import rowport
from rowport.catalog import DATABASE_URL_ENV
from rowport.catalog.pg_cluster import PostgresCluster
from rowport.testing import ALL_SECTIONS


def _one(home: Path, rows: int, url: str | None) -> dict[str, Any]:
    """Import ``rows`` rows into a new catalog (PostgreSQL at ``url``, else SQLite in
    ``home``) and export the project: seconds of each and the export's digest."""
    if url is None:
        os.environ.pop(DATABASE_URL_ENV, None)
    else:
        os.environ[DATABASE_URL_ENV] = url
    try:
        with rowport.Client(home, plugins=core_plugins()) as client:
            started = time.perf_counter()
            report = client.catalog.importer.import_rows(
                (make_row(n, 0) for n in range(rows)), batch_size=10_000
            )
            ingest = time.perf_counter() - started
            if report.failed:
                raise SystemExit(f"import failed: {report.errors[:3]}")
            started = time.perf_counter()
            task = client.get_project(PROJECT_ID).export(params=ALL_SECTIONS)
            task.wait_till_done(timeout_seconds=7200, check_frequency=0.05)
            export = time.perf_counter() - started
            if task.status != "COMPLETE":
                raise SystemExit(f"export {task.status}: {task.errors_message}")
            task.get_stream(rowport.FileConverter(home / "result.ndjson")).start()
            digest = hashlib.sha256((home / "result.ndjson").read_bytes()).hexdigest()
            return {"ingest": ingest, "export": export, "digest": digest}
    finally:
        os.environ.pop(DATABASE_URL_ENV, None)


def _show(name: str, rows: int, fig: dict[str, Any]) -> None:
    print(
        f"{name:9} ingest {fig['ingest']:7.1f} s ({rows / fig['ingest']:8,.0f} rows/s)"
        f"   export {fig['export']:7.1f} s ({rows / fig['export']:8,.0f} rows/s)",
        flush=True,
    )


def measure(rows: int, base: Path, *, show: bool = False) -> dict[str, Any]:
    """Both backends on ``rows`` rows under ``base``: their figures and the ratios
    (PostgreSQL's seconds over SQLite's; below 1 is faster); ``show`` prints each backend's
    figures as soon as they are measured."""
    sqlite = _one(base / "sqlite", rows, None)
    if show:
        _show("sqlite", rows, sqlite)
    with PostgresCluster() as cluster:
        postgres = _one(base / "postgres", rows, cluster.database())
    if show:
        _show("postgres", rows, postgres)
    return {
        "rows": rows,
        "sqlite": sqlite,
        "postgres": postgres,
        "ingest_ratio": postgres["ingest"] / sqlite["ingest"],
        "export_ratio": postgres["export"] / sqlite["export"],
        "identical": sqlite["digest"] == postgres["digest"],
    }


def compare(rows: int, work: Path) -> list[str]:
    """What ``benchmarks/scale.py`` prints: both backends on ``rows`` rows under ``work``."""
    out = measure(rows, work)
    return [
        *(
            f"{name:9} ingest {out[name]['ingest']:7.1f} s   export {out[name]['export']:7.1f} s"
            for name in ("sqlite", "postgres")
        ),
        f"postgres / sqlite: ingest {out['ingest_ratio']:.2f}x the time,"
        f" export {out['export_ratio']:.2f}x the time; byte-identical: {out['identical']}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="rowport-backends-"))
    print(f"rows: {args.rows:,}", flush=True)
    out = measure(args.rows, base, show=True)
    print(
        f"postgres / sqlite: ingest {out['ingest_ratio']:.2f}x the time,"
        f" export {out['export_ratio']:.2f}x the time;"
        f" exports byte-identical: {out['identical']}"
    )
    if not out["identical"]:
        raise SystemExit("the exports differ")


if __name__ == "__main__":
    main()
