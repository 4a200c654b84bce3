"""Hook overhead per row with 0, 1 and 8 media-type plugins registered, and the end-to-end
project export of labelled image rows with each set of plugins against the export with none.

Runs the plugin pipeline step (validate, error policy, transform) over batches of 100 image rows
shaped like the reference sample, with:

- none:  no plugins (the step short-circuits: the floor),
- data_row: one image plugin that declares it reads only ``data_row`` (stored JSON stays
         unparsed),
- one:   one image plugin (a trivial validate and transform) that declares nothing: every
         section is parsed for it,
- eight: one such plugin per media type: dispatch by media type means an image batch still
         reaches one plugin, not eight;
- builtin: every built-in plugin (ontology validation, the media-type plugins, sinks), doing
         their real work on these rows (media attributes are stored, so nothing is fetched).

Each figure is microseconds per row and the ratio to `none`, measured in the same run. The
export rows are the reference sample with every id new (feature ids too), so no two labels have
the same content. With every built-in plugin, ``builtin first`` is the export right after the
catalog's remembered checks were dropped (every label is checked), ``builtin repeat`` the next
export of the same unchanged labels (what was found is read back). The exports run in rounds
(``--rounds``, 3), each round every set of plugins once (two exports each; builtin: one such
pair), so the floor and every figure are measured close together in time; each figure is the
best of its rounds. Beside rows per second, each export's rows per CPU second of the process
(every thread) and its ratio to the floor's: the work, which a loaded machine changes less
than the time.

``--memory 50000,500000`` builds each size in a child process, then exports it with every
built-in plugin in a fresh child and prints that worker's peak memory (``VmHWM``, its own,
unlike ``ru_maxrss``).

    python benchmarks/plugins.py [--rows 200000] [--export-rows 20000] [--rounds 3]
        [--memory 50000,500000]
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
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


def data_row_plugin() -> Any:
    @hookimpl
    def rowport_declare_media_types() -> list[str]:
        return ["image"]

    @hookimpl
    def rowport_declare_sections() -> list[str]:
        return ["data_row"]

    @hookimpl
    def rowport_validate_rows(rows: list[dict[str, Any]], context: ExportContext) -> None:
        for row in rows:
            if not row["data_row"]["row_data"]:
                raise AssertionError("unreachable")

    return SimpleNamespace(
        rowport_declare_media_types=rowport_declare_media_types,
        rowport_declare_sections=rowport_declare_sections,
        rowport_validate_rows=rowport_validate_rows,
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


def export_rates(
    home: Path, project_id: str, host: PluginHost, rows: int, runs: int = 2
) -> list[tuple[float, float]]:
    """``(rows per second, rows per CPU second of this process)`` of ``runs`` exports one after
    the other, after the catalog's remembered checks were dropped (the CPU figure counts the
    work of every thread of the export, not the time other processes take the CPU from it)."""
    import rowport

    client = rowport.Client(home, plugins=host)
    try:
        client.catalog.checks.forget()
        rates = []
        for _ in range(runs):
            start, cpu = time.perf_counter(), time.process_time()
            task = client.get_project(project_id).export(params={"label_details": True})
            task.wait_till_done(timeout_seconds=3600)
            if task.status != "COMPLETE":
                raise RuntimeError(f"export ended {task.status}")
            wall = time.perf_counter() - start
            rates.append((rows / wall, rows / max(time.process_time() - cpu, 1e-9)))
        return rates
    finally:
        client.close()


def _new_ids(node: Any) -> None:
    """A new ``feature_id`` wherever the sample has one: no two labels alike."""
    from rowport._ids import new_id

    if isinstance(node, dict):
        if "feature_id" in node:
            node["feature_id"] = new_id()
        for value in node.values():
            _new_ids(value)
    elif isinstance(node, list):
        for value in node:
            _new_ids(value)


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
            _new_ids(row["projects"][project_id]["labels"][0]["annotations"])
            yield row

    client = rowport.Client(home, plugins=host_with([], builtins=False))
    client.import_rows(generate())
    client.close()
    return str(project_id)


def peak_kib() -> int:
    """This process's peak resident set (``VmHWM``), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def child(args: argparse.Namespace) -> None:
    """In a child process: ``build`` a catalog, or ``export`` it with every built-in plugin and
    print the rate and this worker's ``VmHWM``."""
    home = Path(args.home)
    if args.child == "build":
        print(build_catalog(home, args.export_rows))
        return
    host = PluginHost.load(autoload=False, block=())
    rates = export_rates(home, args.project, host, args.export_rows, runs=1)
    print(json.dumps({"rate": rates[0][0], "peak_kib": peak_kib()}))


def memory(sizes: list[int]) -> None:
    """Peak memory of an export with every built-in plugin at each size, in fresh workers."""
    print(f"{'rows':>9} {'rows/s':>10} {'worker VmHWM':>14}")
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            base = [sys.executable, __file__, "--home", tmp, "--export-rows", str(size)]
            built = subprocess.run(
                [*base, "--child", "build"], check=True, capture_output=True, text=True
            )
            project = built.stdout.strip().splitlines()[-1]
            done = subprocess.run(
                [*base, "--child", "export", "--project", project],
                check=True,
                capture_output=True,
                text=True,
            )
            found = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{size:>9,} {found['rate']:>10,.0f} {found['peak_kib'] / 1024:>10.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--export-rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="export rounds (best of)")
    parser.add_argument("--memory", help="comma-separated row counts: peak memory only")
    parser.add_argument("--child", choices=("build", "export"), help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--project", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.memory:
        memory([int(n) for n in args.memory.split(",")])
        return
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(Path(tmp) / "c.db")
        context = ExportContext(task_id="bench", request=build_request("catalog"), catalog=catalog)
        setups = {
            "none": host_with([], builtins=False),
            "data_row": host_with([data_row_plugin()], builtins=False),
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
        export_rates(home, project_id, setups["none"], args.export_rows, runs=1)  # warm up
        # in rounds, every set of plugins once a round, so the floor and each figure are
        # measured close together in time (on a loaded machine the load moves between them)
        rates: dict[str, tuple[float, float]] = {}
        for _ in range(args.rounds):
            for name, host in setups.items():
                found = export_rates(home, project_id, host, args.export_rows)
                if name == "builtin":  # a first-then-repeat pair, checks dropped before it
                    pairs = {"builtin first": found[0], "builtin repeat": found[1]}
                else:
                    pairs = {name: (max(r for r, _ in found), max(c for _, c in found))}
                for key, (rate, cpu) in pairs.items():
                    best = rates.get(key, (0.0, 0.0))
                    rates[key] = (max(best[0], rate), max(best[1], cpu))
        print()
        print(f"end-to-end project export, {args.export_rows:,} labelled image rows")
        print(f"{'plugins':<15} {'rows/s':>10} {'ratio':>7} {'rows/CPU s':>11} {'CPU ratio':>10}")
        floor, floor_cpu = rates["none"]
        for name, (rate, cpu) in rates.items():
            print(
                f"{name:<15} {rate:>10,.0f} {rate / floor:>7.2f} {cpu:>11,.0f}"
                f" {cpu / floor_cpu:>10.2f}"
            )
        print(
            f"(every figure the best of {args.rounds} rounds, two exports a round; builtin: a"
            " first-then-repeat pair a round; stored JSON no plugin declared passes through"
            " unparsed)"
        )


if __name__ == "__main__":
    main()
