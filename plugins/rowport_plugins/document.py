"""Built-in plugin for ``document`` rows (PDFs): reads the page count and every page's size from
the real PDF, checks document annotations against them, and fills ``page_dimensions``.

By default (``media.fetch = "off"``) no PDF is read during an export: page numbers are checked
against the stored ``page_count`` and boxes against their own ``page_dimensions``; a media probe
(``dataset.probe_media()``) stores ``page_count``. With ``media.fetch = "missing"`` an export
reads the PDFs of rows without a ``page_count`` or with boxes lacking ``page_dimensions``; with
``"always"`` every row's.

A document row's ``row_data`` names the PDF: a local path, a ``file://`` URL or an
``http(s)://`` URL. The whole file is read (up to ``plugin_options["media"]["max_bytes"]``) and
parsed with pypdf, once per export per source (the page sizes are kept in ``context.state``), and
only for rows that need it: rows without a stored ``page_count``, and rows with document
annotations to check.

A page's size is its visible area in PDF points: the CropBox (the MediaBox when there is none),
width and height swapped for pages rotated by 90 or 270 degrees.

Codes: ``PAGE_OUT_OF_RANGE`` (a box's or an entity group's ``page_number`` is not an integer from
1 to the page count), ``BBOX_INVALID`` (a box that is not ``{top, left, height, width}`` numbers
with a non-negative size), ``BBOX_OUT_OF_BOUNDS`` (a box past its page's edges, beyond
``plugin_options["document"]["tolerance"]`` points), ``ENTITY_INVALID`` (an entity without
``location.groups``), ``MEDIA_UNREADABLE`` (not a PDF pypdf can read) and the fetcher's
``MEDIA_*`` codes. One problem per bad annotation, one per row for media problems. See
``docs/media/document.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from rowport import hookimpl
from rowport.plugins import ExportContext, Problem
from rowport_plugins._formats.pdf import Pages, page_sizes
from rowport_plugins._media import (
    MediaError,
    MediaFetcher,
    declarations,
    fetch_enabled,
    fetch_mode,
    fetcher,
    fill_media_attributes,
    is_int,
    is_number,
    iter_objects,
    plugin_options,
    probe_media_attributes,
    read_once,
    unreadable,
)
from rowport_plugins._media import tolerance as option_tolerance

__all__ = [
    "DEFAULT_TOLERANCE",
    "read_pdf_pages",
    "rowport_declare_media_types",
    "rowport_declare_sections",
    "rowport_probe_media",
    "rowport_transform_rows",
    "rowport_validate_rows",
]

NAME = "document"
DEFAULT_TOLERANCE = 0.5
_CACHE_KEY = "rowport_plugins.document.pages"
_KINDS = ("DocumentBoundingBox", "DocumentEntityToken")


def read_pdf_pages(media: MediaFetcher, source: str) -> Pages:
    """The page sizes of the PDF at ``source`` (read whole, within the fetcher's cap)."""
    return page_sizes(media.read(source).data)


def _pages(row: Mapping[str, Any], context: ExportContext) -> Pages | MediaError:
    """The row's page sizes (read once per export per source)."""
    return read_once(
        context,
        _CACHE_KEY,
        row["data_row"]["row_data"],
        lambda source: read_pdf_pages(fetcher(context), source),
    )


def _doc_objects(row: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], str, dict[str, Any]]]:
    return iter_objects(row, lambda obj: obj.get("annotation_kind") in _KINDS)


@attrs.frozen
class _Known:
    """What is known of the row's pages: the count and each page's size (when read)."""

    count: int | None
    sizes: Pages | None


def _page_problem(page: Any, count: int | None) -> str | None:
    if not is_int(page):
        return f"page_number must be an integer (1-based), got {page!r}"
    if page < 1:
        return f"page_number {page} is below 1 (pages are numbered from 1)"
    if count is not None and page > count:
        return f"page_number {page} is past the last page: the PDF has {count} page(s)"
    return None


def _check(obj: Mapping[str, Any], known: _Known, tolerance: float) -> tuple[str, str] | None:
    if obj.get("annotation_kind") == "DocumentEntityToken":
        location = obj.get("location")
        groups = location.get("groups") if isinstance(location, Mapping) else None
        if not isinstance(groups, list) or not all(isinstance(g, Mapping) for g in groups):
            return "ENTITY_INVALID", "a DocumentEntityToken needs location.groups (a list)"
        for i, group in enumerate(groups):
            reason = _page_problem(group.get("page_number"), known.count)
            if reason is not None:
                return "PAGE_OUT_OF_RANGE", f"group {i} ({group.get('id')}): {reason}"
        return None
    page: Any = obj.get("page_number")
    reason = _page_problem(page, known.count)
    if reason is not None:
        return "PAGE_OUT_OF_RANGE", reason
    box = obj.get("bounding_box")
    keys = ("top", "left", "height", "width")
    if not isinstance(box, Mapping) or not all(is_number(box.get(k)) for k in keys):
        return "BBOX_INVALID", "bounding_box must be {top, left, height, width} numbers (points)"
    top, left, height, width = (float(box[k]) for k in keys)
    if height < 0 or width < 0:
        return "BBOX_INVALID", f"bounding_box has a negative size ({width} x {height})"
    size: tuple[float, float] | None = None
    if known.sizes is not None:
        size = known.sizes[page - 1]
    else:
        dims = obj.get("page_dimensions")
        if (
            isinstance(dims, Mapping)
            and is_number(dims.get("width"))
            and is_number(dims.get("height"))
        ):
            size = (float(dims["width"]), float(dims["height"]))
    if size is None:
        return None
    page_w, page_h = size
    if (
        left < -tolerance
        or top < -tolerance
        or left + width > page_w + tolerance
        or top + height > page_h + tolerance
    ):
        return (
            "BBOX_OUT_OF_BOUNDS",
            f"bounding_box (left {left:g}, top {top:g}, width {width:g}, height {height:g})"
            f" runs past page {page} ({page_w:g} x {page_h:g} points)",
        )
    return None


