"""Whether bytes are an HTML document: decoded by their declared (or a fallback) encoding, not
binary, and holding at least one element (``html.parser``). A pure function of bytes to an
:class:`HtmlCheck`."""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

import attrs

__all__ = ["CONTROL_RATIO", "HtmlCheck", "check_html", "decode_html"]

CONTROL_RATIO = 0.01


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
