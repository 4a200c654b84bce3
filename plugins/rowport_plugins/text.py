"""Built-in plugin for ``text`` rows: reads the text, checks ``TextEntity`` spans against it,
fills missing tokens and the media attributes.

A text row's ``row_data`` is the text itself, or a reference to a text file: a local path
(``/...``, ``./...``, ``../...``), a ``file://`` URL or an ``http(s)://`` URL. A reference is
read (the whole file, up to ``plugin_options["media"]["max_bytes"]``, decoded as UTF-8 with a
leading BOM dropped) when its extension says text, or, for a URL, its stored ``mime_type`` does;
anything else is the text. An export reads a file only with ``media.fetch`` on (``"missing"`` or
``"always"``: the text is never stored, so it is always missing) and only for rows with entities
to check; it is kept per export in ``context.state`` (a bounded LRU), so it is read once however
many labels use it. By default the entities of a row whose text is a file are not checked. A
media probe reads each file once, to report the ones it cannot read, and stores the mime type.

Offsets are **Unicode code points** (Python ``str`` indices), ``end`` inclusive:
``token == text[start:end + 1]``.

Codes: ``ENTITY_INVALID``, ``ENTITY_OUT_OF_RANGE``, ``TOKEN_MISMATCH``, and for a text that
cannot be read ``MEDIA_UNREADABLE`` (not UTF-8) or the fetcher's ``MEDIA_*`` codes. One problem
per bad annotation (one per row for media problems). See ``docs/media/text.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from rowport import hookimpl
from rowport.plugins import ExportContext, Problem
from rowport_plugins._media import (
    BoundedCache,
    MediaError,
    MediaFetcher,
    cache_for,
    declarations,
    entity_details,
    entity_span_problem,
    entity_text_problem,
    extension,
    fetch_enabled,
    fetcher,
    fill_media_attributes,
    fills_attributes,
    is_reference,
    is_url,
    iter_objects,
    plugin_options,
    probe_media_attributes,
    read_text,
    source_option,
    unreadable,
)

__all__ = [
    "TEXT_EXTENSIONS",
    "rowport_declare_media_types",
    "rowport_declare_sections",
    "rowport_probe_media",
    "rowport_transform_rows",
    "rowport_validate_rows",
]

NAME = "text"
TEXT_EXTENSIONS = frozenset({".txt", ".text", ".md", ".markdown", ".rst", ".log", ".csv", ".tsv"})
SOURCES = ("auto", "inline", "fetch")
MAX_REFERENCE_LENGTH = 4096
DEFAULT_CACHE_ENTRIES = 256
DEFAULT_CACHE_CHARS = 64 * 2**20

_CACHE_KEY = "rowport_plugins.text.cache"
_SCHEMES = ("http://", "https://", "file://")
_PATH_PREFIXES = ("/", "./", "../")


# -- shared with the conversational plugin -------------------------------------------------------


# -- reading a row's text ----------------------------------------------------------------------


class _Unread:
    """Why a row's text is unavailable: an error (reported once, in validate) or skipped."""

    def __init__(self, code: str | None, message: str = "") -> None:
        self.code = code
        self.message = message


def _fetches(row: Mapping[str, Any], context: ExportContext) -> bool:
    """Whether this row's ``row_data`` is read from a file (else it is the text)."""
    row_data = row["data_row"]["row_data"]
    if not isinstance(row_data, str) or not is_reference(row_data):
        return False
    source = source_option(context, NAME)
    if source == "inline":
        return False
    if source == "fetch" or extension(row_data) in TEXT_EXTENSIONS:
        return True
    mime = (row.get("media_attributes") or {}).get("mime_type")
    # stored attributes count only for URLs (no whitespace, so rarely someone's whole text)
    return is_url(row_data) and isinstance(mime, str) and mime.lower().startswith("text/")


def _text(row: Mapping[str, Any], context: ExportContext) -> str | _Unread:
    row_data = row["data_row"]["row_data"]
    if not isinstance(row_data, str):
        return _Unread("MEDIA_UNREADABLE", "row_data is not a string")
    if not _fetches(row, context):
        return row_data
    if not fetch_enabled(context):
        return _Unread(None)
    cache: BoundedCache = cache_for(
        context, NAME, _CACHE_KEY, lambda v: len(v) if isinstance(v, str) else 1
    )
    hit, value = cache.get(row_data)
    if hit:
        return value if isinstance(value, (str, _Unread)) else _Unread(None)
    text: str | _Unread
    try:
        text = read_text(fetcher(context), row_data)
    except MediaError as exc:
        text = _Unread(exc.code, exc.message)
    cache.put(row_data, text)
    return text


# -- checking entities -------------------------------------------------------------------------


