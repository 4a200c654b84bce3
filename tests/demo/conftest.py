"""Fixtures for the demo tests: the media files, and one small demo catalog per module.

Helpers live in ``demo_support`` (a uniquely named module, importable from test modules).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from demo_support import BULK_ROWS

from rowport.client import Client
from rowport.demo import DemoCatalog, build_demo, make_media


@pytest.fixture
def media(tmp_path: Path) -> dict[str, Path]:
    """The demo's media files, freshly made in ``tmp_path``."""
    return make_media(tmp_path / "media")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, DemoCatalog]]:
    """A client on a home holding the demo with a few bulk rows (read-only for the tests)."""
    home = tmp_path_factory.mktemp("demo-home")
    with Client(home) as client:
        yield client, build_demo(client, home / "media", bulk_rows=BULK_ROWS)
