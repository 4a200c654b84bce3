"""The PostgreSQL catalog against the embedded one: the same ingest exports the same bytes,
both backends carry the same migrations, writers meet at one lock, and a server restart
between an export's batches fails the task clearly or lets it finish, never tearing it.

The demo catalog (every media type, workflow status, review, metadata kind, attachment,
embedding, model run, slice) is built once in SQLite and exported with every part; those rows
are imported into a fresh SQLite catalog and a fresh PostgreSQL one, and each is exported
again: the RESULT streams must be equal byte for byte.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from catalog_backends import started_cluster

import rowport
from rowport import FileConverter
from rowport.catalog import DATABASE_URL_ENV, check_catalog
from rowport.catalog._pg_schema import pg_migrations
from rowport.catalog._postgres import WRITE_LOCK, PostgresDatabase, translate
from rowport.catalog._schema import MIGRATIONS
from rowport.catalog.pg_cluster import PostgresCluster
from rowport.demo import build_demo
from rowport.errors import InvalidInput
from rowport.testing import ALL_SECTIONS

EVERYTHING = {
    **ALL_SECTIONS,
    "interpolated_frames": True,
    "all_projects": True,
    "all_model_runs": True,
}

RUN_PARAMS = {
    name: True
    for name in (
        "attachments",
        "data_row_details",
        "embeddings",
        "metadata_fields",
        "model_run_details",
        "predictions",
    )
}


def _result(task: Any, path: Path) -> bytes:
    task.wait_till_done(timeout_seconds=300, check_frequency=0.02)
    assert task.status == "COMPLETE", task.errors_message
    task.get_stream(FileConverter(path)).start()
    return path.read_bytes()


@pytest.fixture(scope="module")
def demo_rows(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """The demo catalog's rows, exported from SQLite with every part (export format)."""
    home = tmp_path_factory.mktemp("demo") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(DATABASE_URL_ENV, raising=False)
        with rowport.Client(home) as client:
            build_demo(client, home / "media", bulk_rows=60)
            task = client.get_catalog().export(params=EVERYTHING)
            out = _result(task, home / "demo.ndjson")
    return out.splitlines()


def _client(tmp: Path, url: str | None, monkeypatch: pytest.MonkeyPatch) -> rowport.Client:
    if url is None:
        monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    else:
        monkeypatch.setenv(DATABASE_URL_ENV, url)
    return rowport.Client(tmp / "home")


def _exports(client: rowport.Client, tmp: Path) -> dict[str, bytes]:
    """The catalog export with every part, and each project's and the model run's."""
    out = {"catalog": _result(client.get_catalog().export(params=EVERYTHING), tmp / "c.ndjson")}
    params = {k: v for k, v in EVERYTHING.items() if not k.startswith("all_")}
    for project in client.get_projects():
        out[project.name] = _result(project.export(params=params), tmp / f"{project.uid}.ndjson")
    for model in client.get_models():
        for run in model.model_runs():
            task = run.export(params=RUN_PARAMS)
            out[run.name] = _result(task, tmp / f"{run.uid}.ndjson")
    return out


def test_an_ingest_exports_the_same_bytes_from_postgresql_as_from_sqlite(
    demo_rows: list[bytes],
    pg_cluster: PostgresCluster,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    results = {}
    for backend, url in (("sqlite", None), ("postgres", pg_cluster.database())):
        (tmp_path / backend).mkdir()
        with _client(tmp_path / backend, url, monkeypatch) as client:
            assert client.catalog.db.backend == ("sqlite" if url is None else "postgresql")
            report = client.import_rows(demo_rows, strict=True)
            assert report.ok and report.loaded == len(demo_rows), report.errors
            results[backend] = _exports(client, tmp_path / backend)
    assert len(results["sqlite"]) > 3 and results["sqlite"]["catalog"].count(b"\n") == len(
        demo_rows
    )
    for name, sqlite_bytes in results["sqlite"].items():
        assert results["postgres"][name] == sqlite_bytes, name


def test_both_backends_carry_every_migration_and_a_new_catalog_is_at_the_last(
    pg_cluster: PostgresCluster,
) -> None:
    assert len(pg_migrations()) == len(MIGRATIONS)
    db = PostgresDatabase(pg_cluster.database(), Path("catalog.db"))
    try:
        assert db.schema_version == len(MIGRATIONS)
        reopened = PostgresDatabase(db.url, Path("catalog.db"))  # nothing left to apply
        assert reopened.schema_version == len(MIGRATIONS)
        reopened.close()
    finally:
        db.close()


def test_sqlite_statements_are_translated_to_postgresql() -> None:
    assert translate("SELECT a FROM t INDEXED BY t_i WHERE +b IN (?, ?) AND c LIKE '5%?'") == (
        "SELECT a FROM t WHERE b IN (%s, %s) AND c LIKE '5%%?'"
    )
    assert translate("INSERT OR IGNORE INTO t (a) VALUES (?)") == (
        "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING"
    )
    assert translate(
        "INSERT OR REPLACE INTO label_checks (key, found, checked_ts) VALUES (?, ?, ?)"
    ) == (
        "INSERT INTO label_checks (key, found, checked_ts) VALUES (%s, %s, %s)"
        " ON CONFLICT (key) DO UPDATE SET found = EXCLUDED.found, checked_ts = EXCLUDED.checked_ts"
    )
    assert translate("SELECT 1 FROM t WHERE 1 AND x IN ()") == (
        "SELECT 1 FROM t WHERE TRUE AND x IN (NULL)"
    )


def test_a_second_writer_waits_for_the_first_at_the_write_lock(
    pg_cluster: PostgresCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_cluster.database()
    with (
        _client(tmp_path, url, monkeypatch) as first,
        _client(tmp_path, url, monkeypatch) as second,
    ):
        held = threading.Event()
        release = threading.Event()
        done: list[str] = []

        def hold() -> None:
            with first.catalog.db.transaction() as conn:
                conn.execute(
                    "INSERT INTO slices (id, organization_id, name, filters, created_at)"
                    " VALUES ('s1', ?, 'held', '{}', 'now')",
                    (first.catalog.organization_id,),
                )
                held.set()
                release.wait(60)
            done.append("first")

        holder = threading.Thread(target=hold)
        holder.start()
        assert held.wait(60)
        waiting = threading.Thread(
            target=lambda: (second.create_dataset("second"), done.append("second"))
        )
        waiting.start()
        # the second writer is blocked on the advisory lock, not failed
        probe = second.catalog.db.connect()
        try:
            for _ in range(600):
                row = probe.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                ).fetchone()
                if row[0] >= 1:
                    break
                threading.Event().wait(0.05)
            assert row[0] >= 1 and done == []
        finally:
            probe.close()
        release.set()
        holder.join(60)
        waiting.join(60)
        assert done == ["first", "second"]
        assert [d.name for d in second.get_datasets()] == ["second"]
    assert WRITE_LOCK > 0


@pytest.fixture
def own_cluster() -> Iterator[PostgresCluster]:
    """A cluster of this test's own, to restart."""
    yield from started_cluster()


class _Gate:
    """A pipeline step holding the export's first batch until the test lets it go."""

    needs_json = False

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, rows: list[dict[str, Any]], context: Any) -> tuple[list[Any], list[Any]]:
        self.entered.set()
        assert self.release.wait(120), "the test never released the batch"
        return rows, []


