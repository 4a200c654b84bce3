"""Fixtures for the image plugin tests: a client with the image plugin, images, servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from media_image_support import Server, serving, write_jpeg, write_png

import rowport
import rowport_plugins.image
from rowport.testing import make_client


@pytest.fixture
def client(tmp_path: Path) -> Iterator[rowport.Client]:
    with make_client(tmp_path, plugins=[rowport_plugins.image]) as made:
        yield made


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    """``photo.jpg`` (64 x 48, EXIF orientation 6), ``plain.png`` (64 x 48, no EXIF),
    ``big-icc.jpg`` (a 200 KB ICC block before the frame header), ``notes.txt``."""
    path = tmp_path / "media"
    path.mkdir()
    write_jpeg(path / "photo.jpg")
    write_png(path / "plain.png")
    write_jpeg(path / "big-icc.jpg", 30, 20, orientation=3, icc_bytes=200_000)
    (path / "notes.txt").write_text("not an image at all\n" * 10)
    return path


@pytest.fixture
def range_server(media_dir: Path) -> Iterator[Server]:
    with serving(media_dir, honour_range=True) as running:
        yield running


@pytest.fixture
def plain_server(media_dir: Path) -> Iterator[Server]:
    with serving(media_dir, honour_range=False) as running:
        yield running
