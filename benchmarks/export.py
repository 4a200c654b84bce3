"""Benchmark of a full export against a raw floor: throughput, time to first row, peak memory.

    python benchmarks/export.py [--rows 200000] [--sizes 50000,200000] [--dir /tmp/x]
                                [--profile] [--keep]

One catalog is built with ``client.catalog.importer.import_rows`` from generated rows in the export
format: N image rows, each queued in one project with one label like the reference's
``image.json`` (a bounding box, a radio and a free-text answer) plus a review, timings, details,
an attachment, two metadata fields, an embedding and a workflow history entry: about 2.9 KB of
JSON per row with every project param on (``image.json`` is 2.5 KB with none). The first
``min(sizes)`` rows sit in batch ``small``, the rest in batch ``large``.

Then, on that catalog:

- the floor: the same rows read with one plain SQL query (data rows joined with their dataset,
  queue entry and label, the small sections as JSON sub-selects), built as dicts with the
  stored JSON passed through as ``orjson.Fragment`` and dumped with orjson; no task, no stream;
- the export: ``project.export(params=<every project param>)``, waited for; the first run
  follows it with ``task.stream(follow=True)`` for the time to its first row. Floor and export
  run twice each, alternating, and the best of each is compared;
- peak memory: in a fresh process per size, ``ru_maxrss`` of that export (``batch_ids`` picks
  the smaller size).

Prints a table and the ratios; nothing asserts, since the machines this runs on are shared and
noisy. With ``--profile`` (or when the ratio to the floor is under 0.5) the export also runs
under cProfile and the top functions are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

import rowport
from rowport.plugins import PluginHost

PROJECT_ID = "cbenchexportproject000001"
DATASET_ID = "cbenchexportdataset000001"
BATCH_IDS = {"small": "cbenchexportbatch00000001", "large": "cbenchexportbatch00000002"}
ALL_PARAMS = {
    "attachments": True,
    "metadata_fields": True,
    "embeddings": True,
    "data_row_details": True,
    "project_details": True,
    "label_details": True,
    "performance_details": True,
}
REPEAT = 2  # runs of the floor and of the export; the best of each is compared
TARGET_RATIO = 0.5
TARGET_RSS_MB = 200.0
TARGET_RSS_GROWTH = 0.10
CREATED = "2024-03-15T14:46:58.000+00:00"
USER = "labeller@example.com"


def cuid(prefix: str, n: int) -> str:
    """A 25-character id made of a readable prefix and a number."""
    return f"{prefix}{n:0{25 - len(prefix)}d}"


FEATURES = {
    name: cuid("cbenchfeature", i)
    for i, name in enumerate(("box", "radio", "radio_a", "radio_b", "free_text"))
}
TASKS = {"TO_LABEL": cuid("cbenchtask", 1), "DONE": cuid("cbenchtask", 2)}


def _feature(n: int, k: int, name: str) -> dict[str, Any]:
    return {
        "feature_id": cuid(f"cbf{k}x", n),
        "feature_schema_id": FEATURES[name],
        "name": name,
        "value": name,
    }


def make_row(n: int, small: int) -> dict[str, Any]:
    """Row ``n`` in the export format, with every project section filled."""
    answer = {**_feature(n, 2, "radio_a" if n % 2 else "radio_b"), "classifications": []}
    label = {
        "label_kind": "Default",
        "version": "1.0.0",
        "id": cuid("cbenchlabel", n),
        "label_details": {
            "created_at": CREATED,
            "updated_at": CREATED,
            "created_by": USER,
            "content_last_updated_at": CREATED,
            "reviews": [
                {
                    "id": cuid("cbenchreview", n),
                    "action": "Approve",
                    "created_at": CREATED,
                    "created_by": USER,
                }
            ],
        },
        "performance_details": {
            "seconds_to_create": 31,
            "seconds_to_review": 4,
            "skipped": False,
            "performance_details_v2": {
                "seconds_to_create": 31,
                "seconds_to_review": 4,
                "seconds_to_rework": 0,
                "seconds_total": 35,
            },
        },
        "annotations": {
            "objects": [
                {
                    **_feature(n, 0, "box"),
                    "annotation_kind": "ImageBoundingBox",
                    "bounding_box": {
                        "top": 977.0 + n % 97,
                        "left": 1690.0,
                        "height": 330.0,
                        "width": 225.0,
                    },
                    "classifications": [],
                }
            ],
            "classifications": [
                {**_feature(n, 1, "radio"), "radio_answer": answer},
                {**_feature(n, 7, "free_text"), "text_answer": {"content": f"sample text {n}"}},
            ],
            "relationships": [],
        },
    }
    return {
        "data_row": {
            "id": cuid("cbenchrow", n),
            "global_key": f"bench-{n}",
            "row_data": f"https://storage.example.com/bench/{n}.jpeg",
            "details": {
                "dataset_id": DATASET_ID,
                "dataset_name": "bench",
                "created_at": CREATED,
                "updated_at": CREATED,
                "last_activity_at": CREATED,
                "created_by": USER,
            },
        },
        "media_attributes": {
            "height": 1707,
            "width": 2560,
            "asset_type": "image",
            "mime_type": "image/jpeg",
            "exif_rotation": "1",
        },
        "attachments": [
            {"id": cuid("cbenchattach", n), "type": "RAW_TEXT", "value": "a note", "name": "note"}
        ],
        "metadata_fields": [
            {"schema_id": cuid("cbenchmeta", 1), "schema_name": "camera", "value": "front"},
            {"schema_id": cuid("cbenchmeta", 2), "schema_name": "speed", "value": 12.5},
        ],
        "embeddings": [
            {
                "id": cuid("cbenchembedding", 1),
                "name": "clip-4",
                "dimensions": 4,
                "is_custom": True,
                "values": [{"value": [0.125, -0.5, 0.25, float(n % 7)]}],
            }
        ],
        "projects": {
            PROJECT_ID: {
                "name": "bench",
                "labels": [label],
                "project_details": {
                    "ontology_id": cuid("cbenchontology", 1),
                    "task_id": TASKS["DONE"],
                    "task_name": "Done",
                    "batch_id": BATCH_IDS["small" if n < small else "large"],
                    "batch_name": "small" if n < small else "large",
                    "workflow_status": "DONE",
                    "priority": 5,
                    "selected_label_id": cuid("cbenchlabel", n),
                    "consensus_expected_label_count": 1,
                    "workflow_history": [
                        {
                            "action": "CREATED",
                            "created_at": CREATED,
                            "created_by": USER,
                            "previous_task_id": None,
                            "previous_task_name": None,
                            "next_task_id": TASKS["TO_LABEL"],
                            "next_task_name": "Initial labeling task",
                        }
                    ],
                },
                "project_tags": [],
            }
        },
    }


# -- building ---------------------------------------------------------------------------------


def build(home: Path, rows: int, small: int) -> float:
    """Import ``rows`` generated rows into ``home``; returns the seconds it took."""
    started = time.perf_counter()
    with rowport.Client(home) as client:
        rows_in = (make_row(n, small) for n in range(rows))
        report = client.catalog.importer.import_rows(rows_in, batch_size=10_000)
        if report.failed:
            raise SystemExit(f"import failed: {report.errors[:3]}")
    return time.perf_counter() - started


# -- the floor --------------------------------------------------------------------------------

FLOOR_SQL = """
SELECT d.id, d.global_key, d.external_id, d.row_data, d.media_attributes,
       d.dataset_id, s.name, d.created_at, d.updated_at, d.last_activity_at, d.created_by,
       (SELECT json_group_array(json_object('id', a.id, 'type', a.type, 'value', a.value,
               'name', a.name)) FROM attachments a WHERE a.data_row_id = d.id),
       (SELECT json_group_array(json_object('schema_id', v.schema_id, 'schema_name', m.name,
               'value', json(v.value))) FROM metadata_values v
               JOIN metadata_schemas m ON m.id = v.schema_id WHERE v.data_row_id = d.id),
       (SELECT json_group_array(json_object('id', e.id, 'name', e.name,
               'dimensions', e.dimensions, 'is_custom', json(CASE WHEN e.is_custom
               THEN 'true' ELSE 'false' END), 'values', json_array(json_object('value',
               json(ev.vector))))) FROM embedding_vectors ev
               JOIN embeddings e ON e.id = ev.embedding_id WHERE ev.data_row_id = d.id),
       pr.name, q.batch_id, b.name, q.workflow_status, q.task_id, q.task_name, q.priority,
       q.selected_label_id, q.consensus_expected_label_count,
       COALESCE(q.ontology_id, pr.ontology_id),
       (SELECT json_group_array(json_object('action', h.action, 'created_at', h.created_at,
               'created_by', h.created_by, 'previous_task_id', h.previous_task_id,
               'previous_task_name', h.previous_task_name, 'next_task_id', h.next_task_id,
               'next_task_name', h.next_task_name)) FROM workflow_history h
               WHERE h.project_id = q.project_id AND h.data_row_id = d.id),
       l.id, l.label_kind, l.version, l.annotations, l.created_at, l.updated_at,
       l.created_by, l.content_last_updated_at, l.performance,
       (SELECT json_group_array(json_object('id', r.id, 'action', r.action,
               'created_at', r.created_at, 'created_by', r.created_by)) FROM reviews r
               WHERE r.label_id = l.id)
