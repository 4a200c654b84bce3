"""The reference SDK itself (``labelbox==7.17.0``, unmodified, in a virtual environment of its
own) runs export scripts against ``rowport serve`` by changing only its endpoint: every row it
reads is the row rowport's own client reads from the same task.

Its server's SDK user is in Asia/Kolkata (``rowport serve --timezone``), so the SDK sends its
naive date filters in that zone. The environment is built once and cached in
``~/.cache/rowport-tests/labelbox-7.17.0`` (about a minute and 53 MB the first time); without
the package index the tests skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from graphql_support import Org, serve

import rowport
from rowport import testing
from rowport._organizations import organization_home
from rowport.errors import RowportError
from rowport.testing import SDK_VERSION, RowportServer, build_catalog

SCRIPTS = Path(__file__).parent / "sdk_scripts"
ZONE = "Asia/Kolkata"  # UTC+05:30 all year: no daylight saving time change to straddle


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RowportServer]:
    """conftest's server, its SDK user in :data:`ZONE`."""
    yield from serve(tmp_path_factory, "--timezone", ZONE)


@pytest.fixture(scope="session")
def sdk_python() -> Path:
    """The ``python`` of a virtual environment holding ``labelbox==7.17.0``."""
    try:
        return testing.sdk_python(SDK_VERSION)
    except RowportError as exc:
        pytest.skip(f"needs: labelbox=={SDK_VERSION} ({exc})")


