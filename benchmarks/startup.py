"""Start-up cost of the ``rowport`` command, as a ratio to a bare interpreter.

Each command runs N times in a fresh subprocess (same interpreter and environment); the figure
is the median wall time and its ratio to the floor, ``python -c pass``:

- ``python -c pass``              the floor
- ``python -c "import rowport"``  the package (its names are imported on first use)
- ``rowport --help``              click and the top-level group only: no command module, no
                                  catalog, no plugin is imported
- ``rowport --version``           the same
- ``rowport export --help``       one command's help, which imports that command's module
- ``rowport plugins``             builds the plugin manager (entry points, every built-in)

``rowport`` is the console script beside the interpreter when there is one, else
``python -m rowport``. Runs are interleaved (floor, import, help, ... then again), so a burst of
load elsewhere hits every command alike. Bytecode caching is on for the children, as for a
user (``PYTHONDONTWRITEBYTECODE`` is dropped), and one warm-up run per command fills it.

The target for ``--help`` and ``--version`` is under 2x the floor; importing click alone costs
about 2-3x on a small machine, so the ratio printed for ``python -c "import click"`` is the
floor of any click command line.

    python benchmarks/startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def rowport_command() -> list[str]:
    """How to run ``rowport``: its console script beside the interpreter, else ``-m``."""
    script = Path(sys.executable).with_name("rowport")
    if script.exists():
        return [sys.executable, str(script)]
    return [sys.executable, "-m", "rowport"]


def commands() -> dict[str, list[str]]:
    """The commands measured, by label."""
    rowport = rowport_command()
    python = [sys.executable]
    return {
        "python -c pass": [*python, "-c", "pass"],
        'python -c "import click"': [*python, "-c", "import click"],
        'python -c "import rowport"': [*python, "-c", "import rowport"],
        "rowport --help": [*rowport, "--help"],
        "rowport --version": [*rowport, "--version"],
        "rowport export --help": [*rowport, "export", "--help"],
        "rowport plugins": [*rowport, "plugins"],
    }


def run_once(command: list[str], env: dict[str, str]) -> float:
    """Seconds one run takes, start to exit; it must exit 0."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def measure(runs: int) -> dict[str, float]:
    """Median seconds per command over ``runs`` interleaved rounds (after one warm-up)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    table = commands()
    samples: dict[str, list[float]] = {name: [] for name in table}
    for command in table.values():
        run_once(command, env)  # fills the bytecode cache
    for _ in range(runs):
        for name, command in table.items():
            samples[name].append(run_once(command, env))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    """Measure and print each command's median and its ratio to the bare interpreter."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="rounds per command (median)")
    options = parser.parse_args()
    medians = measure(options.runs)
    floor = medians["python -c pass"]
    print(f"median of {options.runs} runs each; {' '.join(rowport_command())}")
    for name, seconds in medians.items():
        print(f"  {name:<28} {seconds * 1000:8.1f} ms  {seconds / floor:5.2f}x")


if __name__ == "__main__":
    main()
