"""Fixtures of the HTML plugin tests: a client with the HTML plugin, files, an HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from media_html_support import Server, serving

import rowport_plugins.html


@pytest.fixture
def media_plugins() -> list[object]:
    return [rowport_plugins.html]


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    path = tmp_path / "media"
    path.mkdir()
    return path


@pytest.fixture
def server(media_dir: Path) -> Iterator[Server]:
    with serving(media_dir) as running:
        yield running
