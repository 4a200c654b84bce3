"""The ``rowport`` console script: ``--version`` and ``--help`` answered before click loads.

Importing click costs two to three times Python's own start, so ``rowport --version`` prints
the version itself, and ``rowport --help`` prints :data:`TOP_LEVEL_HELP`: the text click
renders for the top-level group on a terminal of 80 columns or more (or a pipe), kept here and
checked against click's rendering by ``tests/cli/test_cli_startup.py``. Whenever that text
could differ (a narrower terminal, a third-party plugin that may add commands) and for every
other command line, click runs as usual. Nothing here imports more than :mod:`os` and
:mod:`sys`.
"""

from __future__ import annotations

import os
import sys

__all__ = ["TOP_LEVEL_HELP", "plugins_installed", "run", "terminal_columns"]

ENTRY_POINT_GROUP = "rowport"  # rowport.plugins.ENTRY_POINT_GROUP, not imported: it is slow
PLAIN_WIDTH = 80  # click wraps help at min(columns, 80) - 2: any wider terminal looks the same

# `rowport --help` as click renders it at 80 columns; test_cli_startup.py says when it is stale
TOP_LEVEL_HELP = """\
Usage: rowport [OPTIONS] COMMAND [ARGS]...

  rowport: export labelled ML data rows as resumable NDJSON streams.

Options:
  --home DIRECTORY  The rowport home: catalog.db and tasks/.  [env var:
                    ROWPORT_HOME; default: .rowport]
  --url TEXT        A rowport serve server to act on instead of --home.  [env
                    var: ROWPORT_URL]
  --api-key TEXT    The key sent to --url.  [env var: ROWPORT_API_KEY]
  --version         Show the version and exit.
  -h, --help        Show this message and exit.

Commands:
  demo     Build a sample catalog in --home-dir and export it, narrating...
  doctor   Check the configured backends (catalog, stream storage,...
  export   Export rows as NDJSON: start a task, show its progress, write...
  import   Load FILE, NDJSON rows in the export format (as `rowport...
  keys     Create, list and revoke API keys for `rowport serve`.
  ls       List datasets, projects, model runs, slices or tasks with...
  media    Fill media attributes in the catalog by reading the media.
  plugins  List installed plugins: built-ins and packages using the...
  report   Write a task's report as one HTML file: request, progress,...
  serve    Serve the home over HTTP: the API under /api/v1, keys required...
  tasks    List, inspect, wait for, cancel and read export tasks.
"""


def terminal_columns() -> int:
    """The terminal width as :func:`shutil.get_terminal_size` (which click uses) reports it,
    without importing :mod:`shutil`: ``$COLUMNS``, else stdout's terminal, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or PLAIN_WIDTH


def plugins_installed() -> bool:
    """Whether a distribution on ``sys.path`` declares a ``rowport`` entry point.

    A cheap look at each ``*.dist-info``/``*.egg-info`` ``entry_points.txt``, so ``--help``
    builds the plugin manager (and imports :mod:`importlib.metadata`, tens of milliseconds)
    only when a third-party plugin could add a command to it. False when
    ``ROWPORT_DISABLE_PLUGIN_AUTOLOAD`` is set, as then no entry point is loaded.
    """
    autoload_off = os.environ.get("ROWPORT_DISABLE_PLUGIN_AUTOLOAD", "").strip().lower()
    if autoload_off in ("1", "true", "yes", "on"):
        return False
    header = f"[{ENTRY_POINT_GROUP}]"
    for entry in sys.path:
        directory = entry or "."
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(directory, name, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except (OSError, UnicodeDecodeError):
                continue
            if any(line.strip() == header for line in text.splitlines()):
                return True
    return False


def run() -> None:
    """Run ``rowport`` with ``sys.argv``: the console script and ``python -m rowport``."""
    args = sys.argv[1:]
    if args == ["--version"]:
        from rowport import __version__

        sys.stdout.write(f"rowport, version {__version__}\n")
        return
    if (
        args in (["--help"], ["-h"])
        and terminal_columns() >= PLAIN_WIDTH
        and not plugins_installed()
    ):
        sys.stdout.write(TOP_LEVEL_HELP)
        return
    from rowport.cli import main

    main(prog_name="rowport")