FROM project_data_rows q
JOIN data_rows d ON d.rid = q.data_row_rid
JOIN datasets s ON s.id = d.dataset_id
JOIN projects pr ON pr.id = q.project_id
LEFT JOIN batches b ON b.id = q.batch_id
LEFT JOIN labels l ON l.data_row_id = d.id AND l.project_id = q.project_id
WHERE q.project_id = ?
ORDER BY q.data_row_rid
"""


def floor_rows(db: Path, project_id: str) -> Iterator[bytes]:
    """The project's rows (one label each), encoded; the least work an export can do."""
    conn = sqlite3.connect(db)
    fragment, dumps = orjson.Fragment, orjson.dumps
    try:
        for r in conn.execute(FLOOR_SQL, (project_id,)):
            data_row: dict[str, Any] = {"id": r[0]}
            if r[1] is not None:
                data_row["global_key"] = r[1]
            if r[2] is not None:
                data_row["external_id"] = r[2]
            data_row["row_data"] = r[3]
            data_row["details"] = {
                "dataset_id": r[5],
                "dataset_name": r[6],
                "created_at": r[7],
                "updated_at": r[8],
                "last_activity_at": r[9],
                "created_by": r[10],
            }
            labels = []
            if r[25] is not None:
                labels.append(
                    {
                        "label_kind": r[26],
                        "version": r[27],
                        "id": r[25],
                        "label_details": {
                            "created_at": r[29],
                            "updated_at": r[30],
                            "created_by": r[31],
                            "content_last_updated_at": r[32],
                            "reviews": fragment(r[34]),
                        },
                        "performance_details": fragment(r[33]),
                        "annotations": fragment(r[28]),
                    }
                )
            row = {
                "data_row": data_row,
                "media_attributes": fragment(r[4] or "{}"),
                "attachments": fragment(r[11]),
                "metadata_fields": fragment(r[12]),
                "embeddings": fragment(r[13]),
                "projects": {
                    project_id: {
                        "name": r[14],
                        "labels": labels,
                        "project_details": {
                            "ontology_id": r[23],
                            "task_id": r[18],
                            "task_name": r[19],
                            "batch_id": r[15],
                            "batch_name": r[16],
                            "workflow_status": r[17],
                            "priority": r[20],
                            "selected_label_id": r[21],
                            "consensus_expected_label_count": r[22],
                            "workflow_history": fragment(r[24]),
                        },
                        "project_tags": [],
                    }
                },
            }
            yield dumps(row)
    finally:
        conn.close()


