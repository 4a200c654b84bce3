"""``rowport doctor``: check the catalog, the stream storage and the executor."""

from __future__ import annotations

import os

import click
import orjson

from rowport._doctor import run_checks
from rowport.cli._context import CliState, pass_state

__all__ = ["doctor"]


@click.command("doctor")
@click.option(
    "--executor",
    default=None,
    metavar="local|process[:N]|dask://HOST:PORT",
    help="The executor to check (default: $ROWPORT_EXECUTOR, else local).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per check.")
@pass_state
def doctor(state: CliState, /, executor: str | None, as_json: bool) -> None:
    """Check the configured backends (catalog, stream storage, executor) and say what is wrong.

    Exit codes: 0 every check passed, 1 one failed (its line says what to do).
    """
    if state.url:
        raise click.UsageError(
            "doctor checks the backends of a home: run it where the server runs", None
        )
    named = executor if executor is not None else os.environ.get("ROWPORT_EXECUTOR", "local")
    checks = run_checks(state.home.expanduser().absolute(), named)
    for check in checks:
        if as_json:
            click.echo(orjson.dumps({"check": check.name, "ok": check.ok, "detail": check.detail}))
        else:
            click.echo(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    failed = [check for check in checks if not check.ok]
    if failed and not as_json:
        click.echo(f"{len(failed)} of {len(checks)} checks failed", err=True)
    click.get_current_context().exit(1 if failed else 0)
