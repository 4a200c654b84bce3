"""Heavy dependencies are imported where they are used, checked in fresh interpreters.

``rowport --help`` and ``--version`` import click and the top-level group only; a media-type
plugin's dependency (shapely, pypdf, Pillow, requests) is imported when that plugin first gets a
row that needs it, not when the plugin manager is built. (Structure, not timing: what is
measured in seconds lives in ``benchmarks/startup.py``.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from pypdf import PdfWriter

import rowport
from rowport.plugins import PluginHost

# what a start of the CLI must not import: media libraries, HTTP, the plugin system, the
# catalog, the tasks and the serialization libraries they use
NOT_FOR_HELP = (
    "shapely",
    "numpy",
    "pypdf",
    "PIL",
    "requests",
    "urllib3",
    "pluggy",
    "importlib.metadata",
    "attrs",
    "cattrs",
    "orjson",
    "sqlite3",
    "concurrent.futures",
    "rowport.client",
    "rowport.catalog",
    "rowport.tasks",
    "rowport.plugins",
    "rowport_plugins",
)
MEDIA_DEPENDENCIES = ("shapely", "numpy", "pypdf", "PIL", "requests")

RUN_CLI = """
import json, sys
from rowport.cli import main
try:
    main(sys.argv[1:], prog_name="rowport")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(code: str, *args: str | Path) -> tuple[str, set[str]]:
    """Run ``code`` in a fresh interpreter; its stdout and the modules it reported (stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "ROWPORT_HOME"}
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    *_, last = done.stderr.splitlines()
    return done.stdout, set(json.loads(last))


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in modules]


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["--version"]])
def test_help_and_version_import_neither_plugins_nor_the_catalog(args: list[str]) -> None:
    out, modules = _modules_after(RUN_CLI, *args)
    assert out.startswith(("Usage: rowport", "rowport, version"))
    assert _loaded(modules, NOT_FOR_HELP) == []
    assert not any(name.startswith("rowport.cli._") for name in modules - {"rowport.cli._context"})


def test_import_rowport_imports_only_the_package() -> None:
    code = "import json, sys, rowport\nprint(json.dumps(sorted(sys.modules)), file=sys.stderr)"
    _, modules = _modules_after(code)
    assert _loaded(modules, (*NOT_FOR_HELP, "click")) == []


def test_help_lists_plugin_commands_when_a_plugin_is_installed(fake_distribution: Any) -> None:
    root = fake_distribution(
        "hello-rowport",
        "hello",
        "hello_rowport_plugin",
        "from rowport import hookimpl\n\n"
        "@hookimpl\ndef rowport_register_commands(cli):\n"
        "    @cli.command('hello')\n    def hello():\n        'Say hello from a plugin.'\n",
    )
    code = "import sys\nsys.path.insert(0, sys.argv.pop(1))\n" + RUN_CLI
    out, modules = _modules_after(code, root, "--help")
    assert "hello    Say hello from a plugin." in out
    assert "pluggy" in modules


def test_no_builtin_plugin_adds_a_command() -> None:
    # `rowport --help` skips the plugin manager unless a third-party plugin is installed,
    # which is right only while no built-in implements rowport_register_commands
    host = PluginHost.load(autoload=False)
    assert host.pm.hook.rowport_register_commands.get_hookimpls() == []


EXPORT_BY_MEDIA_TYPE = """
import json, sys
import rowport
HEAVY = {heavy!r}
def loaded():
    return [name for name in HEAVY if name in sys.modules]
seen = {{}}
with rowport.Client(sys.argv[1]) as client:
    seen["client"] = loaded()
    for media in ("text", "geospatial", "document"):
        task = client.get_project(sys.argv[2 + ("text", "geospatial", "document").index(media)])
        task = task.export(plugin_options={{"media": {{"fetch": "missing"}}}})
        task.wait_till_done(600)
        assert task.status == "COMPLETE", task.errors_message
        seen[media] = loaded()
    seen["plugins"] = sorted(m for m in sys.modules if m.startswith("rowport_plugins."))
print(json.dumps(seen))
print("[]", file=sys.stderr)
"""

LAYER = {
    "tileLayerUrl": "https://tile.example/{z}/{x}/{y}.png",
    "bounds": [[-122.431, 37.762], [-122.41, 37.779]],
    "minZoom": 12,
    "maxZoom": 19,
    "epsg": "EPSG4326",
}


def _project(client: rowport.Client, media: str, row: dict[str, Any], objects: list[Any]) -> str:
    rows = client.create_dataset(media).create_data_rows([{"media_type": media, **row}])
    tools = [{"tool": "polygon", "name": "building"}, {"tool": "bbox", "name": "table"}]
    project = client.create_project(media, media, client.create_ontology(media, tools=tools))
    project.create_batch("batch", data_rows=rows)
    annotations = {"objects": objects, "classifications": [], "relationships": []}
    project.import_labels([{"data_row_id": rows[0].uid, "annotations": annotations}])
    return project.uid


def test_a_media_plugin_imports_its_dependency_when_it_first_gets_a_row(tmp_path: Path) -> None:
    pdf = tmp_path / "two-pages.pdf"
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    with pdf.open("wb") as out:
        writer.write(out)
    (west, south), (east, north) = LAYER["bounds"]  # type: ignore[misc]
    ring = [[west, south], [west, north], [east, north], [east, south], [west, south]]
    with rowport.Client(tmp_path / "home") as client:
        text = _project(client, "text", {"row_data": "a sentence"}, [])
        geo = _project(
            client,
            "geospatial",
            {"row_data": orjson.dumps(LAYER).decode()},
            [
                {
                    "name": "building",
                    "annotation_kind": "GeoPolygon",
                    "geojson": {"type": "Polygon", "coordinates": [ring]},
                }
            ],
        )
        box = {"top": 10, "left": 10, "height": 10, "width": 10}
        document = _project(
            client,
            "document",
            {"row_data": str(pdf)},
            [
                {
                    "name": "table",
                    "annotation_kind": "DocumentBoundingBox",
                    "page_number": 1,
                    "bounding_box": box,
                }
            ],
        )
    code = EXPORT_BY_MEDIA_TYPE.format(heavy=MEDIA_DEPENDENCIES)
    out, _ = _modules_after(code, tmp_path / "home", text, geo, document)
    seen = json.loads(out)
    assert seen["client"] == []
    assert seen["text"] == []  # every plugin is loaded, none of their dependencies
    assert {"rowport_plugins.geospatial", "rowport_plugins.document"} <= set(seen["plugins"])
    assert seen["geospatial"] == ["shapely", "numpy"]  # the polygon was checked with shapely
    assert "pypdf" in seen["document"]  # the PDF was read for its page sizes (pypdf may use PIL)
    assert "requests" not in seen["document"]  # a local file: no HTTP
