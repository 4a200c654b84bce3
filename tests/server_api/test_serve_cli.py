"""The command line: ``rowport keys``, ``rowport serve`` (loopback only unless asked, graceful
on SIGTERM) and ``rowport --url ... --api-key ...`` acting on a server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from rowport import TaskStatus
from rowport.catalog import Catalog
from rowport.client import Client
from rowport.errors import AccessDenied
from rowport.streams import StreamReader
from rowport.testing import RowportServer, build_catalog, start_server


def rowport_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m rowport ARGS`` and return what it did."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("ROWPORT_URL", None)
    full_env.pop("ROWPORT_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "rowport", *args],
        capture_output=True,
        text=True,
        env={**full_env, **(env or {})},
        timeout=300,
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RowportServer, Any]]:
    home = tmp_path_factory.mktemp("cli") / "home"
    with Client(home) as client:
        made = build_catalog(client, rows=250)
    server = start_server(home)
    try:
        yield server, made
    finally:
        server.stop()


def test_keys_create_shows_the_token_once_and_list_never(
    served: tuple[RowportServer, Any],
) -> None:
    server, _ = served
    created = rowport_cli("--home", str(server.home), "keys", "create", "--name", "ci", "--json")
    assert created.returncode == 0, created.stderr
    key = orjson.loads(created.stdout)
    assert key["token"].startswith("rpk_") and key["read_only"] is False
    listed = rowport_cli("--home", str(server.home), "keys", "list")
    assert key["id"] in listed.stdout and "ci" in listed.stdout
    assert key["token"] not in listed.stdout + listed.stderr
    with Client(server.url, api_key=key["token"]) as client:
        assert client.get_organization().name == "rowport"
        revoked = rowport_cli("--home", str(server.home), "keys", "revoke", key["id"])
        assert revoked.returncode == 0, revoked.stderr
        assert "revoked" in rowport_cli("--home", str(server.home), "keys", "list").stdout
        with pytest.raises(AccessDenied):
            client.get_datasets()


def test_keys_create_for_an_organization_makes_it(tmp_path: Path) -> None:
    created = rowport_cli(
        "--home", str(tmp_path), "keys", "create", "--name", "k", "--org", "acme", "--read-only"
    )
    assert created.returncode == 0, created.stderr
    assert "organization acme, read-only" in created.stdout
    assert (tmp_path / "orgs" / "acme" / "catalog.db").is_file()
    with Client(tmp_path / "orgs" / "acme") as client:
        assert client.get_organization().name == "acme"


def test_serve_refuses_a_non_loopback_address_without_allow_remote(tmp_path: Path) -> None:
    refused = rowport_cli("--home", str(tmp_path), "serve", "--host", "0.0.0.0", "--port", "0")
    assert refused.returncode == 2
    assert "not a loopback address" in refused.stderr and "--allow-remote" in refused.stderr


def test_serve_refuses_an_unknown_timezone(tmp_path: Path) -> None:
    refused = rowport_cli(
        "--home", str(tmp_path), "serve", "--port", "0", "--timezone", "Mars/Base"
    )  # fmt: skip
    assert refused.returncode == 2
    assert "--timezone" in refused.stderr and "unknown timezone 'Mars/Base'" in refused.stderr


def test_a_remote_cli_export_is_byte_identical_to_the_embedded_one(
    served: tuple[RowportServer, Any], tmp_path: Path
) -> None:
    server, made = served
    token = server.create_key("cli")
    remote_out, embedded_out = tmp_path / "remote.ndjson", tmp_path / "embedded.ndjson"
    remote = rowport_cli(
        "--url", server.url, "--api-key", token,
        "export", "project", made["project"], "-o", str(remote_out),
    )  # fmt: skip
    assert remote.returncode == 0, remote.stderr
    embedded = rowport_cli(
        "--home", str(server.home), "export", "project", made["project"], "-o", str(embedded_out)
    )
    assert embedded.returncode == 0, embedded.stderr
    assert remote_out.stat().st_size > 0
    assert remote_out.read_bytes() == embedded_out.read_bytes()


def test_ls_tasks_and_import_work_remote_with_env_vars(
    served: tuple[RowportServer, Any], tmp_path: Path
) -> None:
    server, made = served
    env = {"ROWPORT_URL": server.url, "ROWPORT_API_KEY": server.create_key("env")}
    listed = rowport_cli("ls", "projects", "--ids", env=env)
    assert listed.returncode == 0, listed.stderr
    assert made["project"] in listed.stdout.split()
    tasks = rowport_cli("tasks", "list", "--json", env=env)
    assert tasks.returncode == 0, tasks.stderr
    rows = tmp_path / "rows.ndjson"
    exported = rowport_cli("export", "dataset", made["dataset"], "-o", str(rows), env=env)
    assert exported.returncode == 0, exported.stderr
    imported = rowport_cli("import", str(rows), env=env)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("250 lines: 0 rows loaded, 250 already present, 0 failed")


GATE_PLUGIN = """
import os, time
from pathlib import Path
from rowport import hookimpl