def test_a_postgresql_restart_between_batches_fails_the_task_clearly_or_lets_it_finish(
    own_cluster: PostgresCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rowport.testing import build_catalog

    with _client(tmp_path, own_cluster.database(), monkeypatch) as client:
        ids = build_catalog(client, rows=350)
        project = client.get_project(ids["project"])
        expected = _result(project.export(), tmp_path / "before.ndjson")
        gate = _Gate()
        client._tasks.steps = [gate]
        task = project.export()
        assert gate.entered.wait(120)
        own_cluster.restart()  # every connection of the client is dropped mid-export
        gate.release.set()
        task.wait_till_done(timeout_seconds=300, check_frequency=0.05)
        record = client.catalog.tasks.get_task(task.uid)  # the catalog answers again
        if task.status == "COMPLETE":
            task.get_stream(FileConverter(tmp_path / "after.ndjson")).start()
            assert (tmp_path / "after.ndjson").read_bytes() == expected  # whole, in order
        else:
            assert task.status == "FAILED", task.status
            assert record.error and "connection" in record.error.lower(), record.error
            assert not task.has_result() or task.get_total_lines() < expected.count(b"\n")
        client._tasks.steps = []
        again = _result(project.export(), tmp_path / "again.ndjson")
        assert again == expected


def _checks(home: Path) -> dict[str, tuple[bool, str]]:
    return {check.name: (check.ok, check.detail) for check in check_catalog(home)}


def test_check_catalog_reports_each_backend_reachable_migrated_and_writable(
    pg_cluster: PostgresCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    (missing,) = check_catalog(tmp_path / "none")
    assert not missing.ok and "no catalog at" in missing.detail
    with _client(tmp_path, None, monkeypatch):
        pass
    found = _checks(tmp_path / "home")
    assert all(ok for ok, _ in found.values()) and "SQLite" in found["catalog reachable"][1]

    monkeypatch.setenv(DATABASE_URL_ENV, pg_cluster.database())
    found = _checks(tmp_path / "home")
    assert all(ok for ok, _ in found.values()), found
    assert found["catalog reachable"][1].startswith("PostgreSQL 1")
    assert found["catalog migrated"][1] == f"schema version {len(MIGRATIONS)}"

    empty = pg_cluster.url.rsplit("/", 1)[0] + "/postgres"  # reachable, never migrated
    monkeypatch.setenv(DATABASE_URL_ENV, empty)
    found = _checks(tmp_path / "home")
    assert found["catalog migrated"] == (
        False,
        f"schema version 0, this rowport needs {len(MIGRATIONS)}: any rowport command that"
        " opens the catalog (`rowport ls datasets`) migrates it",
    )

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv(DATABASE_URL_ENV, f"postgresql://ann:secret@127.0.0.1:{port}/rowport")
    (down,) = check_catalog(tmp_path / "home")
    assert not down.ok and down.name == "catalog reachable"
    assert f"cannot connect to postgresql://ann:***@127.0.0.1:{port}/rowport" in down.detail
    assert "secret" not in down.detail


def test_a_database_url_that_is_not_postgresql_is_refused_naming_what_is_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, "mysql://ann:secret@127.0.0.1/rowport")
    with pytest.raises(InvalidInput, match="must be a postgresql://USER@HOST:PORT/DATABASE URL"):
        rowport.Client(tmp_path / "home")
    assert not (tmp_path / "home" / "catalog.db").exists()
