"""Fixtures of the image plugin tests: a client with the image plugin, images, servers."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_image_support import write_jpeg, write_png

import rowport_plugins.image


@pytest.fixture
def media_plugins() -> list[object]:
    return [rowport_plugins.image]


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
