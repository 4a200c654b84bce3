"""Fixtures for the audio plugin tests: a client with the audio plugin, WAV files, servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from media_audio_support import Server, serving, write_wav

import rowport
import rowport_plugins.audio
from rowport.testing import make_client


@pytest.fixture
def client(tmp_path: Path) -> Iterator[rowport.Client]:
    with make_client(tmp_path, plugins=[rowport_plugins.audio]) as made:
        yield made


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    """``mono.wav`` (16 kHz, 1.5 s) and ``stereo.wav`` (8 kHz, 0.75 s)."""
    path = tmp_path / "media"
    path.mkdir()
    write_wav(path / "mono.wav", 1.5, 16000, 1)
    write_wav(path / "stereo.wav", 0.75, 8000, 2)
    return path


@pytest.fixture
def range_server(media_dir: Path) -> Iterator[Server]:
    with serving(media_dir, honour_range=True) as running:
        yield running


@pytest.fixture
def plain_server(media_dir: Path) -> Iterator[Server]:
    with serving(media_dir, honour_range=False) as running:
        yield running
