"""Document page layout: ``<data row id>/page-<n>.json`` per page with boxes and token groups.

Each page file holds ``page_number`` (1-based), ``width`` and ``height`` in PDF points (from
the boxes' ``page_dimensions``; null when no box gives them), ``boxes`` (``[left, top, width,
height]`` in points from the page's top-left) and ``token_groups`` (token ids and text).
"""

from __future__ import annotations

from typing import Any

import orjson

from rowport import hookimpl
from rowport.formats import FormatContext, FormatSpec, safe_stem

__all__ = ["SPEC", "LayoutWriter"]


def _page(pages: dict[int, dict[str, Any]], n: int) -> dict[str, Any]:
    """Page ``n`` of ``pages``, added empty when new."""
    return pages.setdefault(
        n, {"page_number": n, "width": None, "height": None, "boxes": [], "token_groups": []}
    )


class LayoutWriter:
    """Writes the page files of each document row."""

    def __init__(self, context: FormatContext) -> None:
        self.context = context

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Write each row's pages."""
        context = self.context
        for row in rows:
            selected = context.select(row)
            if selected is None:
                continue
            context.drop_unsupported(selected)
            count = (row.get("media_attributes") or {}).get("page_count") or 0
            pages: dict[int, dict[str, Any]] = {}
            for n in range(1, int(count) + 1):
                _page(pages, n)

            for obj in (selected.annotations or {}).get("objects") or ():
                base = {"name": obj.get("name"), "feature_id": obj.get("feature_id")}
                if "bounding_box" in obj:
                    b = obj["bounding_box"]
                    target = _page(pages, int(obj.get("page_number") or 1))
                    size = obj.get("page_dimensions") or {}
                    if size:
                        target["width"], target["height"] = size.get("width"), size.get("height")
                    target["boxes"].append(
                        {**base, "bbox": [b["left"], b["top"], b["width"], b["height"]]}
                    )
                elif "location" in obj and "groups" in (obj["location"] or {}):
                    for group in obj["location"]["groups"]:
                        _page(pages, int(group.get("page_number") or 1))["token_groups"].append(
                            {
                                **base,
                                "group_id": group.get("id"),
                                "tokens": group.get("tokens") or [],
                                "text": group.get("text"),
                            }
                        )
                else:
                    context.lose("object_dropped", selected.row_id, str(obj.get("annotation_kind")))
                    continue
                context.drop_object_extras(selected, obj)
            folder = context.directory / safe_stem(selected.row_id)
            folder.mkdir()
            for n, content in sorted(pages.items()):
                data = {"data_row_id": selected.row_id, **content}
                (folder / f"page-{n:04d}.json").write_bytes(orjson.dumps(data))
            context.wrote()

    def finish(self) -> None:
        """Nothing to complete: each page was written whole."""


SPEC = FormatSpec(
    name="layout",
    summary="Per-page document layout JSON: boxes and token groups with page size",
    media_types=("document",),
    annotation_kinds=("DocumentBoundingBox", "DocumentEntityToken"),
    layout=("<data row id>/page-<n>.json", "lossiness.json"),
    writer=LayoutWriter,
)


@hookimpl(trylast=True)
def rowport_register_formats(register: Any) -> None:
    """Register the page layout format."""
    register(SPEC)
