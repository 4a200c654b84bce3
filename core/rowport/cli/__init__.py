"""The ``rowport`` command line: import rows, export them, and manage export tasks.

Every command is registered by :func:`register_commands`, the one place a plugin hook will
add its own commands later. A :class:`~rowport.errors.RowportError` ends a command with one
``Error: ...`` line on stderr and exit code 1; usage errors exit with 2.

The ``rowport`` group imports a built-in command's module only when that command runs (or its
own ``--help`` is asked for): ``rowport --help`` and ``--version`` load click and nothing of
the catalog, the tasks or the plugins.
"""

from __future__ import annotations

from pathlib import Path

import click

import rowport
from rowport._home import DEFAULT_HOME
from rowport.cli._context import BuiltinCommand, CliState, RowportGroup

__all__ = ["BUILTIN_COMMANDS", "CliState", "builtin_commands", "main", "register_commands"]

# in the order --help lists them; the summary is the first paragraph of the command's help,
# shown by --help without importing the command (a test keeps the two the same)
BUILTIN_COMMANDS = (
    BuiltinCommand(
        "import",
        "rowport.cli._import:import_rows",
        "Load FILE, NDJSON rows in the export format (as `rowport export` writes them).",
    ),
    BuiltinCommand(
        "export",
        "rowport.cli._export:export",
        "Export rows as NDJSON: start a task, show its progress, write its streams.",
    ),
    BuiltinCommand(
        "tasks",
        "rowport.cli._tasks:tasks",
        "List, inspect, wait for, cancel and read export tasks.",
    ),
    BuiltinCommand(
        "report",
        "rowport.cli._report:report",
        "Write a task's report as one HTML file: request, progress, plot, errors.",
    ),
    BuiltinCommand(
        "ls",
        "rowport.cli._ls:ls",
        "List datasets, projects, model runs, slices or tasks with their ids and counts.",
    ),
    BuiltinCommand(
        "media",
        "rowport.cli._media:media",
        "Fill media attributes in the catalog by reading the media.",
    ),
    BuiltinCommand(
        "plugins",
        "rowport.cli._plugins:plugins",
        "List installed plugins: built-ins and packages using the ``rowport`` entry point.",
    ),
    BuiltinCommand(
        "serve",
        "rowport.cli._serve:serve",
        "Serve the home over HTTP: the API under /api/v1, keys required (`rowport keys`).",
    ),
    BuiltinCommand(
        "keys",
        "rowport.cli._keys:keys",
        "Create, list and revoke API keys for `rowport serve`.",
    ),
    BuiltinCommand(
        "doctor",
        "rowport.cli._doctor:doctor",
        "Check the configured backends (catalog, stream storage, executor) and say what is wrong.",
    ),
    BuiltinCommand(
        "demo",
        "rowport.cli._demo:demo",
        "Build a sample catalog in --home-dir and export it, narrating each step.",
    ),
)


@click.group(
    "rowport",
    cls=RowportGroup,
    builtins=BUILTIN_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ROWPORT_HOME",
    default=Path(DEFAULT_HOME),
    show_default=True,
    show_envvar=True,
    help="The rowport home: catalog.db and tasks/.",
)
@click.option(
    "--url",
    envvar="ROWPORT_URL",
    default=None,
    show_envvar=True,
    help="A rowport serve server to act on instead of --home.",
)
@click.option(
    "--api-key",
    envvar="ROWPORT_API_KEY",
    default=None,
    show_envvar=True,
    help="The key sent to --url.",
)
@click.version_option(rowport.__version__, "--version", prog_name="rowport")
@click.pass_context
def main(ctx: click.Context, home: Path, url: str | None, api_key: str | None) -> None:
    """rowport: export labelled ML data rows as resumable NDJSON streams."""
    state = CliState(home=home, url=url, api_key=api_key)
    ctx.obj = state
    ctx.call_on_close(state.close)


def builtin_commands() -> list[click.Command]:
    """rowport's own commands, in the order ``--help`` lists them (each module imported)."""
    return [command.load() for command in BUILTIN_COMMANDS]


def register_commands(group: click.Group) -> None:
    """Add the built-in commands to ``group``; plugins add theirs when the group first lists
    or looks up a command (``rowport_register_commands``).

    The ``rowport`` group itself holds the built-ins as :data:`BUILTIN_COMMANDS` and imports
    each one when it is first looked up.
    """
    for command in builtin_commands():
        group.add_command(command)
