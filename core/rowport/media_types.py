"""The eight media types rowport knows, with their aliases and how to recognise them."""

from __future__ import annotations

import enum
from pathlib import PurePosixPath
from urllib.parse import urlparse

from rowport.errors import InvalidInput

__all__ = ["MediaType", "guess_media_type"]


class MediaType(str, enum.Enum):
    """A data row's media type; the value is what the catalog stores."""

    IMAGE = "image"
    VIDEO = "video"
    TEXT = "text"
    GEOSPATIAL = "geospatial"
    DOCUMENT = "document"
    AUDIO = "audio"
    CONVERSATIONAL = "conversational"
    HTML = "html"

    @classmethod
    def parse(cls, value: object) -> MediaType:
        """Accept a member, its value, its name or a reference-SDK alias, case-insensitively."""
        if isinstance(value, MediaType):
            return value
        if isinstance(value, str):
            key = value.strip().lower().replace("-", "_")
            found = _ALIASES.get(key)
            if found is not None:
                return found
        allowed = ", ".join(m.value for m in cls)
        raise InvalidInput(f"unknown media type {value!r}; allowed: {allowed}")


_ALIASES: dict[str, MediaType] = {m.value: m for m in MediaType}
_ALIASES.update(
    {
        "geospatial_tile": MediaType.GEOSPATIAL,
        "tms": MediaType.GEOSPATIAL,
        "tiled_imagery": MediaType.GEOSPATIAL,
        "pdf": MediaType.DOCUMENT,
        "documents": MediaType.DOCUMENT,
        "conversation": MediaType.CONVERSATIONAL,
        "conversational_text": MediaType.CONVERSATIONAL,
    }
)

_EXTENSIONS: dict[str, MediaType] = {
    **dict.fromkeys(
        (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"), MediaType.IMAGE
    ),
    **dict.fromkeys((".mp4", ".webm", ".mov", ".avi", ".mkv", ".gif"), MediaType.VIDEO),
    **dict.fromkeys((".txt", ".md", ".csv"), MediaType.TEXT),
    ".pdf": MediaType.DOCUMENT,
    **dict.fromkeys((".wav", ".mp3", ".flac", ".ogg", ".m4a", ".aac"), MediaType.AUDIO),
    **dict.fromkeys((".html", ".htm"), MediaType.HTML),
}
_EXTENSIONS[".gif"] = MediaType.IMAGE

_MIME_PREFIXES: tuple[tuple[str, MediaType], ...] = (
    ("image/", MediaType.IMAGE),
    ("video/", MediaType.VIDEO),
    ("audio/", MediaType.AUDIO),
    ("text/html", MediaType.HTML),
    ("text/", MediaType.TEXT),
    ("application/pdf", MediaType.DOCUMENT),
    ("application/vnd.labelbox.conversational", MediaType.CONVERSATIONAL),
    ("application/x-tms", MediaType.GEOSPATIAL),
)


def guess_media_type(
    row_data: str, media_attributes: dict[str, object] | None = None
) -> MediaType | None:
    """Guess a row's media type from its stored attributes, then its URL's extension.

    Returns None when nothing tells; callers then ask for an explicit ``media_type``.
    """
    attrs = media_attributes or {}
    asset = attrs.get("asset_type")
    if isinstance(asset, str):
        try:
            return MediaType.parse(asset)
        except InvalidInput:
            pass
    mime = attrs.get("mime_type")
    if isinstance(mime, str):
        for prefix, media in _MIME_PREFIXES:
            if mime.startswith(prefix):
                return media
    text = row_data.lstrip()
    if text.startswith("{"):
        if "application/vnd.labelbox.conversational" in text or '"messages"' in text:
            return MediaType.CONVERSATIONAL
        if "tileLayerUrl" in text or "tile_layer_url" in text or '"bounds"' in text:
            return MediaType.GEOSPATIAL
        return None
    path = urlparse(row_data).path if "://" in row_data else row_data
    suffix = PurePosixPath(path).suffix.lower()
    return _EXTENSIONS.get(suffix)
