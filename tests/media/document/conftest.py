"""Fixtures of the document plugin tests: a client with the document plugin, a PDF with pages
of different sizes, an HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from media_document_support import PAGES, Server, serving, write_pdf

import rowport_plugins.document


@pytest.fixture
def media_plugins() -> list[object]:
    return [rowport_plugins.document]


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    path = tmp_path / "media"
    path.mkdir()
    return path


@pytest.fixture
def pdf(media_dir: Path) -> Path:
    """A two-page PDF: US Letter portrait, then A4 landscape."""
    return write_pdf(media_dir / "two-pages.pdf", PAGES)


@pytest.fixture
def server(media_dir: Path) -> Iterator[Server]:
    with serving(media_dir) as running:
        yield running