def _stored_count(row: Mapping[str, Any]) -> int | None:
    value: Any = (row.get("media_attributes") or {}).get("page_count")
    return value if is_int(value) and value >= 0 else None


# -- hooks -------------------------------------------------------------------------------------


rowport_declare_media_types, rowport_declare_sections = declarations(NAME)


@hookimpl(trylast=True)
def rowport_validate_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Read the pages of rows that need them, and check every document annotation."""
    problems: list[Problem] = []
    mode = fetch_mode(context)
    tolerance = option_tolerance(plugin_options(context, NAME), DEFAULT_TOLERANCE)
    for index, row in enumerate(rows):
        objects = _doc_objects(row)
        known = _Known(count=_stored_count(row), sizes=None)
        if mode == "always" or (
            mode == "missing" and (known.count is None or _needs_fill(objects))
        ):
            pages = _pages(row, context)
            if isinstance(pages, MediaError):
                source = row["data_row"]["row_data"]
                problems.append(unreadable(index, "the PDF", pages.code, pages.message, source))
            else:
                known = _Known(count=len(pages), sizes=pages)
        for label, where, obj in objects:
            found = _check(obj, known, tolerance)
            if found is None:
                continue
            code, reason = found
            name = obj.get("name")
            details: dict[str, Any] = {
                "label_id": label.get("id"),
                "feature_id": obj.get("feature_id"),
                "name": name,
                "annotation_kind": obj.get("annotation_kind"),
                "path": where,
                "page_count": known.count,
            }
            if obj.get("annotation_kind") == "DocumentBoundingBox":
                details["page_number"] = obj.get("page_number")
            problems.append(
                Problem(
                    index=index,
                    code=code,
                    message=f"{where} ({name}): {reason}" if name else f"{where}: {reason}",
                    details=details,
                )
            )
    return problems


def _needs_fill(objects: list[tuple[Mapping[str, Any], str, dict[str, Any]]]) -> bool:
    """Whether a box of the row lacks ``page_dimensions`` (which only the PDF can give)."""
    return any(
        obj.get("annotation_kind") == "DocumentBoundingBox" and "page_dimensions" not in obj
        for _, _, obj in objects
    )


def _attributes(row: dict[str, Any], context: ExportContext) -> dict[str, Any]:
    pages = _pages(row, context)
    if isinstance(pages, MediaError):
        raise pages
    return {"asset_type": "pdf", "mime_type": "application/pdf", "page_count": len(pages)}


@hookimpl(trylast=True)
def rowport_transform_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Fill missing ``page_dimensions`` of boxes on existing pages, and add
    ``{asset_type, mime_type, page_count}`` to rows without a ``page_count``. Unreadable PDFs
    were reported by validation."""
    if not fetch_enabled(context):
        return []
    always = fetch_mode(context) == "always"
    readable: list[dict[str, Any]] = []
    for row in rows:
        objects = _doc_objects(row)
        needs_fill = _needs_fill(objects)
        stored = _stored_count(row) is not None
        if not needs_fill and stored and not always:
            readable.append(row)
            continue
        pages = _pages(row, context)
        if isinstance(pages, MediaError):
            continue
        readable.append(row)
        for _, _, obj in objects:
            page: Any = obj.get("page_number")
            if (
                obj.get("annotation_kind") == "DocumentBoundingBox"
                and "page_dimensions" not in obj
                and is_int(page)
                and 1 <= page <= len(pages)
            ):
                width, height = pages[page - 1]
                obj["page_dimensions"] = {"height": height, "width": width}
    position = {id(row): i for i, row in enumerate(rows)}
    found = fill_media_attributes(
        readable,
        context,
        lambda row, _media: _attributes(row, context),
        required=["page_count"],
    )
    return [attrs.evolve(p, index=position[id(readable[p.index])]) for p in found]


@hookimpl(trylast=True)
def rowport_probe_media(
    rows: list[dict[str, Any]], context: ExportContext, only_missing: bool
) -> list[Problem]:
    """Read each PDF (those without a stored ``page_count`` when ``only_missing``) and give
    ``{asset_type, mime_type, page_count}``."""
    return probe_media_attributes(
        rows,
        context,
        lambda row, _media: _attributes(row, context),
        required=["page_count"],
        only_missing=only_missing,
    )
