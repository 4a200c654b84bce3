"""Helpers for the audio plugin tests: WAV files of known length, real catalogs and exports,
and real HTTP servers on 127.0.0.1 (one honouring Range requests, one not)."""

from __future__ import annotations

import math
import struct
import wave
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import rowport
from rowport.testing import MediaServer as Server  # noqa: F401 (re-exported)
from rowport.testing import by_global_key as by_key  # noqa: F401 (re-exported)
from rowport.testing import export_rows as run_export  # noqa: F401 (re-exported)
from rowport.testing import make_project as shared_project
from rowport.testing import serve_media as serving  # noqa: F401 (re-exported)

PLUGIN = "rowport_plugins.audio"

CLASSIFICATIONS: list[dict[str, Any]] = [
    {"type": "radio", "name": "language", "options": [{"name": "english"}, {"name": "other"}]},
    {"type": "checklist", "name": "sounds", "options": [{"name": "speech"}, {"name": "tone"}]},
    {"type": "text", "name": "transcript"},
    {
        "type": "radio",
        "name": "speaker",
        "scope": "index",
        "options": [{"name": "speaker a"}, {"name": "speaker b"}],
    },
]

GLOBAL_CLASSIFICATIONS: list[dict[str, Any]] = [
    {"name": "language", "radio_answer": {"name": "english"}},
    {"name": "sounds", "checklist_answers": [{"name": "tone"}]},
    {"name": "transcript", "text_answer": {"content": "a steady tone"}},
]


def write_wav(path: Path, seconds: float, rate: int, channels: int) -> Path:
    """A 16-bit sine tone of ``round(seconds * rate)`` frames."""
    frames = round(seconds * rate)
    samples = bytearray()
    for i in range(frames):
        value = int(8000 * math.sin(2 * math.pi * 440 * i / rate))
        samples += struct.pack("<h", value) * channels
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(samples))
    return path


def attributes(duration_ms: int, rate: int, channels: int) -> dict[str, Any]:
    return {
        "asset_type": "audio",
        "mime_type": "audio/wav",
        "duration_ms": duration_ms,
        "sample_rate": rate,
        "channels": channels,
    }


def make_project(
    client: rowport.Client,
    specs: Sequence[Mapping[str, Any]],
    classifications: Sequence[Mapping[str, Any]] = CLASSIFICATIONS,
) -> tuple[Any, list[Any], Any]:
    """A dataset holding audio ``specs`` queued in a new project: (project, rows, ontology)."""
    return shared_project(client, "audio", specs, classifications=classifications)


def turn(start_ms: Any, end_ms: Any, who: str = "speaker a") -> dict[str, Any]:
    """A temporal ``speaker`` radio answer over ``[start_ms, end_ms]``."""
    return {
        "start_ms": start_ms,
        "end_ms": end_ms,
        "name": "speaker",
        "value": "speaker",
        "radio_answer": {"name": who, "value": who.replace(" ", "_"), "classifications": []},
    }


def label(data_row: Any, timestamp: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {
        "data_row_id": data_row.uid,
        "annotations": {
            "classifications": GLOBAL_CLASSIFICATIONS,
            "segments": {},
            "timestamp": dict(timestamp or {}),
        },
    }
