"""The catalog backends the catalog, export and task suites run against: SQLite, and a
throwaway PostgreSQL 15 cluster (``rowport.catalog.pg_cluster``) started once per session.

``backend`` is a session-scoped parameter (``sqlite``, ``postgres``): a suite that uses it
runs every test on both, with the same assertions. On ``postgres`` each test gets a new
catalog database in ``ROWPORT_DATABASE_URL`` (a copy of a migrated template), so every
``Client(home)`` it opens is a PostgreSQL catalog. A test that reads ``catalog.db`` with
sqlite3 is marked ``sqlite_only`` and runs on SQLite alone.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rowport.catalog import DATABASE_URL_ENV
from rowport.catalog.pg_cluster import PostgresCluster, find_pg_bin

BACKENDS = ("sqlite", "postgres")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: the test reads the SQLite file itself (not run on postgres)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    dropped = [
        item
        for item in items
        if item.get_closest_marker("sqlite_only")
        and getattr(getattr(item, "callspec", None), "params", {}).get("backend") == "postgres"
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in set(dropped)]


def started_cluster() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster on 127.0.0.1, stopped and removed when the generator
    ends (a fixture's body: ``yield from started_cluster()``)."""
    if find_pg_bin() is None:
        pytest.skip("needs: postgresql-15 (initdb and pg_ctl for the PostgreSQL catalog tests)")
    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster of the session on 127.0.0.1 (stopped and removed at its end)."""
    yield from started_cluster()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The catalog backend of this run of the test: ``sqlite`` or ``postgres``."""
    if request.param == "postgres":
        request.getfixturevalue("pg_cluster")
    return str(request.param)


def database_env(request: pytest.FixtureRequest, backend: str) -> dict[str, str]:
    """The environment of a new catalog on ``backend``: a fresh database's URL on postgres."""
    if backend == "postgres":
        cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
        return {DATABASE_URL_ENV: cluster.database()}
    return {}


@pytest.fixture
def catalog_backend(
    request: pytest.FixtureRequest, backend: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Point ``ROWPORT_DATABASE_URL`` at a fresh database of ``backend`` for this test (dropped
    after it)."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    env = database_env(request, backend)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield backend
    if DATABASE_URL_ENV in env:
        request.getfixturevalue("pg_cluster").drop(env[DATABASE_URL_ENV])
