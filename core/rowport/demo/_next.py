"""What the demo prints last: where its catalog is and three commands to try on it."""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Callable
from pathlib import Path

from rowport.demo._build import DemoCatalog
from rowport.demo._validation import ValidationSummary

__all__ = ["next_commands", "print_next_steps"]

Echo = Callable[[str], object]


def next_commands(home: Path, demo: DemoCatalog, validation: ValidationSummary) -> list[str]:
    """Three commands on the demo's home: list it, export a project, read validation errors."""
    rowport = f"rowport --home {shlex.quote(str(home))}"
    commands = [
        f"{rowport} ls                      # what the catalog holds, with ids and counts",
        f"{rowport} export project {demo.project_ids['image']} --param label_details"
        " -o image.ndjson",
    ]
    if validation.example_task_id is not None:
        commands.append(f"{rowport} tasks stream {validation.example_task_id} --errors")
    else:
        commands.append(f"{rowport} tasks list")
    return commands


def print_next_steps(
    home: Path, demo: DemoCatalog, validation: ValidationSummary, echo: Echo
) -> None:
    """Where the catalog is, how to point rowport at it, and three commands to try."""
    echo(f"\nThe demo catalog is in {home}/ (catalog.db, tasks/, media/, exports/).")
    echo(
        f"Other rowport commands use $ROWPORT_HOME, else ./.rowport: add --home {home}"
        f" or set ROWPORT_HOME={home}."
    )
    if shutil.which("rowport") is None:
        echo(
            "rowport is not on your PATH: run `source .venv/bin/activate` first,"
            " or type .venv/bin/rowport."
        )
    echo("Try:")
    for command in next_commands(home, demo, validation):
        echo(f"  {command}")
