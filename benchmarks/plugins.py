"""Hook overhead per row with 0, 1 and 8 media-type plugins registered.

Runs the plugin pipeline step (validate, error policy, transform) over batches of 100 image rows
shaped like the reference sample, with:

- none:  no plugins (the step short-circuits: the floor),
- one:   one image plugin (a trivial validate and transform),
- eight: one such plugin per media type: dispatch by media type means an image batch still
         reaches one plugin, not eight;
- builtin: every built-in plugin (ontology validation, the media-type plugins, sinks), doing
         their real work on these rows (media attributes are stored, so nothing is fetched).

Each figure is microseconds per row and the ratio to `none`, measured in the same run.

    python benchmarks/plugins.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from rowport import hookimpl
from rowport.catalog import Catalog
from rowport.media_types import MediaType
from rowport.plugins import ExportContext, PluginHost, load
from rowport.plugins._model import ErrorPolicy
from rowport.plugins._step import PluginStep
from rowport.request import build_request

SAMPLE = Path(__file__).resolve().parents[1].parent / "shared/reference/labelbox-samples/image.json"


def media_plugin(media: str) -> Any:
    @hookimpl
    def rowport_declare_media_types() -> list[str]:
        return [media]

    @hookimpl
    def rowport_validate_rows(rows: list[dict[str, Any]], context: ExportContext) -> None:
        for row in rows:
            if "row_data" not in row["data_row"]:
                raise AssertionError("unreachable")

    @hookimpl
    def rowport_transform_rows(rows: list[dict[str, Any]], context: ExportContext) -> None:
        for row in rows:
            row["media_attributes"]["checked"] = True

    return SimpleNamespace(
        rowport_declare_media_types=rowport_declare_media_types,
        rowport_validate_rows=rowport_validate_rows,
        rowport_transform_rows=rowport_transform_rows,
    )


def host_with(plugins: list[Any], builtins: bool) -> PluginHost:
    loaded = load(builtins=builtins, autoload=False, block=())
    for i, plugin in enumerate(plugins):
        loaded.pm.register(plugin, name=f"bench{i}")
    return PluginHost(loaded)


def row_template() -> dict[str, Any]:
    if SAMPLE.exists():
        row: dict[str, Any] = json.loads(SAMPLE.read_text())
    else:
        row = {"data_row": {"id": "x", "row_data": "https://x/y.jpg"}, "media_attributes": {}}
    row["_media_type"] = "image"
    return row


def measure(host: PluginHost, rows: int, context: ExportContext) -> float:
    step = PluginStep(host, ErrorPolicy())
    template = row_template()
    batch_count = rows // 100
    batches = [[copy.deepcopy(template) for _ in range(100)] for _ in range(min(batch_count, 50))]
    start = time.perf_counter()
    for i in range(batch_count):
        step(batches[i % len(batches)], context)
    return (time.perf_counter() - start) / (batch_count * 100) * 1e6


def export_rate(home: Path, project_id: str, host: PluginHost, rows: int) -> float:
    import rowport

    client = rowport.Client(home, plugins=host)
    try:
        best = 0.0
        for _ in range(2):
            start = time.perf_counter()
            task = client.get_project(project_id).export(params={"label_details": True})
            task.wait_till_done(timeout_seconds=600)
            best = max(best, rows / (time.perf_counter() - start))
        return best
    finally:
        client.close()


def build_catalog(home: Path, rows: int) -> str:
    import rowport
    from rowport._ids import new_id

    template = row_template()
    template.pop("_media_type")
    project_id = next(iter(template["projects"]))

    def generate() -> Any:
        for i in range(rows):
            row = copy.deepcopy(template)
            row["data_row"]["id"] = new_id()
            row["data_row"]["global_key"] = f"bench-{i}"
            row["projects"][project_id]["labels"][0]["id"] = new_id()
            yield row

    client = rowport.Client(home, plugins=host_with([], builtins=False))
    client.import_rows(generate())
    client.close()
    return str(project_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--export-rows", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(Path(tmp) / "c.db")
        context = ExportContext(task_id="bench", request=build_request("catalog"), catalog=catalog)
        setups = {
            "none": host_with([], builtins=False),
            "one": host_with([media_plugin("image")], builtins=False),
            "eight": host_with([media_plugin(m.value) for m in MediaType], builtins=False),
            "builtin": PluginHost.load(autoload=False, block=()),
        }
        results = {}
        for name, host in setups.items():
            measure(host, 10_000, context)  # warm up
            results[name] = min(measure(host, args.rows, context) for _ in range(3))
        floor = results["none"]
        print(f"plugin pipeline overhead, {args.rows:,} image rows in batches of 100 (best of 3)")
        print(f"{'plugins':<8} {'reached':>8} {'us/row':>8} {'ratio':>7}")
        for name, host in setups.items():
            reached = len(host.plugins_for("image"))
            print(f"{name:<8} {reached:>8} {results[name]:>8.3f} {results[name] / floor:>7.2f}")
        one, eight = results["one"], results["eight"]
        print(f"eight plugins cost {eight / one:.2f}x one plugin per image row (dispatch by type)")
        catalog.close()

        home = Path(tmp) / "home"
        project_id = build_catalog(home, args.export_rows)
        rates = {
            name: export_rate(home, project_id, host, args.export_rows)
            for name, host in setups.items()
        }
        print()
        print(f"end-to-end project export, {args.export_rows:,} labelled image rows (best of 2)")
        print(f"{'plugins':<8} {'rows/s':>10} {'ratio':>7}")
        for name, rate in rates.items():
            print(f"{name:<8} {rate:>10,.0f} {rate / rates['none']:>7.2f}")
        print(
            "(with no row hooks stored JSON passes through unparsed; any row hook needs it parsed)"
        )


if __name__ == "__main__":
    main()
