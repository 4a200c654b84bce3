"""Fixtures for task tests: a real catalog with enough rows for several batches and parts."""

from __future__ import annotations

import functools
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from batch_gate import Gate
from catalog_backends import database_env
from tasks_support import ROWS

import rowport
from rowport.catalog import DATABASE_URL_ENV
from rowport.catalog.pg_cluster import PostgresCluster
from rowport.streams import StreamWriter
from rowport.testing import build_catalog, make_client


@pytest.fixture(scope="session")
def _built(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, backend: str
) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("tasks-catalog")
    env = database_env(request, backend)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        client = make_client(base)
    ids = build_catalog(client, rows=ROWS)
    client.close()
    return {"home": base / "home", "project": ids["project"], "ids": ids, "env": env}


@pytest.fixture
def home(
    _built: dict[str, Any],
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dict[str, Any]]:
    """A home with an image project of ROWS labelled rows (a fresh copy per test: of its
    PostgreSQL database too, on that backend, dropped after the test)."""
    shutil.copytree(_built["home"], tmp_path / "home")
    if DATABASE_URL_ENV not in _built["env"]:
        yield {**_built, "home": tmp_path / "home"}
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    url = cluster.clone(_built["env"][DATABASE_URL_ENV])
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    yield {**_built, "home": tmp_path / "home"}
    cluster.drop(url)


@pytest.fixture
def client(home: dict[str, Any]) -> Iterator[rowport.Client]:
    c = rowport.Client(home["home"])
    yield c
    c.close()


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streams rotate parts every 8 KiB, so a few hundred rows make many parts."""
    import rowport.tasks._runner as runner

    monkeypatch.setattr(
        runner, "StreamWriter", functools.partial(StreamWriter, part_max_bytes=8192)
    )


@pytest.fixture
def gate(client: rowport.Client) -> Iterator[Gate]:
    """Install a :class:`Gate` in the client's pipeline (opened at teardown)."""
    g = Gate()
    client._tasks.steps = [g]
    yield g
    g.open_all()


@pytest.fixture(autouse=True)
def _catalog_backend(catalog_backend: str) -> str:
    """Every test of this suite runs on each catalog backend (``catalog_backends``)."""
    return catalog_backend
