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

import codecs
import re
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from typing import Any

import attrs

from rowport import hookimpl
from rowport.plugins import ExportContext, Problem
from rowport_plugins._fetch import MediaError
from rowport_plugins._media import cut as _cut
from rowport_plugins._media import (
    MEDIA_SECTIONS,
    fetch_mode,
    fetcher,
    fill_media_attributes,
    plugin_options,
    probe_media_attributes,
    reads,
)
from rowport_plugins.text import is_reference

__all__ = [
    "HtmlCheck",
    "check_html",
    "rowport_declare_media_types",
    "rowport_declare_sections",
    "rowport_probe_media",
    "rowport_transform_rows",
    "rowport_validate_rows",
]

NAME = "html"
SOURCES = ("auto", "inline")
CONTROL_RATIO = 0.01
_CACHE_KEY = "rowport_plugins.html.checked"
_CACHE_ENTRIES = 4096
_ALLOWED_CONTROLS = frozenset("\t\n\r\f")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


@attrs.frozen(kw_only=True)
class HtmlCheck:
    """The outcome of checking one document: its size in bytes, and the problem if any."""

    size: int
    code: str | None = None
    message: str = ""


class _ElementCounter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements += 1


def _encoding(data: bytes, content_type: str | None) -> tuple[str | None, bytes]:
    """The declared encoding (None: undeclared) and the bytes to decode."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, data
    if content_type:
        found = _HEADER_CHARSET.search(content_type)
        if found:
            return found.group(1), data
    meta = _META_CHARSET.search(data[:2048])
    if meta:
        return meta.group(1).decode("ascii"), data
    return None, data


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """The document's text.

    :raises ValueError: the bytes are not text in the declared (or any fallback) encoding.
    """
    declared, raw = _encoding(data, content_type)
    if declared is not None:
        try:
            codecs.lookup(declared)
        except LookupError:
            declared = None  # an unknown charset label: decode as undeclared
    if declared is not None:
        try:
            return raw.decode(declared)
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"the bytes are not {declared} text ({exc.reason} at byte {exc.start})"
            ) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            return raw.decode("windows-1252")
        except UnicodeDecodeError:
            raise ValueError(
                f"the bytes are neither UTF-8 nor windows-1252 text ({exc.reason} at byte"
                f" {exc.start})"
            ) from None


def check_html(data: bytes, content_type: str | None = None) -> HtmlCheck:
    """Whether ``data`` is an HTML document by the module's rule."""
    size = len(data)
    try:
        text = decode_html(data, content_type)
    except ValueError as exc:
        return HtmlCheck(size=size, code="HTML_UNPARSABLE", message=f"binary, not HTML: {exc}")
    if "\x00" in text:
        return HtmlCheck(
            size=size, code="HTML_UNPARSABLE", message="binary, not HTML: it holds NUL characters"
        )
    controls = sum(1 for ch in text if ch < " " and ch not in _ALLOWED_CONTROLS)
    if text and controls > CONTROL_RATIO * len(text):
        return HtmlCheck(
            size=size,
            code="HTML_UNPARSABLE",
            message=f"binary, not HTML: {controls} control characters in {len(text)}",
        )
    parser = _ElementCounter()
    try:
        parser.feed(text)
        parser.close()
    except Exception as exc:  # html.parser is lenient; anything it raises means unparsable
        return HtmlCheck(
            size=size,
            code="HTML_UNPARSABLE",
            message=f"html.parser failed: {type(exc).__name__}: {exc}",
        )
    if parser.elements == 0:
        return HtmlCheck(
            size=size,
            code="HTML_UNPARSABLE",
            message="no HTML element in the document (empty, or plain text)",
        )
    return HtmlCheck(size=size)


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
    cache: dict[str, HtmlCheck] = context.state.setdefault(_CACHE_KEY, {})
    found = cache.get(row_data)
    if found is None:
        try:
            media = fetcher(context).read(row_data)
            found = check_html(media.data, media.content_type)
        except MediaError as exc:
            found = HtmlCheck(size=0, code=exc.code, message=exc.message)
        if len(cache) >= _CACHE_ENTRIES:
            cache.pop(next(iter(cache)))
        cache[row_data] = found
    return found


# -- hooks -------------------------------------------------------------------------------------


@hookimpl(trylast=True)
def rowport_declare_media_types() -> Sequence[str]:
    """This plugin's row hooks see ``html`` batches only."""
    return ["html"]


@hookimpl(trylast=True)
def rowport_declare_sections() -> list[str]:
    return list(MEDIA_SECTIONS)


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
                    "source": "inline" if inline else _cut(row_data),
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
