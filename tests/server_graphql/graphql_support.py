"""What the GraphQL endpoint tests share: the SDK's query texts (``sdk_queries.json``, verbatim
from ``labelbox==7.17.0``) and :class:`Org`, which sends them as the SDK does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import requests

from rowport.client import Client
from rowport.testing import RowportServer, start_server

QUERIES: dict[str, str] = json.loads((Path(__file__).parent / "sdk_queries.json").read_text())


@attrs.frozen(kw_only=True)
class Org:
    """A fresh organization: its key, a remote client, the ids of its catalog, and ``gql``."""

    token: str
    organization: str
    client: Client
    made: dict[str, Any]
    endpoint: str

    def post(self, body: Any, token: str | None = None) -> requests.Response:
        """POST ``body`` to ``/graphql`` as the SDK does (bearer key, JSON)."""
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"}
        return requests.post(self.endpoint, json=body, headers=headers, timeout=60)

    def gql(self, name: str, variables: Any = None, token: str | None = None) -> requests.Response:
        """Send the SDK's query text ``name`` with ``variables``."""
        return self.post({"query": QUERIES[name], "variables": variables}, token)

    def data(self, name: str, variables: Any = None) -> Any:
        """The ``data`` of a successful answer."""
        response = self.gql(name, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]


def serve(tmp_path_factory: pytest.TempPathFactory, *args: str) -> Iterator[RowportServer]:
    """A real ``rowport serve`` (with ``args``) on a home of its own, stopped (by pid) after."""
    served = start_server(tmp_path_factory.mktemp("graphql") / "home", *args)
    try:
        yield served
    finally:
        served.stop()
