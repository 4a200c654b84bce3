"""What one ``rowport`` invocation shares: its home and one client, opened on first use; and
the top-level group, which imports a command's module only when that command is used."""

from __future__ import annotations

import contextlib
import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import click

from rowport._exit_codes import INTERRUPTED, SINK_FAILED, USAGE
from rowport._startup import plugins_installed
from rowport.errors import RowportError

if TYPE_CHECKING:
    from rowport.client import Client

__all__ = [
    "INTERRUPTED",
    "SINK_FAILED",
    "USAGE",
    "BuiltinCommand",
    "CliState",
    "RowportGroup",
    "pass_state",
]


def __getattr__(name: str) -> Any:
    # ``Client`` is imported on first use (the catalog is slow to import, ``--help`` needs
    # none of it); tests replace it here to hand commands a client of their own
    if name == "Client":
        from rowport.client import Client

        globals()["Client"] = Client
        return Client
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class CliState:
    """The ``--home`` of this invocation and its client.

    The client is created when a command first needs it (so ``--help``, ``demo`` and usage
    errors never open a catalog) and closed once when the invocation ends. (A plain class,
    not attrs: ``rowport --help`` creates none, and importing attrs costs more than Python's
    own start.)
    """

    def __init__(
        self,
        home: Path,
        timezone: str = "UTC",
        show_progress: bool | None = None,
        *,
        url: str | None = None,
        api_key: str | None = None,
    ) -> None:
        self.home = home
        self.url = url
        self.api_key = api_key
        self.timezone = timezone
        self.show_progress = show_progress
        #: where embedded exports run (``--executor``; None: ``$ROWPORT_EXECUTOR`` or local)
        self.executor: str | None = None
        self._client: Client | None = None

    def __repr__(self) -> str:
        return f"CliState(home={self.home!r}, timezone={self.timezone!r})"

    @property
    def where(self) -> str:
        """What this invocation acts on: the server's URL, or the home."""
        return self.url or str(self.home)

    @property
    def client(self) -> Client:
        """The client on :attr:`home`, opened on first use."""
        if self._client is None:
            client_type = cast("type[Client]", globals().get("Client") or __getattr__("Client"))
            if self.url:
                self._client = client_type(self.url, api_key=self.api_key, timezone=self.timezone)
            else:
                self._client = client_type(
                    self.home, timezone=self.timezone, executor=self.executor
                )
        return self._client

    def cancel_exports(self) -> int:
        """Ask every export this invocation started and that still runs to stop; returns how
        many (the client, when it closes, waits for them to end)."""
        if self._client is None or self._client.is_remote:
            return 0  # a server's exports are its own: `rowport tasks cancel` stops one
        manager = self._client._tasks
        running = manager.running()
        for task_id in running:
            manager.cancel(task_id)
        return len(running)

    def close(self) -> None:
        """Close the client if it was opened (this waits for exports it started; Ctrl-C
        while waiting cancels them and ends the command with exit code 130)."""
        if self._client is not None:
            client, self._client = self._client, None
            try:
                client.close()
            except KeyboardInterrupt:
                click.echo("", err=True)
                click.echo("interrupted: canceling the exports this command started", err=True)
                with contextlib.suppress(KeyboardInterrupt):
                    client._tasks.shutdown(wait=True, cancel_running=True)
                    client.catalog.close()
                raise click.exceptions.Exit(INTERRUPTED) from None


pass_state = click.make_pass_decorator(CliState)


class BuiltinCommand(NamedTuple):
    """A built-in command the group imports when it is first used."""

    name: str
    target: str  # "module:attribute"
    summary: str  # the first paragraph of its help, for the group's --help

    def load(self) -> click.Command:
        """Import the command."""
        module, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command


class RowportGroup(click.Group):
    """The top-level group: a :class:`RowportError` becomes one ``Error: ...`` line, exit 1.

    Built-in commands are imported when first looked up; ``--help`` lists them by their
    summaries. Plugin commands (``rowport_register_commands``) are added the first time a
    command is looked up that is not a built-in, or when the group lists its commands and a
    third-party plugin is installed (no built-in plugin adds a command), so neither importing
    the CLI nor ``rowport --help`` loads a plugin.
    """

    _plugins_added = False

    def __init__(
        self, *args: Any, builtins: tuple[BuiltinCommand, ...] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.builtins = {command.name: command for command in builtins}

    def _add_plugin_commands(self) -> None:
        if self._plugins_added:
            return
        self._plugins_added = True
        from rowport.plugins import PluginHost

        try:
            PluginHost.load().register_commands(self)
        except Exception as exc:  # a broken plugin must not take the CLI down
            click.echo(f"warning: plugin commands not loaded: {exc}", err=True)

    def list_commands(self, ctx: click.Context) -> list[str]:
        if plugins_installed():
            self._add_plugin_commands()
        return sorted({*self.commands, *self.builtins})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            builtin = self.builtins.get(cmd_name)
            if builtin is not None:
                self.add_command(builtin.load())
            else:
                self._add_plugin_commands()
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands as click does, built-ins not yet imported by their summaries."""
        rows: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None and name in self.builtins:
                command = click.Command(name, help=self.builtins[name].summary)
            if command is not None and not command.hidden:
                rows.append((name, command))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl(
                    [(name, command.get_short_help_str(limit)) for name, command in rows]
                )

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RowportError as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:
            click.echo("", err=True)
            state = ctx.obj
            canceled = state.cancel_exports() if isinstance(state, CliState) else 0
            click.echo(
                "interrupted"
                + (
                    f": canceling the {canceled} export(s) this command started" if canceled else ""
                ),
                err=True,
            )
            raise click.exceptions.Exit(INTERRUPTED) from None
        except OSError as exc:
            raise click.ClickException(_os_error(exc)) from None
        except Exception as exc:
            # a catalog that cannot be used; sqlite3 is imported only by commands that open one
            sqlite3 = sys.modules.get("sqlite3")
            if sqlite3 is not None and isinstance(exc, sqlite3.Error):
                home = getattr(ctx.obj, "home", None)
                raise click.ClickException(f"the catalog in {home} cannot be used: {exc}") from None
            raise


def _os_error(exc: OSError) -> str:
    """``[Errno 13] Permission denied: 'x'`` as ``permission denied: x``."""
    text = exc.strerror or str(exc)
    text = text[:1].lower() + text[1:]
    names = [str(name) for name in (exc.filename, exc.filename2) if name is not None]
    return f"{text}: {' -> '.join(names)}" if names else text
