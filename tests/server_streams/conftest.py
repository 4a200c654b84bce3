"""Fixtures of the server tests: one home with a built catalog, a real ``rowport serve`` on it
(``rowport.testing.start_server``), and a ``handle`` that opens a task embedded or through a
remote client (the parametrized tests run on both with the same assertions)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from server_support import ROWS

import rowport
from rowport import ExportTask
from rowport.streams import StreamWriter
from rowport.streams._storage import STORAGE_URL_VARIABLE
from rowport.testing import RowportServer, build_catalog, start_server


@pytest.fixture(scope="module", params=["local", "s3"])
def storage(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """Where the served home's streams go: its own folder, or a prefix on SeaweedFS (the
    variables are set in this process for the module, and passed to the server)."""
    if request.param == "local":
        yield {}
        return
    seaweed = request.getfixturevalue("seaweed")
    env = {**seaweed.env(), STORAGE_URL_VARIABLE: f"s3://exports/serve-{uuid.uuid4().hex[:12]}"}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        yield env


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, storage: dict[str, str]) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("server") / "home"
    with rowport.Client(home) as client:
        made = build_catalog(client, rows=ROWS)
    return {"home": home, **made}


@pytest.fixture(scope="module")
def server(built: dict[str, Any], storage: dict[str, str]) -> Iterator[RowportServer]:
    """``rowport serve`` on the built home, stopped (SIGTERM, by pid) at the end."""
    served = start_server(built["home"], env=storage)
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="module")
def token(server: RowportServer) -> str:
    """A key of the home's own organization (the one the embedded client builds in)."""
    return server.create_key("streams")


@pytest.fixture(scope="module")
def remote(server: RowportServer, token: str) -> Iterator[rowport.Client]:
    with rowport.Client(server.url, api_key=token) as c:
        yield c


@pytest.fixture
def client(built: dict[str, Any]) -> Iterator[rowport.Client]:
    """An embedded client of the served home (its exports run in this process)."""
    with rowport.Client(built["home"]) as c:
        yield c


@pytest.fixture(params=["embedded", "remote"])
def handle(
    request: pytest.FixtureRequest, client: rowport.Client
) -> Callable[[ExportTask], ExportTask]:
    """The same task read embedded, or read over HTTP from the server."""
    reader: rowport.Client = (
        client if request.param == "embedded" else request.getfixturevalue("remote")
    )
    return lambda task: reader.get_task(task.uid)


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streams rotate parts every 8 KiB, so the rows make many parts."""
    import rowport.tasks._runner as runner

    monkeypatch.setattr(
        runner, "StreamWriter", functools.partial(StreamWriter, part_max_bytes=8192)
    )
