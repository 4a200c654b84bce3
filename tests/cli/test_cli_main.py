"""The ``rowport`` group: version, home, command registration, clean errors, ``demo``."""

from __future__ import annotations

import inspect
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from clitools import Boom, Run, Sample, add_step

import rowport
from rowport import Client
from rowport.cli import builtin_commands, main, register_commands


def test_version_prints_the_package_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.stdout == f"rowport, version {rowport.__version__}\n"


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    for name in ("import", "export", "tasks", "demo", "--home", "ROWPORT_HOME"):
        assert name in result.stdout


def test_rowport_home_comes_from_the_environment(sample: Sample) -> None:
    with Client(sample.home) as client:
        client.get_dataset(sample.dataset_id).export().wait_till_done()
    result = CliRunner().invoke(
        main, ["tasks", "list", "--json"], env={"ROWPORT_HOME": str(sample.home)}
    )
    assert result.exit_code == 0
    assert '"status": "COMPLETE"' in result.stdout


def test_register_commands_adds_the_builtins_to_any_group() -> None:
    group = click.Group("other")
    register_commands(group)
    assert sorted(group.commands) == sorted(c.name or "" for c in builtin_commands())
    assert sorted(group.commands) == [
        "demo",
        "doctor",
        "export",
        "import",
        "keys",
        "ls",
        "media",
        "plugins",
        "report",
        "serve",
        "tasks",
    ]


def test_an_export_that_fails_exits_1_with_the_task_error(
    sample: Sample, run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from rowport.cli import _context

    def failing_client(home: Path, **kwargs: Any) -> Client:
        client = Client(home, **kwargs)
        add_step(client, Boom())
        return client

    monkeypatch.setattr(_context, "Client", failing_client)
    errors = tmp_path / "errors.ndjson"
    result = run("export", "dataset", sample.dataset_id, "--errors-file", errors)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "FAILED: 0 rows" in result.stderr
    assert "failed: RuntimeError: the disk caught fire" in result.stderr
    assert "TASK_FAILED" in errors.read_text()


def test_a_bad_home_is_one_clean_error_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = CliRunner().invoke(main, ["--home", str(blocker / "home"), "tasks", "list"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output


@pytest.fixture
def fake_demo(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace ``rowport.demo`` with a module recording how ``run_demo`` was called."""
    calls: list[dict[str, Any]] = []
    module = types.ModuleType("rowport.demo")

    def run_demo(home: Path, *, echo: Any, show_progress: Any = None, bulk_rows: int = 5) -> None:
        calls.append({"home": home, "show_progress": show_progress, "bulk_rows": bulk_rows})
        echo("demo ran")

    module.run_demo = run_demo  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "rowport.demo", module)
    return calls


def test_demo_calls_run_demo_with_its_home_and_bulk_rows(
    fake_demo: list[dict[str, Any]], tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        main, ["demo", "--home-dir", str(tmp_path / "d"), "--bulk-rows", "7"]
    )
    assert result.exit_code == 0
    assert result.stdout == "demo ran\n"
    assert fake_demo == [{"home": tmp_path / "d", "show_progress": None, "bulk_rows": 7}]


def test_demo_defaults_to_rowport_demo_and_the_demo_s_bulk_rows(
    fake_demo: list[dict[str, Any]],
) -> None:
    CliRunner().invoke(main, ["demo"])
    assert fake_demo[0]["home"] == Path(".rowport-demo")
    assert fake_demo[0]["bulk_rows"] == 5


def test_demo_without_the_demo_module_is_a_clean_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rowport.demo", None)
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the demo is not available in this install")


def test_help_lists_builtins_by_their_own_summaries_without_importing_them() -> None:
    from rowport.cli import BUILTIN_COMMANDS
    from rowport.cli._context import RowportGroup

    for builtin in BUILTIN_COMMANDS:
        help_text = inspect.cleandoc(builtin.load().help or "")
        assert builtin.summary == help_text.split("\n\n")[0], builtin.name

    def help_of(group: click.Group) -> str:
        with click.Context(group, info_name="rowport", terminal_width=60) as ctx:
            return group.get_help(ctx)

    lazy = RowportGroup("rowport", builtins=BUILTIN_COMMANDS)
    loaded = RowportGroup("rowport", builtins=BUILTIN_COMMANDS)
    register_commands(loaded)
    assert help_of(lazy) == help_of(loaded)
    assert lazy.commands == {}  # listing them imported none


def test_python_m_rowport_is_the_rowport_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rowport", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (0, f"rowport, version {rowport.__version__}\n")
