"""End to end: a real third-party plugin package, pip-installed, found by its entry point,
used by an export (its sink and its transform) and listed with its distribution."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

from example_support import clean_env

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import rowport
    from rowport.plugins import PluginHost
    from rowport.testing import build_catalog

    out = Path(sys.argv[1])
    host = PluginHost.load()
    listed = [
        {"name": p.name, "distribution": p.distribution, "version": p.version,
         "builtin": p.builtin, "hooks": list(p.hooks)}
        for p in host.describe()
    ]
    with rowport.Client(out / "home", plugins=host) as client:
        built = build_catalog(client, rows=4)
        project = client.get_project(built["project"])
        tagged = project.export(
            sinks=[{"name": "upper_file", "options": {"path": str(out / "keys.txt")}}],
            plugin_options={"example_tag": True},
        )
        tagged.wait_till_done(timeout_seconds=60, check_frequency=0.01)
        plain = project.export()
        plain.wait_till_done(timeout_seconds=60, check_frequency=0.01)
        print(json.dumps({
            "plugins": listed,
            "sinks": sorted(host.sink_factories()),
            "keys": built["global_keys"],
            "status": [tagged.status, plain.status],
            "tagged": [o.json["data_row"] for o in tagged.get_buffered_stream()],
            "plain": [o.json["data_row"] for o in plain.get_buffered_stream()],
        }))
    """
)


def _run(python: Path, tmp_path: Path) -> dict[str, object]:
    done = subprocess.run(
        [str(python), "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_installed_example_sink_and_transform_run_in_an_export(
    example_python: Path, tmp_path: Path
):
    result = _run(example_python, tmp_path)
    assert result["status"] == ["COMPLETE", "COMPLETE"]
    keys = result["keys"]
    assert isinstance(keys, list)
    assert (tmp_path / "keys.txt").read_text().splitlines() == [k.upper() for k in keys]
    assert not (tmp_path / "keys.txt.partial").exists()
    tagged, plain = result["tagged"], result["plain"]
    assert isinstance(tagged, list) and isinstance(plain, list)
    assert [row["example_tag"] for row in tagged] == ["seen-by-example"] * 4
    assert all("example_tag" not in row for row in plain)  # only when the export asks


def test_installed_example_is_listed_with_its_distribution_and_version(
    example_python: Path, tmp_path: Path
):
    result = _run(example_python, tmp_path)
    plugins = result["plugins"]
    assert isinstance(plugins, list)
    (example,) = [p for p in plugins if p["name"] == "sink_example"]
    assert example["distribution"] == "rowport-sink-example"
    assert example["version"] == "0.1.0"
    assert example["builtin"] is False
    assert example["hooks"] == ["rowport_register_sinks", "rowport_transform_rows"]
    assert "upper_file" in result["sinks"] and "ndjson_file" in result["sinks"]
