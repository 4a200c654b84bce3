"""``rowport serve``: run the HTTP API of a home with uvicorn.

It binds 127.0.0.1 by default and refuses any other address unless ``--allow-remote`` is
given. When it listens it prints ``rowport serve: listening on http://HOST:PORT`` (the real
port when ``--port 0`` asked for any free one). SIGTERM or Ctrl-C stops it gracefully: it
stops accepting, lets open requests end (up to ``--shutdown-timeout`` seconds), then
interrupts the exports still running: each ends CANCELED after its current batch, and
``rowport serve --resume`` continues it where it stopped.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import sys
from pathlib import Path

import click

from rowport._exit_codes import USAGE
from rowport.cli._context import CliState, pass_state

__all__ = ["serve"]

READY_LINE = "rowport serve: listening on {url}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to bind.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="The port (0: any free one, printed when listening).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Exports that run at once per organization.",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow binding an address other hosts can reach (keys are the only protection).",
)
@click.option(
    "--max-body-bytes",
    type=click.IntRange(1),
    default=16 * 1024 * 1024,
    show_default=True,
    help="The largest JSON request body (larger: 413).",
)
@click.option(
    "--shutdown-timeout",
    type=click.IntRange(0),
    default=10,
    show_default=True,
    help="Seconds open requests get to end on SIGTERM before they are closed.",
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The home to serve (default: rowport's --home).",
)
@click.option("--quiet", is_flag=True, help="No per-request log lines on stderr.")
@click.option(
    "--resume",
    is_flag=True,
    help="At start, resume the exports a stopped or killed server left interrupted.",
)
@click.option(
    "--timezone",
    default="UTC",
    show_default=True,
    help="The IANA zone the reference SDK's user is in: it sends naive date filters in it.",
)
@pass_state
def serve(
    state: CliState,
    home: Path | None,
    host: str,
    port: int,
    workers: int,
    allow_remote: bool,
    max_body_bytes: int,
    shutdown_timeout: int,
    quiet: bool,
    resume: bool,
    timezone: str,
) -> None:
    """Serve the home over HTTP: the API under /api/v1, keys required (`rowport keys`)."""
    if not _is_loopback(host) and not allow_remote:
        click.echo(
            f"Error: {host} is not a loopback address: other hosts could reach the server."
            " Pass --allow-remote to bind it anyway.",
            err=True,
        )
        sys.exit(USAGE)
    from rowport.errors import InvalidExportRequest
    from rowport.request._dates import resolve_zone

    try:
        resolve_zone(timezone)
    except InvalidExportRequest as exc:
        raise click.BadParameter(str(exc), param_hint="--timezone") from None
    import uvicorn

    from rowport.server import ServerSettings, create_app

    _log_to_stderr(quiet)
    settings = ServerSettings(
        home=Path(home or state.home),
        max_body_bytes=max_body_bytes,
        export_workers=workers,
        resume=resume,
        timezone=timezone,
    )
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=shutdown_timeout,
        lifespan="on",
    )
    server = _ReadyServer(config)
    asyncio.run(server.serve())


class _ReadyServer:
    """uvicorn's server, printing the readiness line once its sockets listen."""

    def __init__(self, config: object) -> None:
        import uvicorn

        assert isinstance(config, uvicorn.Config)
        self._server = uvicorn.Server(config)
        self._config = config

    async def serve(self) -> None:
        task = asyncio.ensure_future(self._server.serve())
        while not self._server.started:
            if task.done():
                await task  # a bind failure: let its error show
                return
            await asyncio.sleep(0.02)
        for server in self._server.servers:
            for sock in server.sockets:
                bound_host, bound_port = sock.getsockname()[:2]
                shown = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
                click.echo(READY_LINE.format(url=f"http://{shown}:{bound_port}"))
                sys.stdout.flush()
                break
            break
        await task


def _log_to_stderr(quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("rowport.server.access", "rowport.server"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING if quiet and name.endswith("access") else logging.INFO)
        logger.propagate = False
