"""Benchmark of ingest against a raw floor: load an NDJSON file into a fresh home.

    python benchmarks/ingest.py [--rows 100000] [--check-flat] [--dir /tmp/x]

Rows look like the reference sample ``labelbox-samples/image.json``: an image data row with one
label holding a bounding box and radio, nested radio, checklist and free-text classifications;
every id is new (``rowport._ids.new_id``). The file is written first, then each measurement runs
in a fresh process, so its peak memory (``VmHWM`` from ``/proc/self/status``, read by the child
itself, unlike ``ru_maxrss`` which a child inherits from its parent) is its own:

- ``import``: ``Client.import_file`` (parse, structure and check, plan, bulk write);
- ``floor``: the same file parsed with orjson and inserted with ``executemany`` into the same
  tables (data rows, project queue, labels, one dataset, project and batch), one transaction
  per batch of the importer's size (1,000 rows), nothing checked.

``--check-flat`` runs 10,000 and 100,000 rows and prints how the peaks grow between them.
Figures only: nothing asserts, since the machines this runs on are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
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


# -- the measured runs, in a child process ----------------------------------------------------


def peak_kib() -> int:
    """This process's peak resident set (``VmHWM``), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def floor(client: Any, path: Path, batch: int | None = None) -> int:
    """Parse ``path`` with orjson and insert its rows with ``executemany``, nothing checked.

    One transaction per ``batch`` rows: by default the importer's own batch size.
    """
    from rowport._time import now_ts, parse_ts
    from rowport.catalog._ingest._importer import DEFAULT_BATCH_SIZE

    batch = batch or DEFAULT_BATCH_SIZE

    conn = client.catalog.db.conn
    org, ts = client.catalog.organization_id, now_ts()
    epoch = parse_ts(ts).timestamp()
    dataset, ontology, batch_id = new_id(), new_id(), new_id()
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO datasets (id, organization_id, name, created_at, updated_at)"
        " VALUES (?, ?, 'floor', ?, ?)",
        (dataset, org, ts, ts),
    )
    conn.execute(
        "INSERT INTO ontologies (id, organization_id, name, created_at) VALUES (?, ?, 'o', ?)",
        (ontology, org, ts),
    )
    conn.execute(
        "INSERT INTO projects (id, organization_id, name, media_type, ontology_id, created_at,"
        " updated_at) VALUES (?, ?, 'floor', 'image', ?, ?, ?)",
        (PROJECT_ID, org, ontology, ts, ts),
    )
    conn.execute(
        "INSERT INTO batches (id, project_id, name, priority, created_at) VALUES (?, ?, 'b', 5, ?)",
        (batch_id, PROJECT_ID, ts),
    )
    conn.execute("COMMIT")
    rows = labels = queue = None
    done, rid = 0, 0
    with path.open("rb", buffering=1 << 20) as f:
        while True:
            lines = [line for _, line in zip(range(batch), f, strict=False)]
            if not lines:
                break
            rows, queue, labels = [], [], []
            for raw in lines:
                row = orjson.loads(raw)
                dr = row["data_row"]
                rid += 1
                rows.append(
                    (
                        rid,
                        dr["id"],
                        dataset,
                        org,
                        dr.get("global_key"),
                        None,
                        dr["row_data"],
                        "image",
                        orjson.dumps(row["media_attributes"]).decode(),
                        ts,
                        ts,
                        ts,
                        epoch,
                        None,
                    )
                )
                for project_id, section in row["projects"].items():
                    queue.append(
                        (
                            project_id,
                            dr["id"],
                            rid,
                            batch_id,
                            "DONE",
                            None,
                            None,
                            5,
                            None,
                            1,
                            None,
                            ts,
                        )
                    )
                    for label in section["labels"]:
                        labels.append(
                            (
                                label["id"],
                                project_id,
                                dr["id"],
                                label["label_kind"],
                                label["version"],
                                orjson.dumps(label["annotations"]).decode(),
                                ts,
                                epoch,
                                ts,
                                None,
                                ts,
                                None,
                            )
                        )
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO data_rows (rid, id, dataset_id, organization_id, global_key,"
                " external_id, row_data, media_type, media_attributes, created_at, updated_at,"
                " last_activity_at, last_activity_ts, created_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.executemany(
                "INSERT INTO project_data_rows (project_id, data_row_id, data_row_rid, batch_id,"
                " workflow_status, task_id, task_name, priority, selected_label_id,"
                " consensus_expected_label_count, ontology_id, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                queue,
            )
            conn.executemany(
                "INSERT INTO labels (id, project_id, data_row_id, label_kind, version,"
                " annotations, created_at, created_ts, updated_at, created_by,"
                " content_last_updated_at, performance)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                labels,
            )
            conn.execute("COMMIT")
            done += len(lines)
    return done


