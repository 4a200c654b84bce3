"""Helpers for the image plugin tests: images of known size and EXIF orientation, real catalogs
and exports, and real HTTP servers on 127.0.0.1 (one honouring Range requests, one not)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

import rowport
from rowport.testing import MediaServer as Server  # noqa: F401 (re-exported)
from rowport.testing import by_global_key as by_key  # noqa: F401 (re-exported)
from rowport.testing import export_rows as run_export  # noqa: F401 (re-exported)
from rowport.testing import make_project as shared_project
from rowport.testing import serve_media as serving  # noqa: F401 (re-exported)

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


def make_project(
    client: rowport.Client, specs: Sequence[Mapping[str, Any]]
) -> tuple[Any, list[Any]]:
    """A dataset holding image ``specs`` queued in a new project with every image tool."""
    project, rows, _ = shared_project(
        client, "image", specs, tools=TOOLS, classifications=CLASSIFICATIONS
    )
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