def _entities(
    row: Mapping[str, Any],
) -> list[tuple[Mapping[str, Any], str, Mapping[str, Any]]]:
    """``(label, path, object)`` of every text entity of a row's labels and predictions."""

    def entity(obj: dict[str, Any]) -> bool:
        kind = obj.get("annotation_kind")
        return kind == "TextEntity" or (kind is None and "location" in obj)

    return list(iter_objects(row, entity))


def _check_entity(
    index: int,
    obj: Mapping[str, Any],
    label: Mapping[str, Any],
    where: str,
    text: str,
) -> Problem | None:
    location = obj.get("location")
    label_name, details = entity_details(
        obj, label, where, start=None, end=None, text_length=len(text)
    )
    if not isinstance(location, Mapping):
        found: tuple[str, str] | None = (
            "ENTITY_INVALID",
            "a TextEntity needs a location {start, end, token}",
        )
    else:
        found = entity_text_problem(location, text, details)
    if found is None:
        return None
    code, reason = found
    return Problem(index=index, code=code, message=f"{label_name}: {reason}", details=details)


# -- hooks -------------------------------------------------------------------------------------


rowport_declare_media_types, rowport_declare_sections = declarations(NAME)


@hookimpl(trylast=True)
def rowport_validate_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Read each row's text once and check every ``TextEntity`` against it."""
    problems: list[Problem] = []
    for index, row in enumerate(rows):
        entities = _entities(row)
        if not entities:
            continue  # nothing needs the text: a referenced file is not read
        text = _text(row, context)
        if isinstance(text, _Unread):
            if text.code is not None:
                source = row["data_row"]["row_data"]
                problems.append(
                    unreadable(index, "the row's text", text.code, text.message, source)
                )
            continue
        for label, where, obj in entities:
            found = _check_entity(index, obj, label, where, text)
            if found is not None:
                problems.append(found)
    return problems


def _attributes(row: dict[str, Any], media: MediaFetcher) -> dict[str, Any]:
    return {"mime_type": "text/plain"}


@hookimpl(trylast=True)
def rowport_transform_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Fill missing entity tokens from the text, and ``{"mime_type": "text/plain"}`` as media
    attributes when the row has no ``mime_type``."""
    fill_token = plugin_options(context, NAME).get("fill_token", True) is not False
    if fill_token:
        for row in rows:
            entities = _entities(row)
            if not entities:
                continue
            text = _text(row, context)
            if isinstance(text, _Unread):
                continue
            for _, _, obj in entities:
                location = obj.get("location")
                if not isinstance(location, dict) or "token" in location:
                    continue
                start: Any = location.get("start")
                end: Any = location.get("end")
                if entity_span_problem(start, end, len(text)) is None:
                    location["token"] = text[start : end + 1]
    # rows whose text is a URL-shaped inline string with no text extension: attributes are added
    # but not cached, else the stored text/plain would make the next export fetch the URL
    cached: list[dict[str, Any]] = []
    uncached: list[dict[str, Any]] = []
    for row in rows:
        row_data = row["data_row"]["row_data"]
        ambiguous = (
            isinstance(row_data, str)
            and is_reference(row_data)
            and is_url(row_data)
            and not _fetches(row, context)
        )
        (uncached if ambiguous else cached).append(row)
    for row in uncached:
        stored = row.get("media_attributes") or {}
        if "mime_type" not in stored and fills_attributes(context):
            row["media_attributes"] = {"mime_type": "text/plain", **stored}
    position = {id(row): i for i, row in enumerate(rows)}
    # text/plain is known without reading anything: added whatever media.fetch says
    return [
        attrs.evolve(p, index=position[id(cached[p.index])])
        for p in fill_media_attributes(
            cached, context, _attributes, required=["mime_type"], mode="missing"
        )
    ]


@hookimpl(trylast=True)
def rowport_probe_media(
    rows: list[dict[str, Any]], context: ExportContext, only_missing: bool
) -> list[Problem]:
    """Read each text file once (reporting those that cannot be read as UTF-8) and give
    ``{"mime_type": "text/plain"}``; inline texts get it without reading."""
    wanted = [
        i
        for i, row in enumerate(rows)
        if not (
            isinstance(row["data_row"]["row_data"], str)
            and is_reference(row["data_row"]["row_data"])
            and is_url(row["data_row"]["row_data"])
            and not _fetches(row, context)
        )
    ]

    def compute(row: dict[str, Any], media: MediaFetcher) -> dict[str, Any]:
        if _fetches(row, context):
            read_text(media, row["data_row"]["row_data"])
        return {"mime_type": "text/plain"}

    found = probe_media_attributes(
        [rows[i] for i in wanted],
        context,
        compute,
        required=["mime_type"],
        only_missing=only_missing,
    )
    return [attrs.evolve(p, index=wanted[p.index]) for p in found]
