"""What one ``rowport`` invocation shares: its home and one client, opened on first use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import click

from rowport.client import Client
from rowport.errors import RowportError

__all__ = ["CliState", "RowportGroup", "pass_state"]


@attrs.define
class CliState:
    """The ``--home`` of this invocation and its client.

    The client is created when a command first needs it (so ``--help``, ``demo`` and usage
    errors never open a catalog) and closed once when the invocation ends.
    """

    home: Path
    timezone: str = "UTC"
    show_progress: bool | None = None
    _client: Client | None = attrs.field(default=None, init=False)

    @property
    def client(self) -> Client:
        """The client on :attr:`home`, opened on first use."""
        if self._client is None:
            self._client = Client(self.home, timezone=self.timezone)
        return self._client

    def close(self) -> None:
        """Close the client if it was opened (this waits for exports it started)."""
        if self._client is not None:
            client, self._client = self._client, None
            client.close()


pass_state = click.make_pass_decorator(CliState)


class RowportGroup(click.Group):
    """The top-level group: a :class:`RowportError` becomes one ``Error: ...`` line, exit 1.

    Plugin commands (``rowport_register_commands``) are added the first time the group lists
    or looks up its commands, so importing the CLI loads no plugin.
    """

    _plugins_added = False

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
        self._add_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self._add_plugin_commands()
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RowportError as exc:
            raise click.ClickException(str(exc)) from exc