def _run(python: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LABELBOX_API_KEY")}
    env["NO_PROXY"] = "127.0.0.1"
    return subprocess.run(
        [python, SCRIPTS / script, *args], capture_output=True, text=True, timeout=600, env=env
    )


def _rows(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def _native(org: Org, task_id: str | None = None) -> list[dict[str, Any]]:
    """The rows rowport's own (remote) client reads from a task (the newest without an id)."""
    task = org.client.get_task(task_id) if task_id else org.client.get_tasks()[0]
    task.wait_till_done(timeout_seconds=120)
    return [out.json for out in task.get_buffered_stream()] if task.has_result() else []


@pytest.fixture
def sdk(sdk_python: Path, org: Org) -> Iterator[tuple[Path, Org]]:
    yield sdk_python, org


def test_project_exports_with_each_filter_kind(sdk: tuple[Path, Org]) -> None:
    python, org = sdk
    made = org.made
    cases = {
        ("dates", made["batch"]): made["data_rows"][:3],  # the last row has no label
        ("data_rows", made["data_rows"][1]): [made["data_rows"][1]],
        ("global_keys", made["global_keys"][2]): [made["data_rows"][2]],
        ("queue", "ToLabel"): None,
    }
    for (case, arg), expected in cases.items():
        done = _run(
            python, "project_export.py", org.token, org.endpoint, made["project"], case, arg
        )
        rows = _rows(done)
        assert "has_errors False" in done.stderr
        assert rows == _native(org), case
        if expected is not None:
            assert [r["data_row"]["id"] for r in rows] == expected, case
            assert all(made["project"] in r["projects"] for r in rows)


def _moved(stamp: str, seconds: int, zone: str | None = ZONE) -> str:
    """An export timestamp moved by ``seconds``: naive in ``zone``, or ISO with +0000 (None)."""
    at = datetime.fromisoformat(stamp) + timedelta(seconds=seconds)
    if zone is None:
        return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")


def test_date_filters_are_read_in_the_users_timezone(sdk: tuple[Path, Org]) -> None:
    python, org = sdk
    made = org.made
    task = org.client.get_project(made["project"]).export(
        params={"data_row_details": True, "label_details": True}
    )
    task.wait_till_done(timeout_seconds=120)
    rows = [out.json for out in task.get_buffered_stream()]
    active = sorted(r["data_row"]["details"]["last_activity_at"] for r in rows)
    labelled = sorted(
        label["label_details"]["created_at"]
        for r in rows
        for label in r["projects"][made["project"]]["labels"]
    )
    # the bounds hold every row within a second, as local times of Kolkata: read as UTC
    # (5 h 30 ahead) a lower bound would hold none
    cases = [
        {  # BETWEEN, both filters
            "last_activity_at": [_moved(active[0], -1), _moved(active[-1], 1)],
            "label_created_at": [_moved(labelled[0], -1), _moved(labelled[-1], 1)],
        },
        {  # GREATER_THAN_OR_EQUAL in Kolkata beside LESS_THAN_OR_EQUAL with an offset
            # (which the SDK sends with timezone UTC: two zones in one request)
            "label_created_at": [_moved(labelled[0], -1), None],
            "last_activity_at": [None, _moved(active[-1], 1, zone=None)],
        },
        {  # the other way round
            "last_activity_at": [_moved(active[0], -1), None],
            "label_created_at": [None, _moved(labelled[-1], 1)],
        },
    ]
    for filters in cases:
        done = _run(
            python,
            "project_export.py",
            org.token,
            org.endpoint,
            made["project"],
            "filters",
            json.dumps(filters),
        )
        got = _rows(done)
        assert got == _native(org), filters
        assert [r["data_row"]["id"] for r in got] == made["data_rows"][:3], filters


def test_dataset_model_run_slice_and_export_v2(sdk: tuple[Path, Org]) -> None:
    python, org = sdk
    made = org.made
    rows = org.client.get_dataset(made["dataset"]).data_rows()
    run = org.client.create_model("m").create_model_run("r")
    run.upsert_data_rows(data_rows=rows[:2])
    box = {"top": 1.0, "left": 2.0, "height": 3.0, "width": 4.0}
    prediction = {"name": "box", "annotation_kind": "ImageBoundingBox", "bounding_box": box}
    run.add_predictions([{"data_row_id": rows[0].uid, "annotations": {"objects": [prediction]}}])
    saved = org.client.create_slice("s", {"dataset_ids": [made["dataset"]]})
    got = _rows(
        _run(python, "dataset_export.py", org.token, org.endpoint, made["dataset"], made["project"])
    )
    assert [r["data_row"]["id"] for r in got] == made["data_rows"]
    assert got == _native(org) and all(made["project"] in r["projects"] for r in got)
    got = _rows(_run(python, "model_run_export.py", org.token, org.endpoint, run.uid))
    assert [r["data_row"]["id"] for r in got] == made["data_rows"][:2] and got == _native(org)
    predicted = [
        [p["annotations"]["objects"][0]["bounding_box"] for p in run_row["predictions"]]
        for r in got
        for experiment in r["experiments"].values()
        for run_row in experiment["runs"].values()
    ]
    assert predicted == [[box], []]
    got = _rows(_run(python, "slice_export.py", org.token, org.endpoint, saved.uid))
    assert len(got) == 4 and got == _native(org)
    done = _run(python, "export_v2.py", org.token, org.endpoint, made["project"])
    assert _rows(done) == _native(org) and "errors null" in done.stderr


def test_get_task_reads_a_task_started_elsewhere(sdk: tuple[Path, Org]) -> None:
    python, org = sdk
    task = org.client.get_project(org.made["project"]).export(params={"label_details": True})
    got = _rows(_run(python, "get_task.py", org.token, org.endpoint, task.uid))
    assert got == _native(org, task.uid) and len(got) == 4


def test_a_wrong_key_is_the_sdks_authentication_error(sdk: tuple[Path, Org]) -> None:
    python, org = sdk
    done = _run(python, "wrong_key.py", "not-a-key", org.endpoint, org.made["project"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("AuthenticationError")


def test_has_errors_and_the_errors_stream(sdk: tuple[Path, Org]) -> None:
    python, org = sdk
    keys = [org.made["global_keys"][0], "no-such-key", org.made["global_keys"][3]]
    done = _run(python, "data_rows_errors.py", org.token, org.endpoint, *keys)
    got = _rows(done)
    assert [r["data_row"]["id"] for r in got] == [org.made["data_rows"][i] for i in (0, 3)]
    native = org.client.get_tasks()[0]
    assert got == _native(org, native.uid)
    errors = [
        json.loads(line.split(" ", 1)[1])
        for line in done.stderr.splitlines()
        if line.startswith("error ")
    ]
    expected = [out.json for out in native.get_buffered_stream(rowport.StreamType.ERRORS)]
    assert errors == expected and [e["code"] for e in errors] == ["DATA_ROW_NOT_FOUND"]


def _explode(rows: list[Any], context: Any) -> tuple[list[Any], list[Any]]:
    raise RuntimeError("the disk is on fire")


def test_a_failed_task_is_the_sdks_export_task_exception(
    sdk: tuple[Path, Org], server: RowportServer
) -> None:
    python, org = sdk
    home = organization_home(server.home, org.organization)
    with rowport.Client(home) as embedded:  # the organization's own home, in this process
        embedded._tasks.steps = [_explode]
        task = embedded.get_project(org.made["project"]).export()
        task.wait_till_done(timeout_seconds=120)
        assert task.status is rowport.TaskStatus.FAILED, task.status
    done = _run(python, "failed_task.py", org.token, org.endpoint, task.uid)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["status FAILED", "ExportTaskException Task failed"]


def test_the_sdks_cancel_task_ends_a_running_export_after_its_batch(
    sdk: tuple[Path, Org], server: RowportServer
) -> None:
    python, org = sdk
    made = build_catalog(org.client, rows=250)
    home = organization_home(server.home, org.organization)
    entered, release = threading.Event(), threading.Event()

    def hold(rows: list[Any], context: Any) -> tuple[list[Any], list[Any]]:
        if not entered.is_set():  # the first batch waits until the SDK has canceled
            entered.set()
            release.wait(300)
        return rows, []

    with rowport.Client(home) as embedded:  # the export runs here; the SDK cancels it there
        embedded._tasks.steps = [hold]
        task = embedded.get_project(made["project"]).export()
        assert entered.wait(120)
        try:
            done = _run(python, "cancel_task.py", org.token, org.endpoint, task.uid)
        finally:
            release.set()
        task.wait_till_done(timeout_seconds=120)
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.splitlines() == ["cancel_task True"]
        assert task.status is rowport.TaskStatus.CANCELED
        assert task.rows_done == 100  # the batch it was in, no more
