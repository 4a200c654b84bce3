"""``rowport import FILE``: load rows in the export format into the catalog, keeping their ids."""

from __future__ import annotations

from pathlib import Path

import click

from rowport._exit_codes import INTERRUPTED
from rowport._progress import progress_bar
from rowport.catalog import IngestProgress
from rowport.cli._context import CliState, pass_state

__all__ = ["SHOWN_ERRORS", "import_rows"]

SHOWN_ERRORS = 20


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--strict", is_flag=True, help="Load nothing unless every line is valid (one transaction)."
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Lines per transaction (without --strict).",
)
@pass_state
def import_rows(state: CliState, file: Path, strict: bool, batch_size: int) -> None:
    """Load FILE, NDJSON rows in the export format (as `rowport export` writes them).

    Rows keep their ids: a row already stored with the same content is left alone, one whose
    content changed is updated. Each refused line is reported on stderr as `line N: reason`.
    On a terminal a progress bar shows how far the file has been read, with rows/s.

    Exit codes: 0 every line loaded (or was already there), 1 some line failed (with --strict,
    nothing was loaded), 130 interrupted.
    """
    size = file.stat().st_size
    passes = 2 if strict else 1  # strict checks every line, then writes them

    try:
        with progress_bar(size * passes, label=f"importing {file.name}") as update:

            def progress(p: IngestProgress) -> None:
                offset = size if strict and p.phase == "write" else 0
                update(offset + p.bytes_read, p.lines)

            report = state.client.import_file(
                file, strict=strict, batch_size=batch_size, progress=progress
            )
    except KeyboardInterrupt:
        kept = (
            "nothing was loaded (--strict)"
            if strict
            else "the batches committed before it stay loaded"
        )
        click.echo("", err=True)
        click.echo(
            f"interrupted: {kept}; import {file} again to load the rest (rows keep their ids,"
            " so rows already loaded are not duplicated)",
            err=True,
        )
        raise click.exceptions.Exit(INTERRUPTED) from None
    click.echo(report.summary())
    for error in report.errors[:SHOWN_ERRORS]:
        click.echo(f"line {error.line}: {error.reason}", err=True)
    if report.failed > SHOWN_ERRORS:
        click.echo(f"... and {report.failed - SHOWN_ERRORS:,} more", err=True)
    if report.failed:
        click.get_current_context().exit(1)
