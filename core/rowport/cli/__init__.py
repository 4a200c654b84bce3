"""The ``rowport`` command line: import rows, export them, and manage export tasks.

Every command is registered by :func:`register_commands`, the one place a plugin hook will
add its own commands later. A :class:`~rowport.errors.RowportError` ends a command with one
``Error: ...`` line on stderr and exit code 1; usage errors exit with 2.
"""

from __future__ import annotations

from pathlib import Path

import click

import rowport
from rowport.cli._context import CliState, RowportGroup
from rowport.client import DEFAULT_HOME

__all__ = ["CliState", "builtin_commands", "main", "register_commands"]


@click.group("rowport", cls=RowportGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ROWPORT_HOME",
    default=Path(DEFAULT_HOME),
    show_default=True,
    show_envvar=True,
    help="The rowport home: catalog.db and tasks/.",
)
@click.version_option(rowport.__version__, "--version", prog_name="rowport")
@click.pass_context
def main(ctx: click.Context, home: Path) -> None:
    """rowport: export labelled ML data rows as resumable NDJSON streams."""
    state = CliState(home=home)
    ctx.obj = state
    ctx.call_on_close(state.close)


def builtin_commands() -> list[click.Command]:
    """rowport's own commands, in the order ``--help`` lists them."""
    from rowport.cli._demo import demo
    from rowport.cli._export import export
    from rowport.cli._import import import_rows
    from rowport.cli._plugins import plugins
    from rowport.cli._tasks import tasks

    return [import_rows, export, tasks, plugins, demo]


def register_commands(group: click.Group) -> None:
    """Add the built-in commands to ``group``; plugins add theirs when the group first lists
    or looks up a command (``rowport_register_commands``)."""
    for command in builtin_commands():
        group.add_command(command)


register_commands(main)
