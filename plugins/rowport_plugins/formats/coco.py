"""COCO instances: ``annotations/instances.json`` with images, annotations and categories.

Boxes are ``[x, y, width, height]`` in pixels; polygons ``[[x1, y1, x2, y2, ...]]``; readable
masks become uncompressed RLE (column-major counts starting with background). Category ids
start at 1 in ontology order (or the ``class_map``). Images and annotations are spilled to
temporary files while rows stream and stitched at the end, so memory stays flat.
"""

from __future__ import annotations

from typing import Any

from rowport import hookimpl
from rowport.formats import (
    Categories,
    FormatContext,
    FormatOption,
    FormatSpec,
    JsonArrayFile,
    class_map_option,
)
from rowport_plugins.formats._image import IMAGE_TOOLS, Shape, image_rows, shapes

__all__ = ["SPEC", "CocoWriter", "rle"]


def rle(mask: Any) -> dict[str, Any]:
    """A boolean mask as COCO's uncompressed RLE: column-major runs, background first."""
    import numpy as np

    flat = np.asarray(mask, dtype=np.uint8).flatten(order="F")
    changes = np.flatnonzero(np.diff(flat)) + 1
    counts = np.diff(np.concatenate(([0], changes, [flat.size]))).tolist()
    if flat.size and flat[0] == 1:
        counts = [0, *counts]
    return {"counts": counts, "size": [int(mask.shape[0]), int(mask.shape[1])]}


def _area(shape: Shape) -> float:
    if shape.kind == "mask":
        return float(shape.mask.sum())
    if shape.kind == "polygon" and shape.polygon:
        pts = shape.polygon
        twice = sum(
            x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True)
        )
        return abs(twice) / 2
    return shape.box[2] * shape.box[3]


class _Split:
    def __init__(self, context: FormatContext, name: str) -> None:
        self.name = name
        self.images = JsonArrayFile(context.directory / f".images-{name}.tmp")
        self.annotations = JsonArrayFile(context.directory / f".annotations-{name}.tmp")


class CocoWriter:
    """Writes COCO instances files (one per split with ``splits``)."""

    def __init__(self, context: FormatContext) -> None:
        self.context = context
        self.categories = Categories(1, context.options["class_map"], "coco")
        self.splits: dict[str, _Split] = {}
        self.image_id = 0
        self.annotation_id = 0
        (context.directory / "annotations").mkdir()

    def _split(self, name: str | None) -> _Split:
        key = (name or "unassigned") if self.context.options["splits"] else ""
        split = self.splits.get(key)
        if split is None:
            split = self.splits[key] = _Split(self.context, key or "all")
        return split

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Add each row's image and its objects."""
        context = self.context
        for selected, info in image_rows(context, rows):
            self.categories.add_ontology(context.ontology(selected.source_id), IMAGE_TOOLS)
            context.drop_unsupported(selected)
            split = self._split(selected.split)
            self.image_id += 1
            data_row = selected.row.get("data_row") or {}
            split.images.append(
                {
                    "id": self.image_id,
                    "file_name": info.file_name,
                    "width": info.width,
                    "height": info.height,
                    "coco_url": info.row_data,
                    "rowport_data_row_id": selected.row_id,
                    "rowport_global_key": data_row.get("global_key"),
                }
            )
            for shape in shapes(context, selected, info):
                category = self.categories.id_of(shape.name)
                if category is None:
                    context.lose(
                        "object_dropped", selected.row_id, f"{shape.name} not in class_map"
                    )
                    continue
                self.annotation_id += 1
                if shape.kind == "mask":
                    segmentation: Any = rle(shape.mask)
                elif shape.kind == "polygon" and shape.polygon:
                    segmentation = [[round(c, 3) for p in shape.polygon for c in p]]
                else:
                    x, y, w, h = shape.box
                    segmentation = [[x, y, x + w, y, x + w, y + h, x, y + h]]
                split.annotations.append(
                    {
                        "id": self.annotation_id,
                        "image_id": self.image_id,
                        "category_id": category,
                        "bbox": list(shape.box),
                        "area": round(_area(shape), 3),
                        "segmentation": segmentation,
                        "iscrowd": 0,
                        "rowport_feature_id": shape.source.get("feature_id"),
                    }
                )
            context.wrote()

    def finish(self) -> None:
        """Stitch each split's file: info, licenses, categories, images, annotations."""
        if not self.splits:
            self._split(None)
        categories = [
            {"id": i, "name": name, "supercategory": ""} for i, name in self.categories.names()
        ]
        import orjson

        for key, split in self.splits.items():
            name = f"instances_{key}.json" if key else "instances.json"
            with open(self.context.directory / "annotations" / name, "wb") as out:
                out.write(b'{"info":{"description":"exported by rowport","version":"1.0"},')
                out.write(b'"licenses":[],"categories":' + orjson.dumps(categories) + b',"images":')
                split.images.copy_into(out)
                out.write(b',"annotations":')
                split.annotations.copy_into(out)
                out.write(b"}")


SPEC = FormatSpec(
    name="coco",
    summary="COCO instances (boxes, polygons, RLE masks) for detection and segmentation",
    media_types=("image",),
    annotation_kinds=("ImageBoundingBox", "ImagePolygon", "ImageSegmentationMask"),
    layout=(
        "annotations/instances.json (annotations/instances_<split>.json with splits)",
        "lossiness.json",
    ),
    writer=CocoWriter,
    options=(
        class_map_option(1),
        FormatOption(
            name="splits",
            type=bool,
            default=False,
            help="One file per model run split (instances_training.json...); rows without a"
            " split go to instances_unassigned.json.",
        ),
    ),
)


@hookimpl(trylast=True)
def rowport_register_formats(register: Any) -> None:
    """Register the COCO format."""
    register(SPEC)
