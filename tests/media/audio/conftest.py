"""Fixtures of the audio plugin tests: a client with the audio plugin, WAV files, servers."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_audio_support import write_wav

import rowport_plugins.audio


@pytest.fixture
def media_plugins() -> list[object]:
    return [rowport_plugins.audio]


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    """``mono.wav`` (16 kHz, 1.5 s) and ``stereo.wav`` (8 kHz, 0.75 s)."""
    path = tmp_path / "media"
    path.mkdir()
    write_wav(path / "mono.wav", 1.5, 16000, 1)
    write_wav(path / "stereo.wav", 0.75, 8000, 2)
    return path