def run_floor(home: Path) -> tuple[float, int, int, bytes]:
    """Seconds, rows and bytes of the floor, and its first row."""
    started = time.perf_counter()
    rows = size = 0
    first = b""
    for line in floor_rows(home / "catalog.db", PROJECT_ID):
        if not first:
            first = line
        rows += 1
        size += len(line) + 1
    return time.perf_counter() - started, rows, size, first


# -- the export -------------------------------------------------------------------------------


def core_plugins() -> PluginHost:
    """Built-ins without the row plugins (validation and media): the core export's cost."""
    from rowport_plugins import BUILTIN_PLUGINS

    return PluginHost.load(
        autoload=False, block=[n for n in BUILTIN_PLUGINS if n != "rowport_plugins.sinks"]
    )


def run_export(home: Path, follow: bool, plugins: PluginHost | None = None) -> dict[str, Any]:
    """Export the project with every param and wait; with ``follow``, time its first row too.

    ``plugins`` defaults to :func:`core_plugins`; pass ``PluginHost.load()`` for every plugin.
    """
    with rowport.Client(home, plugins=plugins or core_plugins()) as client:
        project = client.get_project(PROJECT_ID)
        started = time.perf_counter()
        task = project.export(params=ALL_PARAMS)
        first_row = None
        first_line = b""
        if follow:
            for output in task.stream(follow=True, poll_interval=0.002):
                first_row = time.perf_counter() - started
                first_line = output.json_str.encode()
                break
        # the in-process done event wakes the wait at once; the frequency only bounds polling
        task.wait_till_done(timeout_seconds=3600, check_frequency=0.05)
        elapsed = time.perf_counter() - started
        if task.status != "COMPLETE":
            raise SystemExit(f"export {task.status}: {task.errors_message}")
        return {
            "seconds": elapsed,
            "first_row": first_row,
            "rows": task.get_total_lines(rowport.StreamType.RESULT) or 0,
            "bytes": task.get_total_file_size(rowport.StreamType.RESULT) or 0,
            "first_line": first_line,
            "errors": task.get_total_lines(rowport.StreamType.ERRORS) or 0,
        }


