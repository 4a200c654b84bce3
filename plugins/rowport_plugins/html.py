"""Built-in plugin for ``html`` rows: checks that the document is HTML and fills its media
attributes (``asset_type``, ``mime_type``, ``size`` in bytes).

A row's ``row_data`` is the HTML itself, or a reference to an HTML file: a local path (``/...``,
``./...``, ``../...``), a ``file://`` URL or an ``http(s)://`` URL (the same rule as the text
plugin, whatever the extension; ``plugin_options["html"]["source"] = "inline"`` reads every
``row_data`` as the HTML itself). A reference is read whole (up to
``plugin_options["media"]["max_bytes"]``) once per export; only the outcome (size, or the
problem) is kept, not the document. An export reads references only with ``media.fetch`` on
(``"missing"``: those without a stored ``mime_type``; ``"always"``: all); a media probe reads
them and stores their attributes. Inline HTML is always checked.

The rule for "is HTML" (``html.parser`` accepts nearly anything, so the rule is ours):

1. the bytes decode as text: in the encoding of a BOM, else the charset of the HTTP
   Content-Type or of a ``<meta charset>`` / ``http-equiv`` in the first 2 KiB, else UTF-8,
   falling back to windows-1252 (as browsers do) when undeclared;
2. the text is not binary: no NUL character, and at most 1% other control characters
   (tab, newlines and form feed excepted);
3. ``html.parser`` finds at least one element (a start tag or a self-closing tag).

Unclosed tags, stray end tags and other sloppy markup are accepted, as browsers accept them.
Labels of HTML rows hold classifications only; the ontology plugin checks those.

Codes: ``HTML_UNPARSABLE`` and the fetcher's ``MEDIA_*`` codes, one problem per row.
See ``docs/media/html.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from rowport import hookimpl
from rowport.plugins import ExportContext, Problem
from rowport_plugins._formats.html import HtmlCheck, check_html
from rowport_plugins._media import (
    MediaError,
    cut,
    declarations,
    fetch_mode,
    fetcher,
    fill_media_attributes,
    is_reference,
    plugin_options,
    probe_media_attributes,
    read_once,
    reads,
)

__all__ = [
    "rowport_declare_media_types",
    "rowport_declare_sections",
    "rowport_probe_media",
    "rowport_transform_rows",
    "rowport_validate_rows",
]

NAME = "html"
SOURCES = ("auto", "inline")
_CACHE_KEY = "rowport_plugins.html.checked"
# -- reading a row's document ------------------------------------------------------------------


def _source_option(context: ExportContext) -> str:
    value = plugin_options(context, NAME).get("source", "auto")
    return value if value in SOURCES else "auto"


def _fetches(row_data: str, context: ExportContext) -> bool:
    """Whether ``row_data`` is read from a file (else it is the HTML)."""
    return _source_option(context) != "inline" and is_reference(row_data)


def _check_row(row: Mapping[str, Any], context: ExportContext) -> HtmlCheck | None:
    """The row's document checked (None: a reference not read as fetching is off)."""
    row_data = row["data_row"]["row_data"]
    if not isinstance(row_data, str):
        return HtmlCheck(size=0, code="HTML_UNPARSABLE", message="row_data is not a string")
    if not _fetches(row_data, context):
        return check_html(row_data.encode("utf-8"), "text/html; charset=utf-8")
    if not reads(context, row.get("media_attributes"), ["mime_type"]):
        return None

    def read(source: str) -> HtmlCheck:
        media = fetcher(context).read(source)
        return check_html(media.data, media.content_type)

    found = read_once(context, _CACHE_KEY, row_data, read)
    if isinstance(found, MediaError):
        return HtmlCheck(size=0, code=found.code, message=found.message)
    return found


# -- hooks -------------------------------------------------------------------------------------


rowport_declare_media_types, rowport_declare_sections = declarations(NAME)


@hookimpl(trylast=True)
def rowport_validate_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Check that each row's document is HTML (one problem per row at most)."""
    problems: list[Problem] = []
    for index, row in enumerate(rows):
        checked = _check_row(row, context)
        if checked is None or checked.code is None:
            continue
        row_data = str(row["data_row"]["row_data"])
        inline = not _fetches(row_data, context)
        problems.append(
            Problem(
                index=index,
                code=checked.code,
                message=f"the row's HTML {'(inline)' if inline else 'file'}: {checked.message}",
                details={
                    "source": "inline" if inline else cut(row_data),
                    "size": checked.size,
                },
            )
        )
    return problems


@hookimpl(trylast=True)
def rowport_transform_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Add ``{asset_type: "html", mime_type: "text/html", size}`` to rows without a
    ``mime_type`` (stored values win). Unreadable documents were reported by validation."""
    mode = "always" if fetch_mode(context) == "always" else "missing"
    checked: dict[int, HtmlCheck] = {}
    for row in rows:
        if "mime_type" in (row.get("media_attributes") or {}) and mode != "always":
            continue
        found = _check_row(row, context)
        if found is not None and found.code is None:
            checked[id(row)] = found
    readable = [row for row in rows if id(row) in checked]

    def compute(row: dict[str, Any], _media: Any) -> dict[str, Any]:
        return {"asset_type": "html", "mime_type": "text/html", "size": checked[id(row)].size}

    position = {id(row): i for i, row in enumerate(rows)}
    # references were read (or not) above, as media.fetch says; inline HTML needs no reading
    problems = fill_media_attributes(readable, context, compute, required=["mime_type"], mode=mode)
    return [attrs.evolve(p, index=position[id(readable[p.index])]) for p in problems]


@hookimpl(trylast=True)
def rowport_probe_media(
    rows: list[dict[str, Any]], context: ExportContext, only_missing: bool
) -> list[Problem]:
    """Read and check each document (those without a ``mime_type`` when ``only_missing``) and
    give ``{asset_type, mime_type, size}``."""

    def compute(row: dict[str, Any], _media: Any) -> dict[str, Any]:
        found = _check_row(row, context)
        if found is None:  # not read: nothing to add
            return dict(row.get("media_attributes") or {})
        if found.code is not None:
            raise MediaError(found.code, found.message)
        return {"asset_type": "html", "mime_type": "text/html", "size": found.size}

    return probe_media_attributes(
        rows, context, compute, required=["mime_type"], only_missing=only_missing
    )
