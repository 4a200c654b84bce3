"""``rowport demo``: build a sample catalog and run exports against it."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import click

from rowport.cli._context import CliState, pass_state

__all__ = ["demo"]


@click.command()
@click.option(
    "--home-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".rowport-demo"),
    show_default=True,
    help="Where the demo builds its catalog (separate from --home).",
)
@click.option(
    "--bulk-rows",
    type=click.IntRange(min=0),
    default=None,
    help="How many extra rows the demo's bulk export uses (the demo's default when unset).",
)
@pass_state
def demo(state: CliState, home_dir: Path, bulk_rows: int | None) -> None:
    """Build a sample catalog in --home-dir and export it, narrating each step."""
    # imported here, so every other command works in an install without the demo
    try:
        module = importlib.import_module("rowport.demo")
    except ImportError as exc:
        raise click.ClickException(f"the demo is not available in this install: {exc}") from None
    run_demo = getattr(module, "run_demo", None)
    if run_demo is None:
        raise click.ClickException("the demo is not available in this install (no run_demo)")
    kwargs: dict[str, Any] = {"echo": click.echo, "show_progress": state.show_progress}
    if bulk_rows is not None:
        if "bulk_rows" not in inspect.signature(run_demo).parameters:
            raise click.UsageError("this version of the demo does not take --bulk-rows")
        kwargs["bulk_rows"] = bulk_rows
    run_demo(home_dir, **kwargs)
