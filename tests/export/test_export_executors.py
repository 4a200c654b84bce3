"""Sharded exports: the same request run locally (one process), as shards on the process
executor and as shards on a Dask cluster gives byte-identical RESULT and ERRORS streams; a
worker killed mid-shard runs its shard again; a cancel stops every shard and leaves a prefix of
the local export, which a resume completes. Every test runs on the SQLite catalog and on a
PostgreSQL one (``backend``): the workers open the coordinator's catalog, whatever theirs is.

The catalog has 1,150 rows and the shards 200 (six shards, the last shorter), so shard borders
fall inside the plan, and a plugin reports a problem on every seventh row (ERRORS lines in every
shard).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import executor_plugin
import pytest
from catalog_backends import database_env

import rowport
from rowport import DataRow
from rowport.catalog import DATABASE_URL_ENV
from rowport.streams import StreamReader
from rowport.tasks import ExportTask
from rowport.tasks._executors import ProcessExecutor, ShardExecutor
from rowport.testing import build_catalog, make_client

ROWS = 1_150
SHARD_ROWS = 200
WAIT = 300  # seconds: a safety net only (the tests wait for events, never for time)
BAD = {"executor_test": {"bad_every": 7}}


@pytest.fixture(scope="module")
def catalog(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, backend: str
) -> Iterator[dict[str, Any]]:
    """The module's catalog on ``backend`` (its environment in ``"env"``)."""
    base = tmp_path_factory.mktemp(f"sharded-{backend}")
    env = database_env(request, backend)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(DATABASE_URL_ENV, raising=False)
        for name, value in env.items():
            patch.setenv(name, value)
        with make_client(base, plugins=[executor_plugin]) as client:
            made = build_catalog(client, rows=ROWS)
    yield {**made, "base": base, "env": env}
    if DATABASE_URL_ENV in env:
        request.getfixturevalue("pg_cluster").drop(env[DATABASE_URL_ENV])


