"""Fixtures of the GraphQL endpoint tests: one real ``rowport serve`` per module, a key of a
fresh organization with a small catalog, and ``gql``: send one of the SDK's own query texts
(``sdk_queries.json``, verbatim from ``labelbox==7.17.0``) as the SDK sends it."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from rowport.client import Client
from rowport.testing import RowportServer, build_catalog, start_server

QUERIES: dict[str, str] = json.loads((Path(__file__).parent / "sdk_queries.json").read_text())
_orgs = itertools.count()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RowportServer]:
    """A real ``rowport serve`` on a home of its own, stopped (by pid) at the end."""
    served = start_server(tmp_path_factory.mktemp("graphql") / "home")
    try:
        yield served
    finally:
        served.stop()


@attrs.frozen(kw_only=True)
class Org:
    """A fresh organization: its key, a remote client, the ids of its catalog, and ``gql``."""

    token: str
    organization: str
    client: Client
    made: dict[str, Any]
    endpoint: str

    def post(self, body: Any, token: str | None = None) -> httpx.Response:
        """POST ``body`` to ``/graphql`` as the SDK does (bearer key, JSON)."""
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"}
        return httpx.post(self.endpoint, json=body, headers=headers, timeout=60)

    def gql(self, name: str, variables: Any = None, token: str | None = None) -> httpx.Response:
        """Send the SDK's query text ``name`` with ``variables``."""
        return self.post({"query": QUERIES[name], "variables": variables}, token)

    def data(self, name: str, variables: Any = None) -> Any:
        """The ``data`` of a successful answer."""
        response = self.gql(name, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]


@pytest.fixture
def org(server: RowportServer) -> Iterator[Org]:
    organization = f"gql{next(_orgs)}"
    token = server.create_key("sdk", organization=organization)
    with Client(server.url, api_key=token) as client:
        made = build_catalog(client, rows=4)
        endpoint = server.url.split("/api/v1")[0] + "/graphql"
        yield Org(
            token=token, organization=organization, client=client, made=made, endpoint=endpoint
        )
