"""One demo catalog (every media type) plus extra rows, built once for the format tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from formats_support import BULK_ROWS, Catalogs, add_extras

from rowport.client import Client
from rowport.demo import build_demo


@pytest.fixture(scope="session")
def catalogs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogs]:
    """Read-only for the tests: convert its tasks into ``tmp_path``."""
    home = tmp_path_factory.mktemp("formats-home")
    with Client(home) as client:
        demo = build_demo(client, home / "media", bulk_rows=BULK_ROWS)
        yield Catalogs(client=client, demo=demo, extra=add_extras(client, home / "media"))