@pytest.fixture(autouse=True)
def _on_its_backend(catalog: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every client of a test opens the module's catalog on its backend."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    for name, value in catalog["env"].items():
        monkeypatch.setenv(name, value)


@pytest.fixture(params=["local", "process", "dask"])
def executor(request: pytest.FixtureRequest) -> ShardExecutor | None:
    if request.param == "local":
        return None
    value: ShardExecutor = request.getfixturevalue(f"{request.param}_executor")
    return value


def _client(catalog: dict[str, Any], executor: ShardExecutor | None) -> rowport.Client:
    return make_client(
        catalog["base"],
        plugins=[executor_plugin],
        executor=executor or "local",
        shard_rows=SHARD_ROWS,
    )


def _streams(client: rowport.Client, task: ExportTask) -> tuple[bytes, bytes]:
    out = []
    for name in ("result", "errors"):
        reader = StreamReader(client.home / "tasks" / task.uid / name)
        out.append(
            b"".join(line.data + b"\n" for line in reader.iter_lines(0))
            if reader.total_lines
            else b""
        )
    return out[0], out[1]


def _done(task: ExportTask) -> ExportTask:
    task.wait_till_done(timeout_seconds=WAIT, check_frequency=0.05)
    return task


REQUESTS: dict[str, Callable[[rowport.Client, dict[str, Any]], ExportTask]] = {
    "project": lambda c, m: c.get_project(m["project"]).export(
        params={"label_details": True, "project_details": True}, plugin_options=BAD
    ),
    "dataset": lambda c, m: c.get_dataset(m["dataset"]).export(
        params={"metadata_fields": True}, plugin_options=BAD
    ),
    "data_rows": lambda c, m: DataRow.export(
        c, data_rows=[*m["data_rows"][::3], "no-such-row"], plugin_options=BAD
    ),
    "skip": lambda c, m: c.get_project(m["project"]).export(
        plugin_options=BAD, on_row_error="skip"
    ),
}
_local: dict[tuple[Path, str], tuple[str, bytes, bytes]] = {}


def _local_export(catalog: dict[str, Any], name: str) -> tuple[str, bytes, bytes]:
    """The embedded export of request ``name``: its status and streams (once per catalog)."""
    key = (catalog["base"], name)
    if key not in _local:
        with _client(catalog, None) as client:
            task = _done(REQUESTS[name](client, catalog))
            _local[key] = (task.status, *_streams(client, task))
    return _local[key]


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_sharded_exports_are_byte_identical_to_the_embedded_export(
    catalog: dict[str, Any], executor: ShardExecutor | None, name: str
) -> None:
    status, result, errors = _local_export(catalog, name)
    assert status == "COMPLETE" and result.count(b"\n") > SHARD_ROWS // 3 and errors
    with _client(catalog, executor) as client:
        task = _done(REQUESTS[name](client, catalog))
        assert task.status == "COMPLETE", task.errors_message
        assert _streams(client, task) == (result, errors)
        assert task.rows_done == task.rows_planned
        assert task.verify() == {"result": [], "errors": []}
        # the merged parts keep the line index: a seek lands on the right line
        assert task.get_total_lines(rowport.StreamType.RESULT) == result.count(b"\n")
        line = next(iter(task.get_stream().with_line(SHARD_ROWS // 3 + 1)))
        assert line.json_str.encode() == result.split(b"\n")[SHARD_ROWS // 3 + 1]
        assert not (client.home / "tasks" / task.uid / "shards").exists()


@pytest.mark.parametrize("kind", ["ratio", "fail"])
def test_the_error_policy_is_judged_across_shards_as_one_process_would(
    catalog: dict[str, Any], executor: ShardExecutor | None, kind: str
) -> None:
    """Rows 350 to 649 are bad: max_error_ratio 0.35 is passed in the batch of rows 500-599
    (41 %), in the middle of the third shard, whose own first batch (all bad) would have
    stopped it alone; on_row_error=fail stops at row 450, in key order."""
    if kind == "ratio":
        test = {"bad_range": [350, 650]}
        options: dict[str, Any] = {
            "max_error_ratio": 0.35,
            "plugin_options": {"executor_test": test},
        }
    else:
        test = {"bad_range": [450, 460]}
        options = {"on_row_error": "fail", "plugin_options": {"executor_test": test}}
    outcomes = []
    for chosen in (None, executor):
        with _client(catalog, chosen) as client:
            task = _done(client.get_project(catalog["project"]).export(**options))
            result, errors = _streams(client, task)
            lines = errors.splitlines()
            assert b'"TASK_FAILED"' in lines[-1]
            outcomes.append((task.status, task.errors_message, result, lines[:-1]))
    assert outcomes[0][0] == "FAILED"
    assert outcomes[0][2].count(b"\n") == (500 if kind == "ratio" else 400)
    assert outcomes[1] == outcomes[0]


def _gated_export(
    client: rowport.Client, catalog: dict[str, Any], gate: Path, row: int
) -> tuple[ExportTask, int]:
    """An export whose plugin stops at row ``row`` (external id ``image-ROW``) until the test
    acts, once a worker has stopped there; and that worker's pid."""
    gate.mkdir()
    options = {"executor_test": {"bad_every": 7, "gate": str(gate), "gate_row": f"image-{row}"}}
    task = client.get_project(catalog["project"]).export(
        params={"label_details": True, "project_details": True}, plugin_options=options
    )
    _wait_for(gate / "ready")
    return task, int((gate / "ready").read_text())


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + WAIT
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


@pytest.mark.parametrize("chosen", ["process", "dask"])
def test_a_shard_whose_worker_died_runs_again(
    catalog: dict[str, Any], tmp_path: Path, request: pytest.FixtureRequest, chosen: str
) -> None:
    executor: ShardExecutor = request.getfixturevalue(f"{chosen}_executor")
    if chosen == "dask":
        request.getfixturevalue("dask_worker_restarted")
    _, result, errors = _local_export(catalog, "project")
    with _client(catalog, executor) as client:
        # row 575: in the third shard, while the other worker runs the others
        task, pid = _gated_export(client, catalog, tmp_path / "gate", 575)
        assert pid != os.getpid()
        os.kill(pid, signal.SIGKILL)  # the worker dies in the middle of its shard
        _done(task)
        assert task.status == "COMPLETE", task.errors_message
        assert _streams(client, task) == (result, errors)


@pytest.mark.parametrize("chosen", ["process", "dask"])
def test_a_cancel_stops_every_shard_and_a_resume_completes_the_export(
    catalog: dict[str, Any], tmp_path: Path, request: pytest.FixtureRequest, chosen: str
) -> None:
    executor: ShardExecutor = request.getfixturevalue(f"{chosen}_executor")
    _, result, errors = _local_export(catalog, "project")
    with _client(catalog, executor) as client:
        # row 50: in the first batch of the first shard, which stops at its next batch
        task, _ = _gated_export(client, catalog, tmp_path / "gate", 50)
        assert task.cancel()
        (tmp_path / "gate" / "release").touch()
        _done(task)
        assert task.status == "CANCELED"
        got_result, got_errors = _streams(client, task)
        # the first shard's first batch: the export's first 100 rows and their problems
        assert got_result == b"".join(line + b"\n" for line in result.splitlines()[:100])
        assert errors.startswith(got_errors) and got_errors.count(b"\n") == 15
        resumed = _done(task.resume())
        assert resumed.status == "COMPLETE", resumed.errors_message
        assert _streams(client, resumed) == (result, errors)


def test_a_shard_whose_worker_keeps_dying_fails_the_task_saying_so(
    catalog: dict[str, Any], process_executor: ProcessExecutor
) -> None:
    with _client(catalog, process_executor) as client:
        options = {"executor_test": {"crash_row": "image-650"}}
        task = _done(client.get_project(catalog["project"]).export(plugin_options=options))
        assert task.status == "FAILED"
        assert task.errors_message is not None
        assert task.errors_message.startswith("ShardWorkerLost: shard 3 (keys ")
        assert "failed on process:2 after 3 attempt(s): WorkerLost: the worker process" in (
            task.errors_message
        )
        assert task.errors_message.endswith("ended (exit code 17) before its shard did")
        result, _ = _streams(client, task)
        assert result.count(b"\n") == 3 * SHARD_ROWS  # the shards before it


def test_a_resume_keeps_the_shards_that_had_finished(
    catalog: dict[str, Any], process_executor: ProcessExecutor, tmp_path: Path
) -> None:
    """The first shard fails while the second has finished (its outcome is on disk): the
    resume runs the first again and keeps the second, whose rows are validated only once."""
    seen = tmp_path / "seen"
    seen.mkdir()
    test: dict[str, Any] = {"seen": str(seen)}
    with _client(catalog, None) as client:
        reference = _streams(
            client,
            _done(
                client.get_project(catalog["project"]).export(
                    on_row_error="fail", plugin_options={"executor_test": test}
                )
            ),
        )
    for path in seen.iterdir():
        path.unlink()
    gate = tmp_path / "gate"
    gate.mkdir()
    test |= {"gate": str(gate), "gate_row": "image-50", "fail_once": str(tmp_path / "once")}
    with _client(catalog, process_executor) as client:
        task = client.get_project(catalog["project"]).export(
            on_row_error="fail", plugin_options={"executor_test": test}
        )
        try:
            _wait_for(gate / "ready")
            second = f"{_key(catalog, 199)}-{_key(catalog, 399)}"
            _wait_for(client.home / "tasks" / task.uid / "shards" / second / "outcome.json")
        finally:
            (gate / "release").touch()
        assert _done(task).status == "FAILED"
        assert "on_row_error=fail" in (task.errors_message or "")
        resumed = _done(task.resume())
        assert resumed.status == "COMPLETE", resumed.errors_message
        assert _streams(client, resumed) == reference
    twice = {path.name for path in seen.iterdir() if path.name.endswith(".2")}
    # the first shard's failed batch ran again, the second shard's did not (later shards,
    # stopped by the failure or not, may have run again)
    assert "image-0.2" in twice
    assert not {"image-200.2", "image-300.2"} & twice


def _key(catalog: dict[str, Any], position: int) -> int:
    """The plan key (rid) of the project's row at ``position``."""
    with make_client(catalog["base"]) as client:
        rows = client.catalog.reads.data_row_keys([catalog["data_rows"][position]])
        return int(rows[catalog["data_rows"][position]])


@pytest.mark.parametrize("listed", [False, True], ids=["paged", "listed"])
def test_the_shard_plan_cuts_the_plan_into_runs_of_whole_batches(
    catalog: dict[str, Any], listed: bool
) -> None:
    """The shards' pages, one after the other, are the plan's own pages (a plan that pages by
    key ranges, and one that lists its keys: an id-list filter)."""
    from rowport.catalog import PlanState
    from rowport.request import PlanLayout, build_request

    ids = catalog["data_rows"][::2] if listed else None
    request = build_request(
        "project",
        scope_ids=[catalog["project"]],
        filters={"data_row_ids": ids} if listed else None,
    )
    with make_client(catalog["base"]) as client:
        source = client.catalog.reads
        plan = source.plan(request)
        assert (plan.keys is not None) is listed
        layout = PlanLayout.for_request(request)

        def pages(plan: Any) -> list[list[int]]:
            return [[row[0] for row in page] for page in source.iter_batches(plan, 100, layout)]

        bounds = source.shard_bounds(plan, SHARD_ROWS)
        rows = len(ids) if ids else ROWS
        assert [n for _, _, n in bounds] == [SHARD_ROWS] * (rows // SHARD_ROWS) + [
            rows % SHARD_ROWS
        ]
        assert [after for after, _, _ in bounds[1:]] == [last for _, last, _ in bounds[:-1]]
        shards = [
            pages(source.resume_plan(plan, PlanState(bound=last, rows=n, digest=""), after))
            for after, last, n in bounds
        ]
        assert [page for shard in shards for page in shard] == pages(plan)