@hookimpl
def rowport_transform_rows(rows, context):
    gate = os.environ.get("ROWPORT_TEST_GATE")
    if gate and not (Path(gate) / "entered").exists():
        (Path(gate) / "entered").touch()
        deadline = time.monotonic() + 300
        while not (Path(gate) / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    return None
"""


def _gate_plugin(root: Path) -> Path:
    """A plugin (an entry point in a tiny dist-info) holding the first batch at a gate."""
    info = root / "gate_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gate-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[rowport]\ngate = gate_plugin\n")
    (root / "gate_plugin.py").write_text(textwrap.dedent(GATE_PLUGIN))
    return root


def _wait_for(path: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout  # a safety net only: the file says when
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def _wait_for_status(home: Path, task_id: str, status: TaskStatus, timeout: float = 120.0) -> None:
    catalog = Catalog(home / "catalog.db")
    try:
        deadline = time.monotonic() + timeout  # a safety net only: the record says when
        while catalog.tasks.current_status(task_id) is not status:
            assert time.monotonic() < deadline, f"task {task_id} never became {status}"
            time.sleep(0.01)
    finally:
        catalog.close()


def test_sigterm_ends_running_exports_after_their_batch(tmp_path: Path) -> None:
    home, gate = tmp_path / "home", tmp_path / "gate"
    gate.mkdir()
    with Client(home) as client:
        made = build_catalog(client, rows=250)
    site = _gate_plugin(tmp_path / "site")
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    server = start_server(home, env={"ROWPORT_TEST_GATE": str(gate), "PYTHONPATH": path})
    try:
        with server.client() as remote:
            task = remote.get_project(made["project"]).export()
            _wait_for(gate / "entered")
            assert remote.get_task(task.uid).status is TaskStatus.IN_PROGRESS
        server.process.terminate()
        _wait_for_status(home, task.uid, TaskStatus.CANCELLING)
        (gate / "release").touch()
        # uvicorn ends by re-raising the signal it caught, once it has shut down
        assert server.process.wait(120) in (0, -signal.SIGTERM)
    finally:
        server.stop()
    with Client(home) as client:
        ended = client.get_task(task.uid)
        assert ended.status is TaskStatus.CANCELED
        assert ended.rows_done == 100  # the batch it was in, no more
        assert len(list(ended.get_buffered_stream())) == 100
        whole = client.get_project(made["project"]).export()
        whole.wait_till_done()
        expected = _result_bytes(home, whole.uid)
    # started again with --resume, the server continues the interrupted export where it stopped
    server = start_server(home, "--resume", env={"PYTHONPATH": path})
    try:
        with server.client() as remote:
            resumed = remote.get_task(task.uid)
            resumed.wait_till_done(120)
            assert resumed.status is TaskStatus.COMPLETE
        assert f"resumed 1 interrupted export(s) {task.uid}" in server.log.read_text()
    finally:
        server.stop()
    with Client(home) as client:
        finished = client.get_task(task.uid)
        assert [a.status for a in finished.attempts][-1] == "COMPLETE"
        # byte-identical to an uninterrupted export of the same catalog
        assert _result_bytes(home, task.uid) == expected


def _result_bytes(home: Path, task_id: str) -> bytes:
    reader = StreamReader(home / "tasks" / task_id / "result", required=True)
    return b"".join(line.data + b"\n" for line in reader.iter_lines(0))
