"""Fixtures for media probing: a client with the built-in plugins, images and PDFs on a
loopback HTTP server that counts its requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from media_probe_support import write_pdf, write_png

from rowport.testing import MediaServer, serve_media


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    """``a.png`` (64 x 48), ``b.png`` (32 x 24), ``doc.pdf`` (2 pages)."""
    path = tmp_path / "media"
    path.mkdir()
    write_png(path / "a.png", 64, 48)
    write_png(path / "b.png", 32, 24)
    write_pdf(path / "doc.pdf", 2)
    return path


@pytest.fixture
def server(media_dir: Path) -> Iterator[MediaServer]:
    with serve_media(media_dir) as running:
        yield running
