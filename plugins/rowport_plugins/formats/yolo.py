"""YOLO (Ultralytics layout): ``data.yaml``, one ``labels/<split>/<stem>.txt`` per image.

Detection lines are ``class cx cy w h``; segmentation lines ``class x1 y1 x2 y2 ...``; every
coordinate is normalised to 0-1 by the image's width and height. Class indexes start at 0 in
ontology order (or the ``class_map``). Label files are written as rows stream; ``data.yaml``
at the end.
"""

from __future__ import annotations

from typing import Any

import orjson

from rowport import hookimpl
from rowport.formats import Categories, FormatContext, FormatOption, FormatSpec, class_map_option
from rowport_plugins.formats._image import (
    IMAGE_TOOLS,
    ImageIndex,
    ImageInfo,
    Shape,
    image_rows,
    number,
    shapes,
    write_file,
)

__all__ = ["SPEC", "YoloWriter"]

_SPLITS = {"training": "train", "validation": "val", "test": "test"}


class YoloWriter:
    """Writes YOLO label files and ``data.yaml``."""

    def __init__(self, context: FormatContext) -> None:
        self.context = context
        self.segment = context.options["task"] == "segment"
        self.categories = Categories(0, context.options["class_map"], "yolo")
        self.index = ImageIndex(context)
        self.splits: set[str] = set()
        self.folders: dict[str, str] = {}

    def _split(self, name: str | None) -> str:
        split = _SPLITS.get(name or "", "train") if self.context.options["splits"] else "train"
        if split not in self.splits:
            self.splits.add(split)
            folder = self.context.directory / "labels" / split
            folder.mkdir(parents=True)
            self.folders[split] = str(folder)
        return split

    def _line(self, row_id: str, category: int, shape: Shape, info: ImageInfo) -> str:
        w, h = info.width, info.height
        x, y, bw, bh = shape.box
        if self.segment:
            if shape.polygon:
                points = shape.polygon
            else:
                if shape.kind == "mask":
                    self.context.lose("polygon_to_box", row_id, f"mask {shape.name}")
                points = [(x, y), (x + bw, y), (x + bw, y + bh), (x, y + bh)]
            coords = " ".join(f"{number(px / w)} {number(py / h)}" for px, py in points)
            return f"{category} {coords}"
        if shape.kind != "box":
            self.context.lose("polygon_to_box", row_id, f"{shape.kind} {shape.name}")
        cx, cy = (x + bw / 2) / w, (y + bh / 2) / h
        return f"{category} {number(cx)} {number(cy)} {number(bw / w)} {number(bh / h)}"

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Write each row's label file."""
        context = self.context
        for selected, info in image_rows(context, rows):
            self.categories.add_ontology(context.ontology(selected.source_id), IMAGE_TOOLS)
            context.drop_unsupported(selected)
            split = self._split(selected.split)
            lines = []
            for shape in shapes(context, selected, info):
                category = self.categories.id_of(shape.name)
                if category is None:
                    context.lose(
                        "object_dropped", selected.row_id, f"{shape.name} not in class_map"
                    )
                    continue
                lines.append(self._line(selected.row_id, category, shape, info) + "\n")
            write_file(f"{self.folders[split]}/{info.stem}.txt", "".join(lines))
            self.index.add(split, info, selected)
            context.wrote()

    def finish(self) -> None:
        """Write ``data.yaml`` (JSON-quoted strings are valid YAML)."""
        splits = sorted(self.splits) or ["train"]
        lines = ["path: .", *(f"{s}: images/{s}" for s in splits)]
        if "val" not in self.splits:
            lines.append("val: images/train")
        names = self.categories.names()
        lines.append(f"nc: {len(names)}")
        lines.append("names:")
        lines.extend(f"  {i}: {orjson.dumps(name).decode()}" for i, name in names)
        (self.context.directory / "data.yaml").write_text("\n".join(lines) + "\n")


SPEC = FormatSpec(
    name="yolo",
    summary="YOLO detection or segmentation labels with data.yaml (Ultralytics layout)",
    media_types=("image",),
    annotation_kinds=("ImageBoundingBox", "ImagePolygon", "ImageSegmentationMask"),
    layout=(
        "data.yaml",
        "labels/<split>/<data row id>.txt (split train, or train/val/test with splits)",
        "images.csv (split, file, row_data, data_row_id, global_key)",
        "lossiness.json",
    ),
    writer=YoloWriter,
    options=(
        FormatOption(
            name="task",
            default="detect",
            choices=("detect", "segment"),
            help="detect: boxes (polygons and masks become their box, a loss); segment:"
            " polygons (boxes become four-corner polygons; masks their box, a loss).",
        ),
        class_map_option(0),
        FormatOption(
            name="splits",
            type=bool,
            default=False,
            help="Use the model run's splits: training -> train, validation -> val, test ->"
            " test (rows without a split go to train).",
        ),
    ),
)


@hookimpl(trylast=True)
def rowport_register_formats(register: Any) -> None:
    """Register the YOLO format."""
    register(SPEC)
