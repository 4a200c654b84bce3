"""docs/cli.md's reference parts say what the command line has: the export options table names
every option of ``rowport export``, and the ``rowport plugins`` sample is what the command
prints for the built-in plugins. (Transcript output is not compared by the example runner, so
a sample can go stale without this.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
from docblocks import SHELL, extract_blocks

from rowport.cli import main

CLI_MD = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _export_options_table() -> str:
    text = CLI_MD.read_text(encoding="utf-8")
    start = text.index("Options (every kind):")
    return text[start : text.index("\n\n", text.index("| --- |", start))]


def _long_options(command: click.Command) -> set[str]:
    return {
        name
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden
        for name in (*param.opts, *param.secondary_opts)
        if name.startswith("--") and name != "--help"
    }


def test_the_export_options_table_names_every_option_of_every_kind() -> None:
    table = _export_options_table()
    named = set(re.findall(r"^\| `(?:-\w, )?(--[\w-]+)", table, flags=re.M))
    ctx = click.Context(main)
    export = main.get_command(ctx, "export")
    assert isinstance(export, click.Group)
    for kind in export.list_commands(ctx):
        command = export.get_command(ctx, kind)
        assert command is not None
        missing = _long_options(command) - named
        assert not missing, f"docs/cli.md's export options table lacks {missing} ({kind})"


def _builtin_blocks(text: str) -> list[str]:
    """The ``rowport plugins`` blocks (a header line and its indented lines) of built-ins."""
    blocks = re.split(r"\n(?=\S)", text.strip())
    return [block for block in blocks if "(built-in)" in block.splitlines()[0]]


def test_the_plugins_sample_is_what_rowport_plugins_prints(tmp_path: Path) -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    sample = re.search(r"```console\n\$ rowport plugins\n(.*?)```", text, flags=re.S)
    assert sample is not None, "docs/cli.md has no `rowport plugins` transcript"
    printed = subprocess.run(
        [sys.executable, "-m", "rowport.cli", "--home", str(tmp_path / "home"), "plugins"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert _builtin_blocks(sample.group(1)) == _builtin_blocks(printed)


def test_the_readme_puts_rowport_on_path_before_its_first_rowport_command() -> None:
    # the doc test runs blocks with the venv's bin/ on PATH; a new user's shell has no
    # rowport until the venv is activated (``rowport: command not found`` otherwise)
    readme = CLI_MD.parents[1] / "README.md"
    lines = [
        line.split("#", 1)[0].strip()
        for block in extract_blocks(readme)
        if block.lang in SHELL and block.no_run is None
        for line in block.source.splitlines()
    ]
    first = next(i for i, line in enumerate(lines) if re.search(r"(^|[\s$(])rowport\b", line))
    assert lines[first].startswith(".venv/bin/rowport") or any(
        line.startswith(("source .venv/bin/activate", ". .venv/bin/activate"))
        for line in lines[:first]
    ), f"README.md runs {lines[first]!r} before rowport is on PATH"
