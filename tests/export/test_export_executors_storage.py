"""Sharded exports past one machine: shards written through the stream storage (on S3, a
SeaweedFS server: a worker needs no disk shared with the coordinator) and a PostgreSQL catalog
opened by the workers give the embedded export's bytes; a plan state that cannot be computed
leaves a sharded export going, without resume, as it leaves a local one; a sharded export's
timings name the local export's batches.

The embedded export is the SQLite catalog's, run in one process on local disk. The same rows
(exported with every part, imported with their ids) make a SQLite and a PostgreSQL catalog
(the suite's ``backend``), each exported on every executor and storage: every RESULT and ERRORS
stream must be the reference's, byte for byte, and the batches in its timings (their rows and
RESULT bytes) the reference's.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import executor_plugin
import pytest

from rowport.catalog import DATABASE_URL_ENV
from rowport.catalog.pg_cluster import PostgresCluster
from rowport.streams import StreamPlace, StreamReader
from rowport.streams._storage import (
    STORAGE_URL_VARIABLE,
    ObjectStorage,
    join_place,
    open_storage,
)
from rowport.tasks import ExportTask
from rowport.tasks._checkpoint import CHECKPOINT_NAME
from rowport.tasks._executors import DaskExecutor, ProcessExecutor, ShardExecutor
from rowport.tasks._shards import OUTCOME_NAME
from rowport.tasks._timings import read_timings
from rowport.testing import build_catalog, make_client

ROWS = 1_150
SHARD_ROWS = 200
WAIT = 300  # seconds: a safety net only
OPTIONS = {"executor_test": {"bad_every": 7}}
PARAMS = {"label_details": True, "project_details": True, "metadata_fields": True}
EVERYTHING = {**PARAMS, "attachments": True, "data_row_details": True, "embeddings": True}


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """A project of :data:`ROWS` rows, exported from SQLite with every part."""
    base = tmp_path_factory.mktemp("rows")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(DATABASE_URL_ENV, raising=False)
        with make_client(base) as client:
            made = build_catalog(client, rows=ROWS)
            task = _done(client.get_project(made["project"]).export(params=EVERYTHING))
            return _stream(join_place(client.home / "tasks", task.uid, "result")).splitlines()


def _imported(base: Path, rows: list[bytes], env: dict[str, str]) -> dict[str, Any]:
    """A home on the catalog of ``env`` holding ``rows`` (their ids kept)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(DATABASE_URL_ENV, raising=False)
        for name, value in env.items():
            patch.setenv(name, value)
        with make_client(base) as client:
            report = client.import_rows(rows, strict=True)
            assert report.ok and report.loaded == len(rows), report.errors
            (project,) = client.get_projects()
            return {"base": base, "env": env, "project": project.uid}


@pytest.fixture(scope="module")
def sqlite_home(tmp_path_factory: pytest.TempPathFactory, rows: list[bytes]) -> dict[str, Any]:
    return _imported(tmp_path_factory.mktemp("sqlite"), rows, {})


@pytest.fixture(scope="module")
def postgres_home(
    tmp_path_factory: pytest.TempPathFactory, rows: list[bytes], pg_cluster: PostgresCluster
) -> Iterator[dict[str, Any]]:
    url = pg_cluster.database()
    yield _imported(tmp_path_factory.mktemp("postgres"), rows, {DATABASE_URL_ENV: url})
    pg_cluster.drop(url)


def _done(task: ExportTask) -> ExportTask:
    task.wait_till_done(timeout_seconds=WAIT, check_frequency=0.05)
    assert task.status == "COMPLETE", task.errors_message
    return task


def _files_under(place: StreamPlace) -> list[str]:
    """The files (objects) under ``place``, at any depth (SeaweedFS keeps the folders of
    deleted objects: a listing is no proof)."""
    storage = open_storage(place)
    if isinstance(storage, ObjectStorage):
        found = (str(key) for key in storage.fs.find(storage.root))
        return [key for key in found if key.startswith(storage.root + "/")]
    return [str(path) for path in Path(storage.location).rglob("*") if path.is_file()]


def _outcomes(place: StreamPlace) -> list[str]:
    return [name for name in _files_under(place) if name.endswith(f"/{OUTCOME_NAME}")]


def _wait_for(found: Callable[[], object]) -> None:
    deadline = time.monotonic() + WAIT
    while not found():
        assert time.monotonic() < deadline, "it never happened"
        time.sleep(0.05)


def _stream(place: StreamPlace) -> bytes:
    reader = StreamReader(place, required=True)
    return b"".join(line.data + b"\n" for line in reader.iter_lines(0))


