"""``rowport import`` on a full disk ends with one documented error (no traceback, no
``cannot rollback``), and the catalog stays consistent: importing again completes it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from liveness_support import tmpfs

import rowport
from rowport.testing import build_catalog, make_client

ROWS = 300


@pytest.fixture(scope="module")
def rows_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An export of ROWS rows, in the format ``rowport import`` reads."""
    base = tmp_path_factory.mktemp("import-source")
    client = make_client(base)
    try:
        task = client.get_project(build_catalog(client, rows=ROWS)["project"]).export()
        task.wait_till_done(timeout_seconds=120)
        path = base / "rows.ndjson"
        with open(path, "wb") as f:
            for line in task.get_stream(rowport.tasks.JsonConverter()):
                f.write(line.json_str.encode("utf-8") + b"\n")
    finally:
        client.close()
    return path


def _import(home: Path, rows_file: Path) -> subprocess.CompletedProcess[str]:
    env: dict[str, Any] = {**os.environ, "ROWPORT_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "rowport", "import", "--batch-size", "50", str(rows_file)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _rows(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return int(conn.execute("SELECT count(*) FROM data_rows").fetchone()[0])
    finally:
        conn.close()


def test_an_import_on_a_full_disk_is_a_documented_error(rows_file: Path, tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    with tmpfs(disk, size="3m"):  # a few batches of the rows fit
        home = disk / "home"
        done = _import(home, rows_file)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert "cannot rollback" not in done.stderr
        assert done.stderr.startswith("Error: could not write the catalog "), done.stderr
        assert "database or disk is full" in done.stderr
        assert "stay loaded, so the catalog is consistent" in done.stderr
        loaded = _rows(home / "catalog.db")
        assert 0 < loaded < ROWS  # whole batches only
        assert loaded % 50 == 0
        shutil.copytree(home, tmp_path / "roomy")  # the same catalog on a disk with room
    again = _import(tmp_path / "roomy", rows_file)
    assert again.returncode == 0, again.stderr
    assert _rows(tmp_path / "roomy" / "catalog.db") == ROWS


def test_the_error_is_a_catalog_error(rows_file: Path, tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    with tmpfs(disk, size="3m"):  # a few batches of the rows fit
        client = rowport.Client(disk / "home")
        try:
            with pytest.raises(rowport.errors.CatalogWriteError, match="database or disk is full"):
                client.catalog.importer.import_file(rows_file, batch_size=50)
        finally:
            client.close()
