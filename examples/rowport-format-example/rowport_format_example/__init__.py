"""An example format plugin: ``box_csv``, one CSV line per bounding box."""

from __future__ import annotations

import csv
from typing import Any

from rowport import hookimpl
from rowport.formats import FormatContext, FormatOption, FormatSpec


class BoxCsvWriter:
    """Appends each labelled row's boxes to ``boxes.csv``."""

    def __init__(self, context: FormatContext) -> None:
        self.context = context
        self.csv = csv.writer(context.open("boxes.csv"))
        self.csv.writerow(["data_row_id", "class", "left", "top", "width", "height"])

    def write(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            selected = self.context.select(row)
            if selected is None:
                continue
            self.context.drop_unsupported(selected)
            for obj in (selected.annotations or {}).get("objects") or ():
                box = obj.get("bounding_box")
                if box is None:
                    self.context.lose("object_dropped", selected.row_id, obj.get("name"))
                    continue
                name = self.context.options["prefix"] + str(obj.get("name"))
                self.csv.writerow(
                    [selected.row_id, name, box["left"], box["top"], box["width"], box["height"]]
                )
            self.context.wrote()

    def finish(self) -> None:
        pass


SPEC = FormatSpec(
    name="box_csv",
    summary="One CSV line per bounding box (an example third-party format)",
    media_types=("image",),
    annotation_kinds=("ImageBoundingBox",),
    layout=("boxes.csv", "lossiness.json"),
    writer=BoxCsvWriter,
    options=(FormatOption(name="prefix", default="", help="Put before every class name."),),
)


@hookimpl
def rowport_register_formats(register: Any) -> None:
    register(SPEC)
