"""Fixtures of the document plugin tests: a client with the document plugin, a PDF with pages
of different sizes, an HTTP server."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_document_support import PAGES, write_pdf

import rowport_plugins.document


@pytest.fixture
def media_plugins() -> list[object]:
    return [rowport_plugins.document]


@pytest.fixture
def pdf(media_dir: Path) -> Path:
    """A two-page PDF: US Letter portrait, then A4 landscape."""
    return write_pdf(media_dir / "two-pages.pdf", PAGES)
