"""Helpers for the media probe tests: media files, image projects, a URL nobody answers, and
an HTTP server that holds every request until the test lets it go."""

from __future__ import annotations

import contextlib
import http.server
import io
import socket
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from PIL import Image
from pypdf import PdfWriter

import rowport
from rowport.testing import serve_http

PNG_ATTRIBUTES = {
    "height": 48,
    "width": 64,
    "asset_type": "image",
    "mime_type": "image/png",
    "exif_rotation": "1",
}


def write_png(path: Path, width: int, height: int) -> Path:
    Image.new("RGB", (width, height), (10, 20, 30)).save(path, "PNG")
    return path


def png_bytes(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height)).save(out, "PNG")
    return out.getvalue()


def write_pdf(path: Path, pages: int) -> Path:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    with path.open("wb") as out:
        writer.write(out)
    return path


def box(top: float, left: float, height: float, width: float) -> dict[str, Any]:
    return {
        "name": "box",
        "annotation_kind": "ImageBoundingBox",
        "bounding_box": {"top": top, "left": left, "height": height, "width": width},
    }


def image_project(
    client: rowport.Client, specs: Sequence[dict[str, Any]], media_type: str = "image"
) -> tuple[Any, Any, list[Any]]:
    """A dataset of ``specs`` rows queued in a project with a ``box`` tool."""
    dataset = client.create_dataset(f"{media_type} rows")
    rows = dataset.create_data_rows([{"media_type": media_type, **spec} for spec in specs])
    ontology = client.create_ontology("boxes", tools=[{"tool": "bbox", "name": "box"}])
    project = client.create_project(f"{media_type} project", media_type, ontology)
    project.create_batch("all", data_rows=rows)
    return dataset, project, rows


def unreachable_url(name: str) -> str:
    """An http:// URL on a loopback port where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/{name}"


class GatedServer:
    """Answers every GET with the same PNG, but only once :attr:`gate` is set;
    :attr:`arrived` is set when the first request comes in."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.arrived = threading.Event()
        self.hits = 0
        body = png_bytes()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.hits += 1
                owner.arrived.set()
                owner.gate.wait(60)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.handler = Handler
        self.port = 0

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


@contextlib.contextmanager
def gated_server() -> Iterator[GatedServer]:
    server = GatedServer()
    with serve_http(server.handler) as httpd:
        server.port = httpd.server_port
        try:
            yield server
        finally:
            server.gate.set()


def stream_lines(task: Any, errors: bool = False) -> list[dict[str, Any]]:
    """Every line of a finished task's RESULT (or ERRORS) stream, parsed."""
    from rowport.tasks import StreamType

    kind = StreamType.ERRORS if errors else StreamType.RESULT
    if not task.get_total_lines(kind):
        return []
    return [o.json for o in task.get_buffered_stream(kind)]