def child_memory(home: Path, batch: str | None) -> dict[str, Any]:
    """``ru_maxrss`` of one export in a fresh process (``batch`` narrows it to one batch)."""
    code = (
        "import json, resource, sys, time, rowport\n"
        "home, project, batch, params = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "with rowport.Client(home) as client:\n"
        "    filters = {'batch_ids': [batch]} if batch else None\n"
        "    started = time.perf_counter()\n"
        "    task = client.get_project(project).export(params=json.loads(params),"
        " filters=filters)\n"
        "    task.wait_till_done(timeout_seconds=3600, check_frequency=0.01)\n"
        "    seconds = time.perf_counter() - started\n"
        "    rows = task.get_total_lines(rowport.StreamType.RESULT)\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(json.dumps({'rss_before_kb': before, 'rss_kb': after, 'rows': rows,"
        " 'seconds': seconds}))\n"
    )
    output = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(home),
            PROJECT_ID,
            BATCH_IDS[batch] if batch else "",
            json.dumps(ALL_PARAMS),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


def profile_export(home: Path, batch: str | None, top: int = 25) -> str:
    """The export under cProfile, run on the task's worker thread; the top functions by self time.

    cProfile follows one thread, so a one-worker client's worker turns it on before the
    export and off after it. ``batch`` narrows the export to one batch (to keep it short).
    """
    profiler = cProfile.Profile()
    with rowport.Client(home, max_workers=1) as client:
        executor = client._tasks._executor  # the worker that will run the export
        executor.submit(profiler.enable).result()
        filters = {"batch_ids": [BATCH_IDS[batch]]} if batch else None
        task = client.get_project(PROJECT_ID).export(params=ALL_PARAMS, filters=filters)
        task.wait_till_done(timeout_seconds=3600, check_frequency=0.01)
        executor.submit(profiler.disable).result()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# -- the report -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows in the catalog")
    parser.add_argument(
        "--sizes",
        default="50000,200000",
        help="export sizes whose peak memory is compared (the largest must be <= --rows)",
    )
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: temp)")
    parser.add_argument("--profile", action="store_true", help="always print a cProfile")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    if not sizes or sizes[-1] > args.rows:
        parser.error("--sizes must be positive and at most --rows")
    if len(sizes) > 2:
        parser.error("--sizes takes one or two sizes: the small batch and the whole project")
    base = args.dir or Path(tempfile.mkdtemp(prefix="rowport-bench-export-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        run(base / "home", args.rows, sizes, args.profile)
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(base, ignore_errors=True)


def run(home: Path, rows: int, sizes: list[int], always_profile: bool) -> None:
    """Build, measure and print."""
    small = sizes[0] if len(sizes) > 1 else rows
    sample = orjson.dumps(make_row(0, small))
    print(f"rowport export benchmark: {rows:,} image rows, one label each, every project param")
    print(f"generated row: {len(sample):,} bytes of JSON")
    built = build(home, rows, small)
    print(f"catalog built with import_rows in {built:.1f} s ({rows / built:,.0f} rows/s)\n")

    # best of REPEAT each, alternating, since the machines this runs on are shared and noisy
    floors, exports = [], []
    for i in range(REPEAT):
        floors.append(run_floor(home))
        exports.append(run_export(home, follow=i == 0))
    floor_s, floor_n, floor_bytes, floor_first = min(floors)
    export = min(exports, key=lambda e: float(e["seconds"]))
    same = floor_first == exports[0]["first_line"]
    floor_rate = floor_n / floor_s
    rate = export["rows"] / export["seconds"]
    ratio = rate / floor_rate
    all_floor = ", ".join(f"{f[0]:.2f}" for f in floors)
    all_export = ", ".join(f"{e['seconds']:.2f}" for e in exports)

    table = [
        ("floor rows/s", f"{floor_rate:,.0f}", f"{floor_n:,} rows; runs took {all_floor} s"),
        ("floor MB/s", f"{floor_bytes / floor_s / 1e6:,.1f}", f"{floor_bytes / 1e6:,.1f} MB"),
        ("export rows/s", f"{rate:,.0f}", f"{export['rows']:,} rows; runs took {all_export} s"),
        (
            "export MB/s",
            f"{export['bytes'] / export['seconds'] / 1e6:,.1f}",
            f"{export['bytes'] / 1e6:,.1f} MB, {export['errors']} error lines",
        ),
        ("export / floor", f"{ratio:.2f}", f"target >= {TARGET_RATIO}"),
        (
            "time to first row",
            f"{(exports[0]['first_row'] or 0) * 1000:,.0f} ms",
            "task.stream(follow=True); rows appear when the first part commits",
        ),
        ("floor row == export row", "yes" if same else "NO", "first row, byte for byte"),
    ]
    memory = {}
    for size in sizes:
        batch = "small" if size == small and len(sizes) > 1 else None
        memory[size] = child_memory(home, batch)
        m = memory[size]
        table.append(
            (
                f"peak RSS, {m['rows']:,} rows",
                f"{m['rss_kb'] / 1024:,.1f} MB",
                f"fresh process; {m['rss_before_kb'] / 1024:.1f} MB after import;"
                f" export {m['seconds']:.1f} s; target < {TARGET_RSS_MB:.0f} MB",
            )
        )
    if len(sizes) == 2:
        low, high = (memory[s]["rss_kb"] for s in sizes)
        table.append(
            (
                "peak RSS growth",
                f"{(high - low) / low * 100:+.1f} %",
                f"{sizes[0]:,} -> {sizes[1]:,} rows; target within {TARGET_RSS_GROWTH:.0%}",
            )
        )
    with_plugins = min(
        (run_export(home, follow=False, plugins=PluginHost.load()) for _ in range(REPEAT)),
        key=lambda e: float(e["seconds"]),
    )
    plugin_rate = with_plugins["rows"] / with_plugins["seconds"]
    names = ", ".join(
        n for n in PluginHost.load().plugins_for("image") if n.startswith("rowport_plugins")
    )
    table.append(
        (
            "with row plugins rows/s",
            f"{plugin_rate:,.0f}",
            f"{plugin_rate / rate:.2f} of the export without them ({names or 'none'});"
            f" {with_plugins['errors']} error lines",
        )
    )
    width = max(len(name) for name, _, _ in table)
    for name, figure, note in table:
        print(f"{name:<{width}}  {figure:>12}  {note}")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nbenchmark process ru_maxrss {maxrss:.1f} MB (builds the catalog too)")
    if always_profile or ratio < TARGET_RATIO:
        batch = "small" if len(sizes) > 1 else None
        print(
            f"\nexport / floor {ratio:.2f}: cProfile of the export of {small:,} rows"
            " (worker thread, by own time)"
        )
        print(profile_export(home, batch))


if __name__ == "__main__":
    main()
