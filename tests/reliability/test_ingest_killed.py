"""SIGKILL an import subprocess mid-file: the catalog holds whole batches only, and running the
import again completes the job (the catalog then exports as after an uninterrupted import)."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from reliability_support import ROWS, WAIT_LIMIT, quiet_plugins, start_import, stream_bytes

import rowport

BATCH = 100
RUNS = 4


def _counts(home: Path) -> tuple[int, int]:
    with sqlite3.connect(home / "catalog.db") as conn:
        rows = conn.execute("SELECT COUNT(*) FROM data_rows").fetchone()[0]
        labels = conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0]
    return int(rows), int(labels)


def _import_and_export(home: Path, source: Path, project: str) -> bytes:
    with rowport.Client(home, plugins=quiet_plugins()) as client:
        report = client.import_file(source, batch_size=BATCH)
        assert report.failed == 0, report
        task = client.get_project(project).export()
        task.wait_till_done(timeout_seconds=WAIT_LIMIT)
        assert task.status == "COMPLETE"
        return stream_bytes(home / "tasks" / task.uid / "result")


@pytest.fixture(scope="module")
def source(built: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The reference export as an import file, and what an uninterrupted import exports."""
    folder = tmp_path_factory.mktemp("ingest")
    path = folder / "rows.ndjson"
    path.write_bytes(built["result"])
    clean = _import_and_export(folder / "clean", path, built["project"])
    return {"path": path, "clean": clean, "project": built["project"]}


@pytest.mark.parametrize("seed", range(RUNS))
def test_a_killed_import_leaves_whole_batches_and_a_rerun_completes_it(
    source: dict[str, Any], tmp_path: Path, seed: int
):
    home = tmp_path / "home"
    kill_at = random.Random(seed).randint(BATCH, ROWS - 2 * BATCH)
    proc = start_import(home, source["path"], BATCH, hold_at=kill_at + 2 * BATCH)
    proc.kill_after_batch(kill_at, task=False)
    rows, labels = _counts(home)
    assert rows % BATCH == 0 and 0 < rows < ROWS  # whole batches only, killed mid-file
    assert labels == rows  # a batch's rows and their labels commit together
    assert _import_and_export(home, source["path"], source["project"]) == source["clean"]
