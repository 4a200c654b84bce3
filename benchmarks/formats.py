"""Training format conversion: COCO and YOLO of labelled image rows, against reading the
same RESULT stream.

A RESULT stream of ``--rows`` labelled image rows (one to three boxes with a nested
classification, scene classifications, shaped like the demo's bulk rows) is written once per
size. Each measured run is a fresh child process, so its peak memory (``VmHWM``) is its own:

- floor: read every part of the stream and parse each line with orjson (what any consumer of
  the stream pays);
- coco / yolo: the same reading, fed to the format's writer, with the output published.

Rows/s are reported as a ratio to the floor of the same size in the same run; peak memory at
the largest size as a ratio to the smallest (flat means the conversion holds no rows).

    python benchmarks/formats.py [--rows 50000 200000]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

FORMATS = ("coco", "yolo")


def make_row(i: int, rng: random.Random) -> dict[str, Any]:
    """One labelled 1280x720 image row of the export format."""
    objects = []
    for k in range(rng.randint(1, 3)):
        w, h = rng.randint(40, 300), rng.randint(30, 200)
        objects.append(
            {
                "feature_id": f"f{i:07d}{k}",
                "feature_schema_id": "schema-vehicle",
                "name": "vehicle",
                "value": "vehicle",
                "annotation_kind": "ImageBoundingBox",
                "classifications": [
                    {"name": "occlusion", "value": "occlusion", "radio_answer": {"name": "none"}}
                ],
                "bounding_box": {
                    "top": float(rng.randint(0, 719 - h)),
                    "left": float(rng.randint(0, 1279 - w)),
                    "height": float(h),
                    "width": float(w),
                },
            }
        )
    return {
        "data_row": {
            "id": f"row{i:022d}",
            "global_key": f"bench/{i:07d}",
            "row_data": f"https://storage.example/bulk/frame-{i:07d}.jpg",
        },
        "media_attributes": {
            "height": 720,
            "width": 1280,
            "asset_type": "image",
            "mime_type": "image/jpeg",
            "exif_rotation": "1",
        },
        "projects": {
            "project0000000000000000001": {
                "name": "bench",
                "labels": [
                    {
                        "label_kind": "Default",
                        "version": "1.0.0",
                        "id": f"label{i:020d}",
                        "annotations": {
                            "objects": objects,
                            "classifications": [
                                {
                                    "name": "scene",
                                    "value": "scene",
                                    "radio_answer": {"name": "urban"},
                                }
                            ],
                            "relationships": [],
                        },
                    }
                ],
                "project_tags": [],
            }
        },
    }


def write_stream(directory: Path, rows: int) -> None:
    """A committed RESULT stream of ``rows`` rows in ``directory``."""
    from rowport.streams import StreamWriter

    rng = random.Random(rows)
    writer = StreamWriter(directory)
    batch: list[bytes] = []
    for i in range(rows):
        batch.append(orjson.dumps(make_row(i, rng)))
        if len(batch) == 1000:
            writer.write_lines(batch)
            writer.maybe_commit()
            batch = []
    if batch:
        writer.write_lines(batch)
    writer.close()


# -- the measured runs, in a child process ----------------------------------------------------


def peak_kib() -> int:
    """This process's peak resident set (``VmHWM``), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def child(mode: str, stream: Path, output: Path) -> dict[str, Any]:
    """Run one measurement; returns rows, seconds and peak KiB."""
    from rowport.formats import Conversion, convert_lines
    from rowport.formats._delivery import part_batches
    from rowport.plugins import PluginHost
    from rowport.streams import StreamReader

    parts = StreamReader(stream).manifest.parts
    batches = (batch for part in parts for batch in part_batches(stream, part))
    specs = PluginHost.load(autoload=False).format_specs()
    start = time.perf_counter()
    if mode == "floor":
        rows = 0
        for batch in batches:
            rows += len([orjson.loads(line) for line in batch])
    else:
        report = convert_lines(Conversion.build(specs[mode][1], output), batches)
        rows = report.rows_read
    return {"rows": rows, "seconds": time.perf_counter() - start, "peak_kib": peak_kib()}


def run_child(mode: str, stream: Path, output: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(stream), str(output)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[50_000, 200_000])
    parser.add_argument("--child", nargs=3, metavar=("MODE", "STREAM", "OUTPUT"))
    args = parser.parse_args()
    if args.child:
        mode, stream, output = args.child
        print(json.dumps(child(mode, Path(stream), Path(output))))
        return
    results: dict[int, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="rowport-bench-formats-") as tmp:
        root = Path(tmp)
        for rows in args.rows:
            stream = root / f"stream-{rows}"
            write_stream(stream, rows)
            results[rows] = {}
            for mode in ("floor", *FORMATS):
                output = root / f"out-{mode}-{rows}"
                results[rows][mode] = run_child(mode, stream, output)
                shutil.rmtree(output, ignore_errors=True)
            shutil.rmtree(stream)
    print(f"{'rows':>8}  {'mode':>5}  {'rows/s':>9}  {'x floor':>7}  {'VmHWM':>9}")
    for rows, by_mode in results.items():
        floor = by_mode["floor"]
        for mode, r in by_mode.items():
            rate = r["rows"] / r["seconds"]
            ratio = rate / (floor["rows"] / floor["seconds"])
            peak = r["peak_kib"] / 1024
            print(f"{rows:>8,}  {mode:>5}  {rate:>9,.0f}  {ratio:>7.2f}  {peak:>7.1f} MB")
    small, large = min(results), max(results)
    for mode in ("floor", *FORMATS):
        growth = results[large][mode]["peak_kib"] / results[small][mode]["peak_kib"]
        print(f"{mode}: peak memory at {large:,} rows is x{growth:.2f} of that at {small:,} rows")


if __name__ == "__main__":
    main()
