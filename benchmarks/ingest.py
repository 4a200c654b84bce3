"""Benchmark of ingest: load an NDJSON file in the export format into a fresh home.

    python benchmarks/ingest.py [--rows 100000] [--check-flat] [--dir /tmp/x] [--no-trace]

Rows look like the reference sample ``labelbox-samples/image.json``: an image data row with one
label holding a bounding box and radio, nested radio, checklist and free-text classifications;
every id is new (``rowport._ids.new_id``). The file is written first, then each import runs in
a fresh process so its peak memory is its own: ``ru_maxrss`` from a plain run (which also gives
the rate) and the ``tracemalloc`` peak from a second run on another fresh home. ``--check-flat``
imports 10,000 and 100,000 rows and prints how much the peaks grow between them: ingest reads
the file line by line and commits in batches, so memory should stay flat. Figures only: nothing
asserts, since the machines this runs on are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from rowport._ids import new_id

PROJECT_ID = "cbenchproject000000000001"
FEATURES = {
    name: f"cbenchfeature{i:012d}"
    for i, name in enumerate(
        (
            "radio_question",
            "first_radio_answer",
            "second_radio_answer",
            "nested_radio_question",
            "sub_radio_question",
            "first_sub_radio_answer",
            "checklist_question",
            "first_checklist_answer",
            "second_checklist_answer",
            "free_text",
            "bounding_box",
        )
    )
}


def _feature(name: str, **rest: Any) -> dict[str, Any]:
    return {
        "feature_id": new_id(),
        "feature_schema_id": FEATURES[name],
        "name": name,
        "value": name,
        **rest,
    }


def make_row(i: int) -> dict[str, Any]:
    """One image row with a label, shaped like the reference sample, with fresh ids."""
    left, top = 40 + i % 1500, 30 + i % 900
    return {
        "data_row": {
            "id": new_id(),
            "global_key": f"bench-{i:08d}",
            "row_data": f"https://storage.example/bench/{i:08d}.jpeg",
        },
        "media_attributes": {
            "height": 1707,
            "width": 2560,
            "asset_type": "image",
            "mime_type": "image/jpeg",
            "exif_rotation": "1",
        },
        "projects": {
            PROJECT_ID: {
                "name": "Ingest benchmark",
                "labels": [
                    {
                        "label_kind": "Default",
                        "version": "1.0.0",
                        "id": new_id(),
                        "annotations": {
                            "objects": [
                                _feature(
                                    "bounding_box",
                                    annotation_kind="ImageBoundingBox",
                                    classifications=[],
                                    bounding_box={
                                        "top": float(top),
                                        "left": float(left),
                                        "height": 330.0,
                                        "width": 225.0,
                                    },
                                )
                            ],
                            "classifications": [
                                _feature(
                                    "radio_question",
                                    radio_answer=_feature(
                                        "second_radio_answer" if i % 2 else "first_radio_answer",
                                        classifications=[],
                                    ),
                                ),
                                _feature(
                                    "nested_radio_question",
                                    radio_answer=_feature(
                                        "first_radio_answer",
                                        classifications=[
                                            _feature(
                                                "sub_radio_question",
                                                radio_answer=_feature(
                                                    "first_sub_radio_answer", classifications=[]
                                                ),
                                            )
                                        ],
                                    ),
                                ),
                                _feature(
                                    "checklist_question",
                                    checklist_answers=[
                                        _feature("first_checklist_answer", classifications=[]),
                                        _feature("second_checklist_answer", classifications=[]),
                                    ],
                                ),
                                _feature("free_text", text_answer={"content": f"row {i}"}),
                            ],
                            "relationships": [],
                        },
                    }
                ],
                "project_tags": [],
            }
        },
    }


def write_rows(path: Path, rows: int) -> tuple[int, float]:
    """Write ``rows`` rows as NDJSON; return the file size and the seconds it took."""
    start = time.perf_counter()
    with path.open("wb", buffering=1 << 20) as f:
        for i in range(rows):
            f.write(orjson.dumps(make_row(i)))
            f.write(b"\n")
    return path.stat().st_size, time.perf_counter() - start


# -- the measured import, in a child process ---------------------------------------------------


def child(path: Path, home: Path, trace: bool) -> None:
    """Import ``path`` into a fresh ``home``; print one JSON object with what was measured."""
    import tracemalloc

    import rowport

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    client = rowport.Client(home)
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    report = client.import_file(path)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    client.close()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "loaded": report.loaded,
                "failed": report.failed,
                "rss_before_kb": before,
                "rss_kb": after,
                "trace_peak": peak,
            }
        )
    )


def run_child(path: Path, home: Path, *, trace: bool) -> dict[str, Any]:
    """Run :func:`child` in a fresh interpreter (so ru_maxrss is this import's own)."""
    shutil.rmtree(home, ignore_errors=True)
    cmd = [sys.executable, __file__, "--child", str(path), "--home", str(home)]
    if trace:
        cmd.append("--trace")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    shutil.rmtree(home, ignore_errors=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# -- the parent: files, runs, table --------------------------------------------------------------


def measure(base: Path, rows: int, *, trace: bool) -> dict[str, Any]:
    """Write a file of ``rows`` rows and import it (and again under tracemalloc)."""
    path = base / f"rows-{rows}.ndjson"
    size, gen_seconds = write_rows(path, rows)
    plain = run_child(path, base / "home", trace=False)
    if plain["loaded"] != rows or plain["failed"]:
        raise SystemExit(
            f"import of {rows} rows loaded {plain['loaded']}, {plain['failed']} failed"
        )
    traced = run_child(path, base / "home", trace=True) if trace else None
    path.unlink()
    return {
        "rows": rows,
        "file_mb": size / 2**20,
        "gen_seconds": gen_seconds,
        "seconds": plain["seconds"],
        "rate": rows / plain["seconds"],
        "rss_mb": plain["rss_kb"] / 1024,
        "rss_growth_mb": (plain["rss_kb"] - plain["rss_before_kb"]) / 1024,
        "trace_peak_mb": traced["trace_peak"] / 2**20 if traced else None,
    }


def print_table(results: list[dict[str, Any]]) -> None:
    """The figures, one line per size, then the 100k/10k ratios when both ran."""
    head = (
        f"{'rows':>9}  {'file MB':>8}  {'import s':>8}  {'rows/s':>8}  "
        f"{'maxrss MiB':>10}  {'growth MiB':>10}  {'tracemalloc peak MiB':>20}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        peak = f"{r['trace_peak_mb']:.1f}" if r["trace_peak_mb"] is not None else "-"
        print(
            f"{r['rows']:>9,}  {r['file_mb']:>8.1f}  {r['seconds']:>8.2f}  {r['rate']:>8,.0f}  "
            f"{r['rss_mb']:>10.1f}  {r['rss_growth_mb']:>10.1f}  {peak:>20}"
        )
    if len(results) == 2:
        small, large = results
        print(
            f"\n{large['rows']:,} rows vs {small['rows']:,} ({large['rows'] / small['rows']:.0f}x"
            " the rows):"
        )
        print(f"  ru_maxrss         x{large['rss_mb'] / small['rss_mb']:.2f}")
        if small["trace_peak_mb"] and large["trace_peak_mb"]:
            ratio = large["trace_peak_mb"] / small["trace_peak_mb"]
            print(f"  tracemalloc peak  x{ratio:.2f}")
        print(f"  rows/s            x{large['rate'] / small['rate']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows to import")
    parser.add_argument(
        "--check-flat", action="store_true", help="import 10,000 then 100,000 rows and compare"
    )
    parser.add_argument("--dir", type=Path, help="work directory (default: a temporary one)")
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc run")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.home, args.trace)
        return
    sizes = [10_000, 100_000] if args.check_flat else [args.rows]
    base = Path(args.dir or tempfile.mkdtemp(prefix="rowport-ingest-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        print(f"ingest benchmark: rows like labelbox-samples/image.json, work dir {base}\n")
        results = []
        for rows in sizes:
            result = measure(base, rows, trace=not args.no_trace)
            print(
                f"  {rows:,} rows: file written in {result['gen_seconds']:.1f} s,"
                f" imported in {result['seconds']:.1f} s",
                flush=True,
            )
            results.append(result)
        print()
        print_table(results)
    finally:
        if args.dir is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
