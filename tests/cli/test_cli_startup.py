"""The console script answers ``--version`` and ``--help`` before click loads, with exactly
click's text; everything else (and any case where the text could differ) goes to click."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import rowport
from rowport._startup import PLAIN_WIDTH, TOP_LEVEL_HELP, plugins_installed, terminal_columns
from rowport.cli import main

# rowport as its console script runs it, then the modules it imported (on stderr)
CONSOLE_SCRIPT = """
import json, sys
from rowport._startup import run
sys.argv[0] = "rowport"
try:
    run()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _run(*args: str, **env: str) -> tuple[str, set[str]]:
    base = {k: v for k, v in os.environ.items() if k not in ("ROWPORT_HOME", "COLUMNS")}
    done = subprocess.run(
        [sys.executable, "-c", CONSOLE_SCRIPT, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **env},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, set(json.loads(done.stderr.splitlines()[-1]))


def _click_help(columns: int) -> str:
    """``rowport --help`` as click renders it on a terminal of ``columns`` columns."""
    width = max(min(columns, 80) - 2, 50)  # what click's HelpFormatter makes of the terminal
    result = CliRunner().invoke(main, ["--help"], terminal_width=width, prog_name="rowport")
    assert result.exit_code == 0
    return result.stdout


def test_the_help_kept_for_the_console_script_is_what_click_renders() -> None:
    rendered = _click_help(PLAIN_WIDTH)
    assert rendered == TOP_LEVEL_HELP, (
        "rowport._startup.TOP_LEVEL_HELP is stale (the top-level group's options or a command"
        f" summary changed); set it to:\n{rendered}"
    )


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_is_printed_without_importing_click(flag: str) -> None:
    out, modules = _run(flag)
    assert out == TOP_LEVEL_HELP
    assert "click" not in modules and "rowport.cli" not in modules


def test_version_is_printed_without_importing_click() -> None:
    out, modules = _run("--version")
    assert out == f"rowport, version {rowport.__version__}\n"
    assert out == CliRunner().invoke(main, ["--version"]).stdout
    assert "click" not in modules


def test_a_narrow_terminal_gets_click_s_own_wrapping() -> None:
    out, modules = _run("--help", COLUMNS="60")
    assert out == _click_help(60) != TOP_LEVEL_HELP
    assert "click" in modules


def test_any_other_command_line_goes_to_click() -> None:
    out, modules = _run("tasks", "--help")
    assert out.startswith("Usage: rowport tasks [OPTIONS] COMMAND [ARGS]...")
    assert "click" in modules


def test_terminal_columns_reads_columns_like_shutil(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "123")
    assert terminal_columns() == 123
    monkeypatch.setenv("COLUMNS", "not a number")
    assert terminal_columns() > 0


def test_an_installed_plugin_is_seen_and_its_commands_listed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    info = site / "hello_rowport-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hello-rowport\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[console_scripts]\nx = y\n\n[rowport]\nhello = hello\n")
    (site / "hello.py").write_text(
        "from rowport import hookimpl\n\n"
        "@hookimpl\ndef rowport_register_commands(cli):\n"
        "    @cli.command('hello')\n    def hello():\n        'Say hello from a plugin.'\n"
    )
    assert not plugins_installed()
    out, modules = _run("--help", PYTHONPATH=os.pathsep.join([str(site), *sys.path]))
    assert "  hello    Say hello from a plugin.\n" in out
    assert "click" in modules
    _, modules = _run(
        "--help",
        PYTHONPATH=os.pathsep.join([str(site), *sys.path]),
        ROWPORT_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    assert "click" not in modules
