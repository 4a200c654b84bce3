"""Fixtures of the server tests: one home with a built catalog, a real ``rowport serve`` on it
(``rowport.testing.start_server``), and a ``handle`` that opens a task embedded or through a
remote client (the parametrized tests run on both with the same assertions)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from server_support import ROWS

import rowport
from rowport import ExportTask
from rowport.streams import StreamWriter
from rowport.testing import RowportServer, build_catalog, start_server


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("server") / "home"
    with rowport.Client(home) as client:
        made = build_catalog(client, rows=ROWS)
    return {"home": home, **made}


@pytest.fixture(scope="module")
def server(built: dict[str, Any]) -> Iterator[RowportServer]:
    """``rowport serve`` on the built home, stopped (SIGTERM, by pid) at the end."""
    served = start_server(built["home"])
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
