"""What the image formats share: an image's file name and size, and its objects as boxes,
polygons and masks in pixel coordinates, clipped to the image.

Coordinates: pixels, origin at the top-left corner of the top-left pixel, x right, y down;
a box is ``(x, y, width, height)`` (``left``, ``top`` of the export's ``bounding_box``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import attrs

from rowport.formats import FormatContext, Selected, safe_stem

__all__ = [
    "IMAGE_TOOLS",
    "ImageIndex",
    "ImageInfo",
    "Shape",
    "image_info",
    "image_rows",
    "mask_pixels",
    "number",
    "shapes",
    "write_file",
]

IMAGE_TOOLS = ("bbox", "polygon", "mask")
_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif"}

Box = tuple[float, float, float, float]
Points = list[tuple[float, float]]


@attrs.frozen(kw_only=True)
class ImageInfo:
    """An image row's file name (``<data row id><suffix>``), its source and size."""

    file_name: str
    stem: str
    row_data: str
    width: int
    height: int


@attrs.frozen(kw_only=True)
class Shape:
    """One object: its class name, kind (``box``, ``polygon``, ``mask``), geometry and the
    object it came from. ``box`` is always set (a polygon's or mask's bounds)."""

    name: str
    kind: str
    box: Box
    polygon: Points | None = None
    mask: Any = None  # a boolean numpy array (height x width) for masks
    source: Mapping[str, Any] = attrs.field(factory=dict)


def image_info(context: FormatContext, selected: Selected) -> ImageInfo | None:
    """The row's file name and size; None (a ``row_unreadable_skipped`` loss) without a size."""
    row = selected.row
    attributes = row.get("media_attributes") or {}
    width, height = attributes.get("width"), attributes.get("height")
    if not isinstance(width, int) or not isinstance(height, int) or width <= 0 or height <= 0:
        context.lose(
            "row_unreadable_skipped", selected.row_id, "no width/height in media_attributes"
        )
        return None
    row_data = str((row.get("data_row") or {}).get("row_data") or "")
    name = row_data.partition("?")[0].partition("#")[0].rpartition("/")[2]
    suffix = "." + name.rpartition(".")[2].lower() if "." in name else ""
    stem = safe_stem(selected.row_id)
    return ImageInfo(
        file_name=stem + (suffix if suffix in _SUFFIXES else ".jpg"),
        stem=stem,
        row_data=row_data,
        width=width,
        height=height,
    )


def image_rows(
    context: FormatContext, rows: list[dict[str, Any]]
) -> Iterator[tuple[Selected, ImageInfo]]:
    """Each row an image format writes, in order, with its image's size (rows without labels
    to write, or whose size is unknown, are left out as :func:`image_info` reports)."""
    for row in rows:
        selected = context.select(row)
        if selected is None:
            continue
        info = image_info(context, selected)
        if info is not None:
            yield selected, info


def _clip_points(points: Points, info: ImageInfo) -> tuple[Points, bool]:
    w, h = info.width, info.height
    out = [
        (0.0 if x < 0 else w if x > w else x, 0.0 if y < 0 else h if y > h else y)
        for x, y in points
    ]
    return out, out != points


def _bounds(points: Points) -> Box:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def mask_pixels(obj: Mapping[str, Any], info: ImageInfo) -> Any:
    """The object's mask as a boolean array, or None when its image is not a readable local
    file of the image's size (rowport reads no remote media)."""
    import numpy as np
    from PIL import Image

    mask = obj.get("composite_mask") or obj.get("mask") or {}
    url = str(mask.get("url") or "")
    parsed = urlparse(url)
    if parsed.scheme not in ("file", ""):
        return None
    path = Path(unquote(parsed.path))
    if not path.is_file():
        return None
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"))
    if pixels.shape[:2] != (info.height, info.width):
        return None
    color = mask.get("color_rgb") or [255, 255, 255]
    return (pixels == np.array(color[:3], dtype=pixels.dtype)).all(axis=2)


def shapes(context: FormatContext, selected: Selected, info: ImageInfo) -> Iterator[Shape]:
    """The row's boxes, polygons and masks, clipped (``coordinates_clipped``); other objects
    are ``object_dropped`` and unreadable masks ``mask_unreadable``. Nested classifications and
    confidences are counted as lost here too: no image format carries them."""
    for obj in (selected.annotations or {}).get("objects") or ():
        name = str(obj.get("name"))
        if "bounding_box" in obj:
            b = obj["bounding_box"]
            x, y = float(b["left"]), float(b["top"])
            corners = [(x, y), (x + float(b["width"]), y + float(b["height"]))]
            clipped, changed = _clip_points(corners, info)
            (x0, y0), (x1, y1) = clipped
            shape = Shape(name=name, kind="box", box=(x0, y0, x1 - x0, y1 - y0), source=obj)
        elif "polygon" in obj:
            points = [(float(p["x"]), float(p["y"])) for p in obj["polygon"]]
            if len(points) > 1 and points[0] == points[-1]:
                points = points[:-1]  # COCO and YOLO rings are implicitly closed
            clipped, changed = _clip_points(points, info)
            shape = Shape(
                name=name, kind="polygon", box=_bounds(clipped), polygon=clipped, source=obj
            )
        elif "composite_mask" in obj or "mask" in obj:
            pixels = mask_pixels(obj, info)
            if pixels is None or not pixels.any():
                context.lose("mask_unreadable", selected.row_id, name)
                continue
            import numpy as np

            rows, cols = np.any(pixels, axis=1), np.any(pixels, axis=0)
            y0, y1 = np.where(rows)[0][[0, -1]]
            x0, x1 = np.where(cols)[0][[0, -1]]
            box = (float(x0), float(y0), float(x1 - x0 + 1), float(y1 - y0 + 1))
            shape, changed = Shape(name=name, kind="mask", box=box, mask=pixels, source=obj), False
        else:
            context.lose("object_dropped", selected.row_id, f"{obj.get('annotation_kind')} {name}")
            continue
        if changed:
            context.lose("coordinates_clipped", selected.row_id, name)
        context.drop_object_extras(selected, obj)
        yield shape


class ImageIndex:
    """``images.csv``: which source each written image file name stands for (rowport reads
    no media, so the images themselves are the user's to fetch: save ``row_data`` as
    ``images/<split>/<file>``)."""

    def __init__(self, context: FormatContext) -> None:
        import csv

        self._file = context.open("images.csv")
        self._csv = csv.writer(self._file)
        self._csv.writerow(["split", "file", "row_data", "data_row_id", "global_key"])

    def add(self, split: str, info: ImageInfo, selected: Selected) -> None:
        """One image's line."""
        global_key = (selected.row.get("data_row") or {}).get("global_key") or ""
        self._csv.writerow([split, info.file_name, info.row_data, selected.row_id, global_key])


def write_file(path: str, text: str) -> None:
    """Create ``path`` holding ``text`` (UTF-8): one file per image is the cost of YOLO and
    VOC, so this skips the buffered file object ``open`` would build."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def number(value: float) -> str:
    """A coordinate as text: integers without a point, others with up to 6 decimals."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