def _export(
    home: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    executor: ShardExecutor | None,
    storage: str | None = None,
    *,
    gate: Path | None = None,
) -> Exported:
    """The project's export of ``home`` on ``executor`` with its streams on ``storage`` (an
    ``s3://`` prefix; None: the home's folder). With ``gate`` (a folder), the first shard
    stops at its row 50 until the other worker has finished a shard, whose files are then
    checked to be on ``storage`` only."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    for name, value in home["env"].items():
        monkeypatch.setenv(name, value)
    if storage is None:
        monkeypatch.delenv(STORAGE_URL_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(STORAGE_URL_VARIABLE, storage)
    with make_client(
        home["base"],
        plugins=[executor_plugin],
        executor=executor or "local",
        shard_rows=SHARD_ROWS,
    ) as client:
        options = OPTIONS
        if gate is not None:
            gate.mkdir()
            test = {**OPTIONS["executor_test"], "gate": str(gate), "gate_row": "image-50"}
            options = {"executor_test": test}
        task = client.get_project(home["project"]).export(params=PARAMS, plugin_options=options)
        place = join_place(storage or client.home / "tasks", task.uid)
        if gate is not None:
            try:
                _wait_for(lambda: _outcomes(join_place(place, "shards")))
                assert not (client.home / "tasks" / task.uid / "shards").exists()
            finally:
                (gate / "release").touch()
        _done(task)
        assert task.verify() == {"result": [], "errors": []}
        # the shards' files are gone, wherever they were written
        assert _files_under(join_place(place, "shards")) == []
        if storage is not None:
            assert not (client.home / "tasks" / task.uid / "shards").exists()
            assert not (client.home / "tasks" / task.uid / "result").exists()
        folder = client.home / "tasks" / task.uid
        return Exported(
            _stream(join_place(place, "result")),
            _stream(join_place(place, "errors")),
            (folder / CHECKPOINT_NAME).exists(),
            [(t["rows"], t["bytes"]) for t in read_timings(folder) if t["kind"] == "batch"],
        )


class Exported(NamedTuple):
    """What an export gave: its streams, whether the task has a checkpoint (it can be
    resumed), and each batch's rows and RESULT bytes in its timings (in key order)."""

    result: bytes
    errors: bytes
    checkpoint: bool
    batches: list[tuple[int, int]]


@pytest.fixture(scope="module")
def reference(sqlite_home: dict[str, Any]) -> Exported:
    """The embedded export: SQLite, one process, local disk (made with the rows it is of:
    pytest may make the module's fixtures again for the suite's other backend)."""
    with pytest.MonkeyPatch.context() as patch:
        found = _export(sqlite_home, patch, None)
    assert found.result.count(b"\n") == ROWS and found.errors.count(b"\n") > ROWS // 8
    assert found.checkpoint
    assert len(found.batches) == -(-ROWS // 100)
    assert sum(size for _, size in found.batches) == len(found.result)
    return found


@pytest.fixture
def worker_env(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[[ShardExecutor, dict[str, str]], None]]:
    """``worker_env(executor, env)``: the coordinator's environment gets ``env``, and so do a
    Dask cluster's workers (as a deployment sets the store's keys on each host); theirs is put
    back after the test. The process executor's workers take the coordinator's."""
    restore: list[Callable[[], None]] = []

    def apply(executor: ShardExecutor, env: dict[str, str]) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        if isinstance(executor, DaskExecutor):
            # on every worker: one that joins later (restarted after a test killed it) would
            # write its shards without the store's keys
            executor._client.wait_for_workers(2, timeout=300)
            saved = executor._client.run(_set_env, env)
            restore.append(lambda: executor._client.run(_put_back, saved))

    yield apply
    for undo in restore:
        undo()


def _set_env(env: dict[str, str]) -> dict[str, str | None]:
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    return saved


def _put_back(saved: dict[str, dict[str, str | None]], dask_worker: Any = None) -> None:
    """On each worker (``client.run`` passes it as ``dask_worker``): its own saved values."""
    for name, value in saved[dask_worker.address].items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.mark.parametrize("chosen", ["process", "dask"])
def test_sharded_exports_on_s3_are_byte_identical_to_the_embedded_export(
    request: pytest.FixtureRequest,
    backend: str,
    reference: Exported,
    seaweed: Any,
    s3_url: str,
    worker_env: Callable[[ShardExecutor, dict[str, str]], None],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    chosen: str,
) -> None:
    """The shards write their parts to object storage and the coordinator copies them into the
    task's streams there (server-side): no shard folder on local disk, none left on S3."""
    home: dict[str, Any] = request.getfixturevalue(f"{backend}_home")
    executor: ShardExecutor = request.getfixturevalue(f"{chosen}_executor")
    worker_env(executor, seaweed.env())
    assert _export(home, monkeypatch, executor, s3_url, gate=tmp_path / "gate") == reference


@pytest.mark.parametrize("chosen", ["local", "process", "dask"])
def test_exports_of_each_catalog_backend_are_byte_identical_to_the_embedded_export(
    request: pytest.FixtureRequest,
    backend: str,
    reference: Exported,
    monkeypatch: pytest.MonkeyPatch,
    chosen: str,
) -> None:
    """The workers open the coordinator's catalog (a PostgreSQL one by its URL)."""
    home: dict[str, Any] = request.getfixturevalue(f"{backend}_home")
    executor = None if chosen == "local" else request.getfixturevalue(f"{chosen}_executor")
    assert _export(home, monkeypatch, executor) == reference


def test_a_sharded_export_whose_plan_state_fails_goes_on_without_resume(
    request: pytest.FixtureRequest,
    backend: str,
    reference: Exported,
    process_executor: ProcessExecutor,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The plan's state (what a resume compares the catalog with) cannot be read: the export
    completes with a warning, as a local one does, and records no checkpoint (no resume)."""
    from rowport.catalog import _plan_state

    def broken(*args: Any) -> Any:
        raise sqlite3.OperationalError("disk I/O error")

    home: dict[str, Any] = request.getfixturevalue(f"{backend}_home")
    monkeypatch.setattr(_plan_state, "plan_state", broken)
    for executor in (None, process_executor):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="rowport.tasks._runner"):
            assert _export(home, monkeypatch, executor) == reference._replace(checkpoint=False)
            # the state is read on a thread beside the export
            _wait_for(lambda: "disk I/O error" in caplog.text)
        assert "could not count the rows of export task" in caplog.text