def child(path: Path, home: Path, mode: str) -> None:
    """Run ``mode`` (import or floor) on ``path`` into a fresh ``home``; print one JSON object."""
    import rowport

    client = rowport.Client(home)
    before = peak_kib()
    start = time.perf_counter()
    if mode == "floor":
        loaded, failed = floor(client, path), 0
    else:
        report = client.import_file(path)
        loaded, failed = report.loaded, report.failed
    seconds = time.perf_counter() - start
    client.close()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "loaded": loaded,
                "failed": failed,
                "peak_before_kib": before,
                "peak_kib": peak_kib(),
            }
        )
    )


def run_child(path: Path, home: Path, mode: str) -> dict[str, Any]:
    """Run :func:`child` in a fresh interpreter, so its peak memory is its own."""
    shutil.rmtree(home, ignore_errors=True)
    cmd = [sys.executable, __file__, "--child", str(path), "--home", str(home), "--mode", mode]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    shutil.rmtree(home, ignore_errors=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# -- the parent: files, runs, table --------------------------------------------------------------


def measure(base: Path, rows: int) -> dict[str, Any]:
    """Write a file of ``rows`` rows, then run the floor and the import on it."""
    path = base / f"rows-{rows}.ndjson"
    size, gen_seconds = write_rows(path, rows)
    raw = run_child(path, base / "home", "floor")
    imported = run_child(path, base / "home", "import")
    if imported["loaded"] != rows or imported["failed"]:
        raise SystemExit(
            f"import of {rows} rows loaded {imported['loaded']}, {imported['failed']} failed"
        )
    path.unlink()
    return {
        "rows": rows,
        "file_mb": size / 2**20,
        "gen_seconds": gen_seconds,
        "floor_rate": rows / raw["seconds"],
        "rate": rows / imported["seconds"],
        "seconds": imported["seconds"],
        "floor_peak_mb": raw["peak_kib"] / 1024,
        "peak_mb": imported["peak_kib"] / 1024,
        "peak_growth_mb": (imported["peak_kib"] - imported["peak_before_kib"]) / 1024,
    }


def print_table(results: list[dict[str, Any]]) -> None:
    """The figures, one line per size, then the 100k/10k ratios when both ran."""
    head = (
        f"{'rows':>9}  {'file MB':>8}  {'floor rows/s':>12}  {'import rows/s':>13}  "
        f"{'x floor':>7}  {'floor VmHWM':>11}  {'import VmHWM':>12}  {'growth':>7}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        print(
            f"{r['rows']:>9,}  {r['file_mb']:>8.1f}  {r['floor_rate']:>12,.0f}  "
            f"{r['rate']:>13,.0f}  {r['rate'] / r['floor_rate']:>7.2f}  "
            f"{r['floor_peak_mb']:>8.1f} MiB  {r['peak_mb']:>9.1f} MiB  "
            f"{r['peak_growth_mb']:>3.1f} MiB"
        )
    if len(results) == 2:
        small, large = results
        print(
            f"\n{large['rows']:,} rows vs {small['rows']:,} ({large['rows'] / small['rows']:.0f}x"
            f" the rows): import VmHWM x{large['peak_mb'] / small['peak_mb']:.2f},"
            f" rows/s x{large['rate'] / small['rate']:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows to import")
    parser.add_argument(
        "--check-flat", action="store_true", help="run 10,000 then 100,000 rows and compare"
    )
    parser.add_argument("--dir", type=Path, help="work directory (default: a temporary one)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="import", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.home, args.mode)
        return
    sizes = [10_000, 100_000] if args.check_flat else [args.rows]
    base = Path(args.dir or tempfile.mkdtemp(prefix="rowport-ingest-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        print(f"ingest benchmark: rows like labelbox-samples/image.json, work dir {base}\n")
        results = []
        for rows in sizes:
            result = measure(base, rows)
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
