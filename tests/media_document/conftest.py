"""Fixtures for the document plugin tests: a client with the document plugin, a PDF with pages
of different sizes, an HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from media_document_support import PAGES, Server, serving, write_pdf

import rowport
import rowport_plugins.document
from rowport.testing import make_client


@pytest.fixture
def client(tmp_path: Path) -> Iterator[rowport.Client]:
    with make_client(tmp_path, plugins=[rowport_plugins.document]) as made:
        yield made


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
