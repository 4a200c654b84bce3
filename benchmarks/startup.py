"""Start-up cost of the ``rowport`` command, as a ratio to a bare interpreter.

Each command runs N times in a fresh subprocess (same interpreter and environment); the figure
is the median wall time and its ratio to the floor, ``python -c pass``:

- ``python -c pass``              the floor
- ``python -c "import rowport"``  the package (its names are imported on first use)
- ``rowport --help``              printed before click loads (``rowport._startup``)
- ``rowport --version``           the same
- ``python -m rowport --help``    the same, plus runpy
- ``COLUMNS=60 rowport --help``   a narrow terminal: click renders it (the top-level group
                                  only: no command module, no catalog, no plugin)
- ``rowport export --help``       one command's help, which imports that command's module
- ``rowport plugins``             builds the plugin manager (entry points, every built-in)

``rowport`` runs the code of pip's console script for ``rowport._startup:run`` (so the figure
does not depend on how old the installed script is; its ``import re`` is part of the cost).
Runs are interleaved (floor, import, help, ... then again), so a burst of load elsewhere hits
every command alike. Bytecode caching is on for the children, as for a
user (``PYTHONDONTWRITEBYTECODE`` is dropped), and one warm-up run per command fills it.

The target for ``--help`` and ``--version`` is under 2x the floor. Importing click alone costs
2-4x on a small machine (its line shows it): the floor of any command that click handles.

    python benchmarks/startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

# what pip's generated console script for ``rowport = "rowport._startup:run"`` does
CONSOLE_SCRIPT = (
    "import re, sys\n"
    "from rowport._startup import run\n"
    "sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
    "sys.exit(run())\n"
)


def commands() -> dict[str, list[str]]:
    """The commands measured, by label."""
    python = [sys.executable]
    rowport = [*python, "-c", CONSOLE_SCRIPT]
    return {
        "python -c pass": [*python, "-c", "pass"],
        'python -c "import click"': [*python, "-c", "import click"],
        'python -c "import rowport"': [*python, "-c", "import rowport"],
        "rowport --help": [*rowport, "--help"],
        "rowport --version": [*rowport, "--version"],
        "python -m rowport --help": [*python, "-m", "rowport", "--help"],
        "COLUMNS=60 rowport --help": [*rowport, "--help"],
        "rowport export --help": [*rowport, "export", "--help"],
        "rowport plugins": [*rowport, "plugins"],
    }


def run_once(name: str, command: list[str], env: dict[str, str]) -> float:
    """Seconds one run takes, start to exit; it must exit 0."""
    if name.startswith("COLUMNS="):
        env = {**env, "COLUMNS": name.split()[0].partition("=")[2]}
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def measure(runs: int) -> dict[str, float]:
    """Median seconds per command over ``runs`` interleaved rounds (after one warm-up)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    table = commands()
    samples: dict[str, list[float]] = {name: [] for name in table}
    for name, command in table.items():
        run_once(name, command, env)  # fills the bytecode cache
    for _ in range(runs):
        for name, command in table.items():
            samples[name].append(run_once(name, command, env))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    """Measure and print each command's median and its ratio to the bare interpreter."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="rounds per command (median)")
    options = parser.parse_args()
    medians = measure(options.runs)
    floor = medians["python -c pass"]
    print(f"median of {options.runs} runs each; rowport = the console script's code")
    for name, seconds in medians.items():
        print(f"  {name:<28} {seconds * 1000:8.1f} ms  {seconds / floor:5.2f}x")


if __name__ == "__main__":
    main()
