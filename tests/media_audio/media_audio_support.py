"""Helpers for the audio plugin tests: WAV files of known length, real catalogs and exports,
and real HTTP servers on 127.0.0.1 (one honouring Range requests, one not)."""

from __future__ import annotations

import functools
import http.server
import math
import re
import struct
import threading
import wave
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import rowport
from rowport import StreamType

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


class Server:
    """A threaded ``http.server`` serving ``root``; ``ranges`` lists the Range headers seen.

    With ``honour_range`` it answers ``Range: bytes=a-b`` with 206 and the slice; without, it
    sends the whole file (200) whatever the request asks."""

    def __init__(self, root: Path, *, honour_range: bool) -> None:
        self.root = root
        self.ranges: list[str | None] = []
        ranges = self.ranges

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                wanted = self.headers.get("Range")
                ranges.append(wanted)
                match = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted or "")
                if not honour_range or match is None:
                    super().do_GET()
                    return
                path = Path(self.translate_path(self.path))
                if not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                start = int(match[1])
                end = min(int(match[2]) if match[2] else len(data) - 1, len(data) - 1)
                body = data[start : end + 1]
                self.send_response(206)
                self.send_header("Content-Type", "audio/wav")
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Quiet(http.server.ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that stops reading after the header it needs

        handler = functools.partial(Handler, directory=str(root))
        self.httpd = Quiet(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, name: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/{name}"


@contextmanager
def serving(root: Path, *, honour_range: bool) -> Iterator[Server]:
    server = Server(root, honour_range=honour_range)
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        server.thread.join(timeout=5)


def make_project(
    client: rowport.Client,
    specs: Sequence[Mapping[str, Any]],
    classifications: Sequence[Mapping[str, Any]] = CLASSIFICATIONS,
) -> tuple[Any, list[Any], Any]:
    """A dataset holding audio ``specs`` queued in a new project: (project, rows, ontology)."""
    dataset = client.create_dataset("audio rows")
    rows = dataset.create_data_rows([{"media_type": "audio", **spec} for spec in specs])
    ontology = client.create_ontology(
        "audio ontology", tools=[], classifications=list(classifications)
    )
    project = client.create_project("audio project", "audio", ontology)
    project.create_batch("batch", data_rows=rows)
    return project, rows, ontology


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


def run_export(project: Any, **options: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Export ``project``; return (RESULT rows, ERRORS lines)."""
    task = project.export(**options)
    task.wait_till_done(timeout_seconds=60)
    assert task.status == "COMPLETE", task.status
    rows = [o.json for o in task.get_buffered_stream()] if task.has_result() else []
    errors = (
        [o.json for o in task.get_buffered_stream(StreamType.ERRORS)] if task.has_errors() else []
    )
    return rows, errors


def by_key(rows: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {row["data_row"]["global_key"]: row for row in rows}
