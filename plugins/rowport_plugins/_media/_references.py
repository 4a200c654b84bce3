"""Telling a media reference (a URL or a local path) from inline content, and reading text."""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlparse

from rowport_plugins._media._fetch import MediaError, MediaFetcher
from rowport_plugins._media._values import cut

__all__ = ["MAX_REFERENCE_LENGTH", "extension", "is_reference", "is_url", "read_text"]

MAX_REFERENCE_LENGTH = 4096
_SCHEMES = ("http://", "https://", "file://")
_PATH_PREFIXES = ("/", "./", "../")


def is_reference(row_data: str) -> bool:
    """Whether ``row_data`` has the shape of a media reference: one line, at most 4096
    characters, and a ``http(s)://`` / ``file://`` URL without whitespace or a local path
    starting with ``/``, ``./`` or ``../``."""
    if not row_data or len(row_data) > MAX_REFERENCE_LENGTH:
        return False
    if "\n" in row_data or "\r" in row_data or row_data != row_data.strip():
        return False
    if row_data.lower().startswith(_SCHEMES):
        return not any(ch.isspace() for ch in row_data)
    return row_data.startswith(_PATH_PREFIXES)


def is_url(row_data: str) -> bool:
    """Whether ``row_data`` starts with a scheme the fetcher reads."""
    return row_data.lower().startswith(_SCHEMES)


def extension(row_data: str) -> str:
    """The lower-case extension of a reference's path (``".txt"``), or ``""``."""
    path = unquote(urlparse(row_data).path) if is_url(row_data) else row_data
    return posixpath.splitext(path)[1].lower()


def read_text(media: MediaFetcher, source: str) -> str:
    """The whole file at ``source`` decoded as UTF-8 (a leading BOM dropped).

    :raises MediaError: the fetcher's codes, or ``MEDIA_UNREADABLE`` when not UTF-8.
    """
    data = media.read(source).data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MediaError(
            "MEDIA_UNREADABLE",
            f"{cut(source)} is not UTF-8 text: {exc.reason} at byte {exc.start}",
        ) from None
