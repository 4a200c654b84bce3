"""The end of ``rowport demo``: the validation fixtures' ERRORS and what to do next."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from rowport.cli import main
from rowport.demo import run_demo


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    home = tmp_path_factory.mktemp("next") / "demo home"
    lines: list[str] = []
    run_demo(home, echo=lines.append, show_progress=False, bulk_rows=0)
    return home, "\n".join(lines).splitlines()


def _after(lines: list[str], start: str) -> list[str]:
    index = next(i for i, line in enumerate(lines) if line.startswith(start))
    return lines[index + 1 :]


def test_the_demo_exports_its_validation_fixtures_and_counts_errors_by_code(
    demo_output: tuple[Path, list[str]],
) -> None:
    _, lines = demo_output
    assert any(line.startswith("Validation: 7 'validation fixtures' projects") for line in lines)
    (totals,) = [line for line in lines if line.startswith("Their exports wrote")]
    total = int(re.search(r"(\d+) ERRORS lines", totals).group(1))  # type: ignore[union-attr]
    codes: dict[str, int] = {}
    for line in _after(lines, "Their exports wrote"):
        found = re.fullmatch(r"  ([A-Z_]+) +(\d+)", line)
        if found is None:
            break
        codes[found.group(1)] = int(found.group(2))
    assert total >= 8 and sum(codes.values()) == total
    assert {"BBOX_OUT_OF_BOUNDS", "ENTITY_OUT_OF_RANGE", "SEGMENT_INVALID"} <= set(codes)
    example = _after(lines, "  for example, demo/broken/")
    assert example[0].startswith("    ") and len(example[0]) > 20


def test_the_demo_ends_with_where_its_catalog_is_and_how_to_reach_it(
    demo_output: tuple[Path, list[str]],
) -> None:
    home, lines = demo_output
    text = "\n".join(lines)
    assert f"The demo catalog is in {home}/" in text
    assert f"--home {shlex.quote(str(home))}" in text
    assert f"ROWPORT_HOME={home}" in text
    assert lines.index("Try:") == len(lines) - 4


def test_the_three_suggested_commands_work(
    demo_output: tuple[Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, lines = demo_output
    monkeypatch.chdir(tmp_path)
    commands = [shlex.split(line, comments=True) for line in lines[-3:]]
    assert all(argv[0] == "rowport" for argv in commands)
    results = [CliRunner().invoke(main, argv[1:], catch_exceptions=False) for argv in commands]
    assert [r.exit_code for r in results] == [0, 0, 0], [r.output for r in results]
    assert "PROJECTS (15)" in results[0].stdout
    assert (tmp_path / "image.ndjson").stat().st_size > 0
    errors = [orjson.loads(line) for line in results[2].stdout.splitlines()]
    assert errors and all(e["stage"] == "validate" for e in errors)
