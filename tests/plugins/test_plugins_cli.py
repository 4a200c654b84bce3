"""``rowport plugins`` and plugin-contributed commands."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rowport.cli import main

COMMAND_PLUGIN = """
import click
from rowport import hookimpl

@hookimpl
def rowport_declare_media_types():
    return ["text"]

@hookimpl
def rowport_validate_rows(rows):
    return None

@hookimpl
def rowport_register_commands(cli):
    @cli.command("hello")
    def hello():
        click.echo("hello from a plugin")
"""


@pytest.fixture
def fresh_main(monkeypatch):
    monkeypatch.setattr(main, "_plugins_added", False)
    before = dict(main.commands)
    yield main
    main.commands.clear()
    main.commands.update(before)


def test_plugins_lists_builtins_and_installed_packages(fake_distribution, fresh_main):
    fake_distribution("hello-rowport", "hello", "hello_rowport_plugin", COMMAND_PLUGIN)
    result = CliRunner().invoke(fresh_main, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in map(json.loads, result.output.splitlines())}
    assert rows["hello"]["source"] == "hello-rowport"
    assert rows["hello"]["version"] == "1.2.3"
    assert rows["hello"]["media_types"] == ["text"]
    assert "rowport_validate_rows" in rows["hello"]["hooks"]
    assert rows["rowport_plugins.sinks"]["source"] == "built-in"


def test_a_plugin_adds_a_cli_command(fake_distribution, fresh_main):
    fake_distribution("hello-rowport", "hello", "hello_rowport_plugin", COMMAND_PLUGIN)
    result = CliRunner().invoke(fresh_main, ["hello"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "hello from a plugin"


def test_a_broken_plugin_is_reported_by_plugins(fake_distribution, fresh_main):
    fake_distribution("bad-rowport", "bad", "bad_rowport_plugin", "raise RuntimeError('boom')")
    with pytest.warns(RuntimeWarning):
        result = CliRunner().invoke(fresh_main, ["plugins"])
    assert result.exit_code == 0
    assert "bad-rowport" in result.output and "boom" in result.output
