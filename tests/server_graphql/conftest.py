"""Fixtures of the GraphQL endpoint tests: one real ``rowport serve`` per module, and ``org``:
a key of a fresh organization with a small catalog (see ``graphql_support.Org``)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from graphql_support import Org, serve

from rowport.client import Client
from rowport.testing import RowportServer, build_catalog

_orgs = itertools.count()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RowportServer]:
    """A real ``rowport serve`` on a home of its own (its SDK user in UTC)."""
    yield from serve(tmp_path_factory)


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
