"""Fixtures every media plugin test shares: a client with the plugins under test, and the
files of ``media_dir`` over loopback HTTP with and without Range support.

Each kind's ``conftest.py`` says which plugins its client has (``media_plugins``; the built-ins
only by default) and what ``media_dir`` holds; the helpers tests build rows and labels with are
in :mod:`rowport.testing`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import rowport
from rowport.testing import MediaServer, make_client, serve_media


@pytest.fixture
def media_plugins() -> list[object]:
    """The plugin modules the ``client`` registers beside the built-ins (none: built-ins)."""
    return []


@pytest.fixture
def client(tmp_path: Path, media_plugins: list[object]) -> Iterator[rowport.Client]:
    with make_client(tmp_path, plugins=media_plugins) as made:
        yield made


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    """A directory for the files a test serves (empty here; a kind's conftest may fill it)."""
    path = tmp_path / "media"
    path.mkdir()
    return path


@pytest.fixture
def server(media_dir: Path) -> Iterator[MediaServer]:
    """``media_dir`` over HTTP, whole (no Range support), counting the requests it answers."""
    with serve_media(media_dir, honour_range=False) as running:
        yield running


@pytest.fixture
def range_server(media_dir: Path) -> Iterator[MediaServer]:
    """``media_dir`` over HTTP, honouring Range requests."""
    with serve_media(media_dir, honour_range=True) as running:
        yield running


@pytest.fixture
def plain_server(media_dir: Path) -> Iterator[MediaServer]:
    """``media_dir`` over HTTP, always whole (no Range support)."""
    with serve_media(media_dir, honour_range=False) as running:
        yield running
