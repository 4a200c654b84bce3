"""Helpers for the image plugin tests: images of known size and EXIF orientation, real catalogs
and exports, and real HTTP servers on 127.0.0.1 (one honouring Range requests, one not)."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PIL import Image

import rowport
from rowport import StreamType

PLUGIN = "rowport_plugins.image"
WIDTH, HEIGHT = 64, 48

TOOLS: list[dict[str, Any]] = [
    {"tool": "bbox", "name": "box"},
    {"tool": "polygon", "name": "area"},
    {"tool": "line", "name": "path"},
    {"tool": "point", "name": "spot"},
    {"tool": "mask", "name": "paint"},
]
CLASSIFICATIONS: list[dict[str, Any]] = [
    {"type": "radio", "name": "quality", "options": [{"name": "good"}, {"name": "bad"}]},
]


def write_jpeg(
    path: Path,
    width: int = WIDTH,
    height: int = HEIGHT,
    orientation: int | None = 6,
    icc_bytes: int = 0,
) -> Path:
    """A JPEG of ``width`` x ``height`` with an EXIF orientation (none when None) and, with
    ``icc_bytes``, an ICC block that large before the frame header (so the head is not
    enough)."""
    img = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    extra: dict[str, Any] = {}
    if icc_bytes:
        extra["icc_profile"] = bytes(range(256)) * (icc_bytes // 256)
    img.save(path, "JPEG", exif=exif.tobytes(), **extra)
    return path


def write_png(path: Path, width: int = WIDTH, height: int = HEIGHT) -> Path:
    Image.new("RGBA", (width, height)).save(path, "PNG")
    return path


def attributes(
    width: int = WIDTH, height: int = HEIGHT, mime: str = "image/jpeg", rotation: str = "6"
) -> dict[str, Any]:
    return {
        "height": height,
        "width": width,
        "asset_type": "image",
        "mime_type": mime,
        "exif_rotation": rotation,
    }


class Server:
    """A threaded ``http.server`` serving ``root``; ``requests`` lists ``(path, Range)``.

    With ``honour_range`` it answers ``Range: bytes=a-b`` with 206 and the slice; without, it
    sends the whole file (200) whatever the request asks."""

    def __init__(self, root: Path, *, honour_range: bool) -> None:
        self.root = root
        self.requests: list[tuple[str, str | None]] = []
        seen = self.requests

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                wanted = self.headers.get("Range")
                seen.append((self.path, wanted))
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
                self.send_header("Content-Type", self.guess_type(str(path)))
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Quiet(http.server.ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that stops reading after the head it needs

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
    client: rowport.Client, specs: Sequence[Mapping[str, Any]]
) -> tuple[Any, list[Any]]:
    """A dataset holding image ``specs`` queued in a new project with every image tool."""
    dataset = client.create_dataset("image rows")
    rows = dataset.create_data_rows([{"media_type": "image", **spec} for spec in specs])
    ontology = client.create_ontology(
        "image ontology", tools=TOOLS, classifications=CLASSIFICATIONS
    )
    project = client.create_project("image project", "image", ontology)
    project.create_batch("batch", data_rows=rows)
    return project, rows


def box(top: Any, left: Any, height: Any, width: Any, name: str = "box") -> dict[str, Any]:
    return {
        "name": name,
        "annotation_kind": "ImageBoundingBox",
        "bounding_box": {"top": top, "left": left, "height": height, "width": width},
    }


def polygon(points: Sequence[tuple[Any, Any]], name: str = "area") -> dict[str, Any]:
    return {
        "name": name,
        "annotation_kind": "ImagePolygon",
        "polygon": [{"x": x, "y": y} for x, y in points],
    }


def line(points: Sequence[tuple[Any, Any]], name: str = "path") -> dict[str, Any]:
    return {
        "name": name,
        "annotation_kind": "ImagePolyline",
        "line": [{"x": x, "y": y} for x, y in points],
    }


def point(x: Any, y: Any, name: str = "spot") -> dict[str, Any]:
    return {"name": name, "annotation_kind": "ImagePoint", "point": {"x": x, "y": y}}


def mask(url: Any = "https://example.com/mask.png", color: Any = (255, 0, 0)) -> dict[str, Any]:
    return {
        "name": "paint",
        "annotation_kind": "ImageSegmentationMask",
        "composite_mask": {"url": url, "color_rgb": list(color) if color is not None else None},
    }


def good_objects() -> list[dict[str, Any]]:
    """One object of every kind, all inside a WIDTH x HEIGHT image."""
    return [
        box(1.0, 2.0, 30.0, 40.0),
        polygon([(1, 1), (60, 1), (60, 40), (1, 1)]),
        line([(0, 0), (64, 48)]),
        point(63.9, 0.0),
        mask(),
    ]


def label(data_row: Any, objects: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "data_row_id": data_row.uid,
        "annotations": {
            "objects": list(objects),
            "classifications": [{"name": "quality", "radio_answer": {"name": "good"}}],
            "relationships": [],
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


def objects_of(row: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    (section,) = row["projects"].values()
    return [obj for lab in section["labels"] for obj in lab["annotations"]["objects"]]
