"""Fixtures of the ``rowport serve`` tests: one real server per module (a ``rowport serve
--port 0`` subprocess on 127.0.0.1), and a ``client`` that is either an embedded client on a
fresh home or a remote client of a fresh organization of that server, so the same test runs
against both with the same assertions."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from rowport.client import Client
from rowport.testing import RowportServer, start_server

_orgs = itertools.count()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RowportServer]:
    """A real ``rowport serve`` on a home of its own, stopped (SIGTERM, by pid) at the end."""
    served = start_server(tmp_path_factory.mktemp("serve") / "home")
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture
def remote(server: RowportServer) -> Iterator[Client]:
    """A remote client of an organization no other test uses (so listings are its own)."""
    token = server.create_key("test", organization=f"org{next(_orgs)}")
    with Client(server.url, api_key=token) as client:
        yield client


@pytest.fixture(params=["embedded", "remote"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Client]:
    """The same tests against an embedded client and a remote one."""
    if request.param == "embedded":
        with Client(tmp_path / "home") as embedded:
            yield embedded
    else:
        yield request.getfixturevalue("remote")
