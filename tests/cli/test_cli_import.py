"""``rowport import FILE`` loads export-format rows and reports refused lines by number."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from clitools import ROWS, Run, Sample, read_lines

from rowport import Client


@pytest.fixture
def exported(sample: Sample, run: Run, tmp_path: Path) -> Path:
    """The sample project exported with label details, as a file."""
    path = tmp_path / "project.ndjson"
    result = run("export", "project", sample.project_id, "--param", "label_details", "-o", path)
    assert result.exit_code == 0, result.stderr
    return path


def _import(tmp_path: Path, *args: str | Path) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from rowport.cli import main

    result = CliRunner().invoke(
        main, ["--home", str(tmp_path / "fresh"), "import", *map(str, args)]
    )
    return result.exit_code, result.stdout, result.stderr


def test_import_loads_an_exported_file_and_prints_the_summary(
    exported: Path, tmp_path: Path
) -> None:
    code, out, err = _import(tmp_path, exported)
    assert code == 0, err
    assert out.strip() == f"{ROWS} lines: {ROWS} rows loaded, 0 already present, 0 failed"
    with Client(tmp_path / "fresh") as client:
        assert len(client.get_projects()[0].labels()) == 4


def test_a_second_import_of_the_same_file_changes_nothing(exported: Path, tmp_path: Path) -> None:
    _import(tmp_path, exported)
    code, out, _ = _import(tmp_path, exported, "--batch-size", "7")
    assert code == 0
    assert f"0 rows loaded, {ROWS} already present" in out


def test_a_malformed_line_is_reported_with_its_number_and_exit_code_1(
    exported: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.ndjson"
    lines = read_lines(exported)
    bad.write_text("\n".join([*lines[:3], "{not json", *lines[3:]]) + "\n")
    code, out, err = _import(tmp_path, bad)
    assert code == 1
    assert f"{ROWS} rows loaded" in out and "1 failed" in out
    assert err.startswith("line 4: not valid JSON")


def test_strict_loads_nothing_when_a_line_fails(exported: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ndjson"
    bad.write_text(exported.read_text() + '{"data_row": {}}\n')
    code, out, err = _import(tmp_path, bad, "--strict")
    assert code == 1
    assert "nothing was loaded" in out
    assert f"line {ROWS + 1}:" in err
    with Client(tmp_path / "fresh") as client:
        assert client.get_datasets() == []


def test_only_the_first_20_refused_lines_are_listed(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ndjson"
    bad.write_text("".join(orjson.dumps({"nope": i}).decode() + "\n" for i in range(25)))
    code, _, err = _import(tmp_path, bad)
    assert code == 1
    listed = [line for line in err.splitlines() if line.startswith("line ")]
    assert len(listed) == 20
    assert err.splitlines()[-1] == "... and 5 more"


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = _import(tmp_path, tmp_path / "missing.ndjson")
    assert code == 2
    assert "does not exist" in err
