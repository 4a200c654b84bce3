"""Pascal VOC: one ``Annotations/<stem>.xml`` per image and ``ImageSets/Main/<split>.txt``.

Coordinates follow VOC's 1-based pixel convention: ``xmin = left + 1``,
``ymin = top + 1``, ``xmax = left + width``, ``ymax = top + height``. Polygons and masks
become their bounding box (a loss).
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from rowport import hookimpl
from rowport.formats import FormatContext, FormatSpec
from rowport_plugins.formats._image import ImageIndex, image_rows, number, shapes, write_file

__all__ = ["SPEC", "VocWriter"]


class VocWriter:
    """Writes one VOC XML file per image."""

    def __init__(self, context: FormatContext) -> None:
        self.context = context
        (context.directory / "Annotations").mkdir()
        self.folder = str(context.directory / "Annotations")
        (context.directory / "ImageSets" / "Main").mkdir(parents=True)
        self.index = ImageIndex(context)
        self.sets: dict[str, Any] = {}

    def _set(self, split: str | None) -> Any:
        name = {"training": "train", "validation": "val", "test": "test"}.get(split or "", "train")
        if name not in self.sets:
            self.sets[name] = self.context.open(f"ImageSets/Main/{name}.txt")
        return name, self.sets[name]

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Write each row's XML file."""
        context = self.context
        for selected, info in image_rows(context, rows):
            context.drop_unsupported(selected)
            objects = []
            for shape in shapes(context, selected, info):
                if shape.kind != "box":
                    context.lose("polygon_to_box", selected.row_id, f"{shape.kind} {shape.name}")
                x, y, w, h = shape.box
                objects.append(
                    "  <object>\n"
                    f"    <name>{escape(shape.name)}</name>\n"
                    "    <pose>Unspecified</pose>\n    <truncated>0</truncated>\n"
                    "    <difficult>0</difficult>\n"
                    f"    <bndbox><xmin>{number(x + 1)}</xmin><ymin>{number(y + 1)}</ymin>"
                    f"<xmax>{number(x + w)}</xmax><ymax>{number(y + h)}</ymax></bndbox>\n"
                    "  </object>\n"
                )
            xml = (
                "<annotation>\n  <folder>images</folder>\n"
                f"  <filename>{escape(info.file_name)}</filename>\n"
                f"  <path>{escape(info.row_data)}</path>\n"
                "  <source><database>rowport</database></source>\n"
                f"  <size><width>{info.width}</width><height>{info.height}</height>"
                "<depth>3</depth></size>\n  <segmented>0</segmented>\n"
                + "".join(objects)
                + "</annotation>\n"
            )
            write_file(f"{self.folder}/{info.stem}.xml", xml)
            split, listing = self._set(selected.split)
            listing.write(info.stem + "\n")
            self.index.add(split, info, selected)
            context.wrote()

    def finish(self) -> None:
        """Nothing to complete: the context closes the lists and the index."""


SPEC = FormatSpec(
    name="voc",
    summary="Pascal VOC XML, one file per image (boxes; 1-based pixel coordinates)",
    media_types=("image",),
    annotation_kinds=("ImageBoundingBox", "ImagePolygon", "ImageSegmentationMask"),
    layout=(
        "Annotations/<data row id>.xml",
        "ImageSets/Main/<split>.txt (train, or the model run's train/val/test)",
        "images.csv",
        "lossiness.json",
    ),
    writer=VocWriter,
)


@hookimpl(trylast=True)
def rowport_register_formats(register: Any) -> None:
    """Register the Pascal VOC format."""
    register(SPEC)
