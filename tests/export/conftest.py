"""Fixtures for the export tests: real catalogs in ``tmp_path``, real export tasks.

The builders and helpers live in ``export_support`` (a uniquely named module, so test modules
can import it); this file only turns them into fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest
from catalog_backends import database_env
from export_support import (
    SAMPLES,
    TIMED_ROWS,
    ExportCache,
    RichCatalog,
    TimedCatalog,
    build_rich_catalog,
    result_rows,
)

import rowport
from rowport.tasks._executors import DaskExecutor, ProcessExecutor


@pytest.fixture(scope="session")
def rich(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, backend: str
) -> Iterator[RichCatalog]:
    """The rich catalog of ``backend``, shared read-only by the tests of the session."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in database_env(request, backend).items():
            patch.setenv(name, value)
        client = rowport.Client(tmp_path_factory.mktemp("rich") / "home")
    with client:
        yield build_rich_catalog(client)


@pytest.fixture(scope="session")
def exported(rich: RichCatalog) -> ExportCache:
    """``exported(kind, params)``: the rows of that export of :func:`rich`, run once per session.

    The rich catalog does not change after it is built, so equal requests give equal rows.
    """
    cache: dict[bytes, list[dict[str, Any]]] = {}

    def run(kind: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        key = orjson.dumps([kind, params or {}], option=orjson.OPT_SORT_KEYS)
        if key not in cache:
            cache[key] = result_rows(rich.export(kind, params))
        return cache[key]

    return run


@pytest.fixture(scope="session")
def timed(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, backend: str
) -> Iterator[TimedCatalog]:
    """The timed catalog of ``backend``, loaded once and shared read-only."""
    home = tmp_path_factory.mktemp("timed") / "home"
    env = database_env(request, backend)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        client = rowport.Client(home)
    with client:
        report = client.import_rows(TIMED_ROWS, strict=True)
        assert report.ok, report.errors
        yield TimedCatalog(home=home, client=client, env=env)


@pytest.fixture
def samples() -> Path:
    """The reference's sample rows; the test is skipped when they are not beside the repo."""
    if not SAMPLES.is_dir():
        pytest.skip(f"needs: the reference samples at {SAMPLES}")
    return SAMPLES


@pytest.fixture(autouse=True)
def _catalog_backend(catalog_backend: str) -> str:
    """Every test of this suite runs on each catalog backend (``catalog_backends``)."""
    return catalog_backend


@pytest.fixture(scope="module")
def process_executor() -> Iterator[ProcessExecutor]:
    """Two worker processes for a module's sharded exports."""
    executor = ProcessExecutor(2)
    yield executor
    executor.close()


@pytest.fixture(scope="module")
def dask_executor(dask_cluster: Any) -> Iterator[DaskExecutor]:
    """A Dask executor on the session's LocalCluster, for a module's sharded exports."""
    executor = DaskExecutor(dask_cluster.scheduler_address)
    yield executor
    executor.close()
