"""Helpers for the document plugin tests: PDFs written with pypdf, document annotations, a
project, exports and a local HTTP server counting its requests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pypdf import PdfWriter

import rowport
from rowport.testing import MediaServer as Server
from rowport.testing import by_global_key as by_key  # noqa: F401 (re-exported)
from rowport.testing import export_rows as run_export  # noqa: F401 (re-exported)
from rowport.testing import make_project as shared_project
from rowport.testing import serve_media

PLUGIN = "rowport_plugins.document"
# (width, height) in points: US Letter portrait, A4 landscape
PAGES: tuple[tuple[float, float], ...] = ((612.0, 792.0), (842.0, 595.0))
PDF_ATTRIBUTES = {"asset_type": "pdf", "mime_type": "application/pdf", "page_count": 2}
TOOLS = [
    {"tool": "bbox", "name": "table"},
    {"tool": "bbox", "name": "title block"},
    {"tool": "entity", "name": "invoice number"},
]
CLASSIFICATIONS = [
    {"type": "radio", "name": "language", "options": [{"name": "english"}, {"name": "french"}]},
]


def write_pdf(path: Path, pages: Sequence[tuple[float, float]]) -> Path:
    writer = PdfWriter()
    for width, height in pages:
        writer.add_blank_page(width=width, height=height)
    with path.open("wb") as out:
        writer.write(out)
    return path


def box(
    page: Any,
    top: float,
    left: float,
    height: float,
    width: float,
    *,
    name: str = "table",
    dims: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """A DocumentBoundingBox; ``dims`` (width, height) gives its page_dimensions."""
    obj: dict[str, Any] = {
        "name": name,
        "annotation_kind": "DocumentBoundingBox",
        "page_number": page,
        "bounding_box": {"top": top, "left": left, "height": height, "width": width},
    }
    if dims is not None:
        obj["page_dimensions"] = {"height": dims[1], "width": dims[0]}
    return obj


def entity(*pages: Any) -> dict[str, Any]:
    """A DocumentEntityToken with one group per page number."""
    return {
        "name": "invoice number",
        "annotation_kind": "DocumentEntityToken",
        "location": {
            "groups": [
                {"id": f"group-{i}", "page_number": page, "tokens": [f"t{i}"], "text": "2024"}
                for i, page in enumerate(pages)
            ]
        },
    }


def make_project(
    client: rowport.Client, specs: Sequence[Mapping[str, Any]]
) -> tuple[Any, list[Any]]:
    """A dataset holding document ``specs`` queued in a new project."""
    project, rows, _ = shared_project(
        client, "document", specs, tools=TOOLS, classifications=CLASSIFICATIONS
    )
    return project, rows


def label(data_row: Any, *objects: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "data_row_id": data_row.uid,
        "annotations": {"objects": list(objects), "classifications": [], "relationships": []},
    }


def serving(root: Path) -> Iterator[Server]:
    """The files under ``root`` over HTTP, whole (no Range support)."""
    return serve_media(root, honour_range=False)
