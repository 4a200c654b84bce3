"""``rowport export`` with sinks, the error policy and plugin options."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from rowport.cli import main
from rowport.testing import build_catalog, make_client


def _home(tmp_path: Path) -> tuple[Path, str]:
    home = tmp_path / "home"
    client = make_client(tmp_path)
    ids = build_catalog(client, rows=5)
    client.close()
    return home, ids["project"]


def test_export_delivers_to_a_sink_named_on_the_command_line(tmp_path):
    home, project = _home(tmp_path)
    out, copy = tmp_path / "out.ndjson", tmp_path / "copy.ndjson"
    result = CliRunner().invoke(
        main,
        [
            "--home",
            str(home),
            "export",
            "project",
            project,
            "-o",
            str(out),
            "--sink",
            "ndjson_file",
            "--sink-option",
            f"path={copy}",
        ],
    )
    assert result.exit_code == 0, result.output
    assert copy.read_bytes() == out.read_bytes()
    assert len(out.read_bytes().splitlines()) == 5


def test_sink_options_name_their_sink_when_there_are_several(tmp_path):
    home, project = _home(tmp_path)
    a, b = tmp_path / "a.ndjson", tmp_path / "b.json"
    result = CliRunner().invoke(
        main,
        [
            "--home",
            str(home),
            "export",
            "project",
            project,
            "-o",
            str(tmp_path / "o"),
            "--sink",
            "ndjson_file",
            "--sink",
            "json_array_file",
            "--sink-option",
            f"ndjson_file.path={a}",
            "--sink-option",
            f"json_array_file.path={b}",
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(a.read_bytes().splitlines()) == 5
    assert b.read_bytes().startswith(b"[")


def test_an_unknown_sink_is_a_usage_error_and_starts_nothing(tmp_path):
    home, project = _home(tmp_path)
    result = CliRunner().invoke(
        main, ["--home", str(home), "export", "project", project, "--sink", "carrier_pigeon"]
    )
    assert result.exit_code == 2
    assert "carrier_pigeon" in result.output and "ndjson_file" in result.output
    tasks = CliRunner().invoke(main, ["--home", str(home), "tasks", "list", "--json"])
    assert tasks.output.strip() in ("", "[]")


def test_error_policy_options_reach_the_task(tmp_path):
    home, project = _home(tmp_path)
    result = CliRunner().invoke(
        main,
        [
            "--home",
            str(home),
            "export",
            "project",
            project,
            "-o",
            str(tmp_path / "o"),
            "--on-row-error",
            "skip",
            "--max-error-ratio",
            "0.5",
            "--plugin-option",
            "level=3",
        ],
    )
    assert result.exit_code == 0, result.output
    client = make_client(tmp_path)
    (task,) = client.get_tasks()
    options = task.metadata["request"]["options"]
    client.close()
    assert options == {
        "on_row_error": "skip",
        "max_error_ratio": 0.5,
        "plugin_options": {"level": 3},
    }


def test_a_bad_max_error_ratio_is_a_usage_error(tmp_path):
    home, project = _home(tmp_path)
    result = CliRunner().invoke(
        main, ["--home", str(home), "export", "project", project, "--max-error-ratio", "7"]
    )
    assert result.exit_code == 2
    assert "max_error_ratio" in result.output
