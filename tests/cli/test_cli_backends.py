"""`rowport doctor` (each backend's checks, what is wrong said plainly, the exit code) and
`rowport export --executor`."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from clitools import Run, Sample

from rowport.client import Client


def _lines(output: str) -> dict[str, tuple[bool, str]]:
    found = {}
    for line in output.splitlines():
        data = orjson.loads(line)
        found[data["check"]] = (data["ok"], data["detail"])
    return found


def test_doctor_passes_on_a_sound_home_with_the_local_executor(run: Run, sample: Sample) -> None:
    result = run("doctor", "--executor", "local")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok    catalog reachable",
        "ok    catalog migrated",
        "ok    catalog writable",
        "ok    storage reachable",
        "ok    storage writable",
        "ok    executor reachable",
    ]
    assert "SQLite" in lines[0] and "local" in lines[-1]


def test_doctor_reaches_the_process_executors_workers(run: Run, sample: Sample) -> None:
    result = run("doctor", "--executor", "process:2", "--json")
    assert result.exit_code == 0, result.output
    found = _lines(result.output)
    assert found["executor reachable"] == (True, "process:2: 2 worker(s)")
    assert found["executor versions"][0] is True


def test_doctor_says_what_is_wrong_and_exits_1(run: Run, home: Path) -> None:
    result = run("doctor", "--executor", "dask://127.0.0.1:1", "--json")
    assert result.exit_code == 1
    found = _lines(result.output)
    ok, detail = found["catalog reachable"]
    assert not ok and "no catalog at" in detail and "rowport import" in detail
    ok, detail = found["executor reachable"]
    assert not ok and "dask://127.0.0.1:1 does not answer" in detail


def test_doctor_reports_a_catalog_behind_or_ahead_of_the_code(run: Run, sample: Sample) -> None:
    from rowport.catalog._schema import MIGRATIONS

    for version, says in ((len(MIGRATIONS) - 1, "this rowport needs"), (999, "upgrade rowport")):
        with sqlite3.connect(sample.home / "catalog.db") as conn:
            conn.execute(f"PRAGMA user_version = {version}")
        result = run("doctor", "--json")
        assert result.exit_code == 1
        ok, detail = _lines(result.output)["catalog migrated"]
        assert not ok and says in detail, detail


@pytest.mark.parametrize("value", ["threads", "process:0", "dask://nowhere"])
def test_doctor_names_the_allowed_executors(run: Run, sample: Sample, value: str) -> None:
    result = run("doctor", "--executor", value, "--json")
    assert result.exit_code == 1
    ok, detail = _lines(result.output)["executor reachable"]
    assert not ok and value in detail


def test_doctor_reaches_a_dask_cluster(run: Run, sample: Sample, dask_cluster: object) -> None:
    address = str(dask_cluster.scheduler_address).replace("tcp://", "dask://")
    result = run("doctor", "--json", env={"ROWPORT_EXECUTOR": address})
    assert result.exit_code == 0, result.output
    found = _lines(result.output)
    assert found["executor reachable"] == (True, f"tcp{address[4:]}: 2 worker(s)")
    assert found["executor versions"][0] is True


def test_export_runs_on_the_executor_it_is_given(run: Run, sample: Sample, tmp_path: Path) -> None:
    """``--executor process:2`` writes what the local export writes (the sample is one shard:
    the shard plan is covered by tests/export/test_export_executors.py)."""
    outputs = []
    for executor in ("local", "process:2"):
        out = tmp_path / f"{executor}.ndjson"
        result = run("export", "project", sample.project_id, "--executor", executor, "-o", out)
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] and outputs[0].count(b"\n") > 0


def test_export_refuses_an_unknown_executor_before_a_task_starts(run: Run, sample: Sample) -> None:
    result = run("export", "project", sample.project_id, "--executor", "threads")
    assert result.exit_code == 2
    assert "unknown executor 'threads'; allowed: local, process" in result.output
    assert run("ls", "tasks").output.count("\n") <= 1


def test_doctor_checks_the_postgresql_catalog_of_the_url(
    run: Run, home: Path, pg_cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_cluster.database()
    monkeypatch.setenv("ROWPORT_DATABASE_URL", url)
    with Client(home):  # opening it migrates the fresh database
        pass
    result = run("doctor", "--json")
    assert result.exit_code == 0, result.output
    found = _lines(result.output)
    ok, detail = found["catalog reachable"]
    assert ok and "PostgreSQL" in detail, detail
    assert found["catalog migrated"][0] and found["catalog writable"][0]


def test_doctor_checks_the_object_storage_of_the_url(
    run: Run, sample: Sample, s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROWPORT_STORAGE_URL", s3_url)
    result = run("doctor", "--json")
    assert result.exit_code == 0, result.output
    found = _lines(result.output)
    ok, detail = found["storage reachable"]
    assert ok and s3_url in detail and "127.0.0.1" in detail, detail
    assert found["storage writable"][0]

    monkeypatch.setenv("ROWPORT_STORAGE_URL", "s3://no-such-bucket/x")
    result = run("doctor", "--json")
    assert result.exit_code == 1
    ok, detail = _lines(result.output)["storage reachable"]
    assert not ok and "'no-such-bucket' does not exist" in detail, detail
    assert "storage writable" not in _lines(result.output)
