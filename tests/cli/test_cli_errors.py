"""Exit code 1 means one ``Error: ...`` line and no traceback, also for a home that cannot be
used (a damaged catalog, a folder that cannot be created), run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _rowport(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ROWPORT_HOME"}
    return subprocess.run(
        [sys.executable, "-m", "rowport.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_a_catalog_that_is_not_a_database_is_one_error_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "catalog.db").write_bytes(b"this is not SQLite, just some bytes\n" * 200)
    done = _rowport("--home", home, "tasks", "list")
    assert done.returncode == 1
    assert done.stderr == f"Error: the catalog in {home} cannot be used: file is not a database\n"


def test_a_home_that_cannot_be_created_is_one_error_line() -> None:
    home = Path("/proc/rowport-no-such-home")
    done = _rowport("--home", home, "tasks", "list")
    assert done.returncode == 1
    assert done.stderr.startswith("Error: ") and str(home) in done.stderr
    assert len(done.stderr.splitlines()) == 1
