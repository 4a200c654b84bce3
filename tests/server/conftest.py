"""Fixtures of the server tests: one home with a built catalog, a real server on it, and a
``handle`` that opens a task embedded or remote (the parametrized tests run on both)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from server_support import ROWS, Served, serving

import rowport
from rowport import ExportTask
from rowport.streams import StreamWriter
from rowport.testing import build_catalog


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("server") / "home"
    with rowport.Client(home) as client:
        made = build_catalog(client, rows=ROWS)
    return {"home": home, **made}


@pytest.fixture(scope="module")
def server(built: dict[str, Any]) -> Iterator[Served]:
    with serving(built["home"]) as served:
        yield served


@pytest.fixture
def client(built: dict[str, Any]) -> Iterator[rowport.Client]:
    """An embedded client of the served home (its exports run in this process)."""
    with rowport.Client(built["home"]) as c:
        yield c


@pytest.fixture(params=["embedded", "remote"])
def handle(
    request: pytest.FixtureRequest, client: rowport.Client, server: Served
) -> Callable[[ExportTask], ExportTask]:
    """The same task read embedded, or read over HTTP from the server."""
    if request.param == "embedded":
        return lambda task: client.get_task(task.uid)
    return lambda task: server.task(task.uid)


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streams rotate parts every 8 KiB, so the rows make many parts."""
    import rowport.tasks._runner as runner

    monkeypatch.setattr(
        runner, "StreamWriter", functools.partial(StreamWriter, part_max_bytes=8192)
    )
