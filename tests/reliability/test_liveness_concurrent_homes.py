"""Two and four processes export from one home while another process imports into it: every
export completes, and every stream is whole and valid."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from liveness_support import WAIT_LIMIT

import rowport
from rowport.streams import StreamReader
from rowport.testing import build_catalog, make_client

IMPORT_ROWS = 600

EXPORTER = """
import sys, rowport
with rowport.Client(sys.argv[1]) as client:
    tasks = [client.get_project(sys.argv[2]).export() for _ in range(2)]
    for task in tasks:
        task.wait_till_done(600)
        print(task.uid, task.status, task.errors_message or "", flush=True)
"""

IMPORTER = """
import sys, rowport
with rowport.Client(sys.argv[1]) as client:
    report = client.catalog.importer.import_file(__import__("pathlib").Path(sys.argv[2]),
                                                 batch_size=25)
    print("imported", report.failed, flush=True)
"""


@pytest.fixture(scope="module")
def other_rows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Rows of another catalog, to import while the exports run."""
    base = tmp_path_factory.mktemp("concurrent-import")
    client = make_client(base)
    try:
        task = client.get_project(build_catalog(client, rows=IMPORT_ROWS)["project"]).export()
        task.wait_till_done(timeout_seconds=WAIT_LIMIT)
        path = base / "rows.ndjson"
        with open(path, "wb") as f:
            for line in task.get_stream(rowport.tasks.JsonConverter()):
                f.write(line.json_str.encode("utf-8") + b"\n")
    finally:
        client.close()
    return path


def _spawn(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


@pytest.mark.parametrize("exporters", [2, 4])
def test_exports_from_several_processes_complete_while_another_imports(
    live_home: dict[str, Any], other_rows: Path, exporters: int
) -> None:
    procs = [_spawn(IMPORTER, str(live_home["home"]), str(other_rows))]
    procs += [
        _spawn(EXPORTER, str(live_home["home"]), live_home["project"]) for _ in range(exporters)
    ]
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err
            outputs.append(out)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert outputs[0].split() == ["imported", "0"]
    finished = [line.split(" ", 2) for out in outputs[1:] for line in out.splitlines()]
    assert len(finished) == 2 * exporters
    with rowport.Client(live_home["home"]) as client:
        expected = None
        for task_id, status, _ in finished:
            assert status == "COMPLETE"
            result = client.home / "tasks" / task_id / "result"
            reader = StreamReader(result)
            assert reader.manifest.complete
            assert reader.verify() == []
            lines = [orjson.loads(row.json_str) for row in client.get_task(task_id).get_stream()]
            ids = [line["data_row"]["id"] for line in lines]
            expected = ids if expected is None else expected
            assert ids == expected  # the project's rows, whatever was imported meanwhile
            assert len(ids) == len(set(ids)) == 450
