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

import posixpath
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlparse

import attrs

from rowport import hookimpl
from rowport.plugins import ExportContext, Problem
from rowport_plugins._fetch import MediaError, MediaFetcher
from rowport_plugins._media import cut as _cut
from rowport_plugins._media import (
    MEDIA_SECTIONS,
    fetch_enabled,
    fetcher,
    fill_media_attributes,
    fills_attributes,
    iter_objects,
    plugin_options,
    probe_media_attributes,
)
from rowport_plugins._media import is_int as _is_int

__all__ = [
    "TEXT_EXTENSIONS",
    "BoundedCache",
    "entity_span_problem",
    "is_reference",
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


class BoundedCache:
    """A least-recently-used cache bounded by entry count and by the total size of its values.

    ``size_of(value)`` gives a value's size; a value larger than the whole budget is not kept.
    """

    def __init__(
        self, *, entries: int, budget: int, size_of: Callable[[Any], int] = lambda v: 1
    ) -> None:
        self.entries = max(0, entries)
        self.budget = max(0, budget)
        self.size_of = size_of
        self._data: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._used = 0

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str) -> tuple[bool, Any]:
        """``(True, value)`` when cached (and mark it recent), else ``(False, None)``."""
        found = self._data.get(key)
        if found is None:
            return False, None
        self._data.move_to_end(key)
        return True, found[0]

    def put(self, key: str, value: Any) -> None:
        """Keep ``value`` under ``key``, evicting the least recently used as needed."""
        size = self.size_of(value)
        if key in self._data:
            self._used -= self._data.pop(key)[1]
        if self.entries == 0 or size > self.budget:
            return
        self._data[key] = (value, size)
        self._used += size
        while len(self._data) > self.entries or self._used > self.budget:
            _, (_, dropped) = self._data.popitem(last=False)
            self._used -= dropped


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
            f"{_cut(source)} is not UTF-8 text: {exc.reason} at byte {exc.start}",
        ) from None


def source_option(context: ExportContext, name: str) -> str:
    """``plugin_options[name]["source"]``: ``auto`` (default), ``inline`` or ``fetch``."""
    value = plugin_options(context, name).get("source", "auto")
    return value if value in SOURCES else "auto"


def cache_for(context: ExportContext, name: str, key: str, size_of: Callable[[Any], int]) -> Any:
    """The export's bounded cache ``key`` in ``context.state``, sized by
    ``plugin_options[name]``: ``cache_entries`` (default 256) and ``cache_chars``."""
    found = context.state.get(key)
    if isinstance(found, BoundedCache):
        return found
    options = plugin_options(context, name)
    made = BoundedCache(
        entries=_int(options.get("cache_entries"), DEFAULT_CACHE_ENTRIES),
        budget=_int(options.get("cache_chars"), DEFAULT_CACHE_CHARS),
        size_of=size_of,
    )
    context.state[key] = made
    return made


def media_fetch_enabled(context: ExportContext) -> bool:
    """Whether this export reads media (``plugin_options["media"]["fetch"]`` is not off)."""
    return fetch_enabled(context)


def entity_span_problem(start: Any, end: Any, length: int) -> tuple[str, str] | None:
    """``(code, reason)`` when ``start``/``end`` are not a valid inclusive span of a text of
    ``length`` code points, else None."""
    if not _is_int(start) or not _is_int(end):
        return "ENTITY_INVALID", f"start and end must be integers, got {start!r} and {end!r}"
    if start < 0:
        return "ENTITY_OUT_OF_RANGE", f"start {start} is negative"
    if end < start:
        return "ENTITY_OUT_OF_RANGE", f"end {end} is before start {start}"
    if end >= length:
        last = f"the last index is {length - 1}" if length else "the text is empty"
        return (
            "ENTITY_OUT_OF_RANGE",
            f"end {end} (inclusive) is past the end of the text ({length} code points; {last})",
        )
    return None


def _int(value: Any, default: int) -> int:
    return value if _is_int(value) and value >= 0 else default


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
    if not media_fetch_enabled(context):
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
    name = obj.get("name")
    details: dict[str, Any] = {
        "label_id": label.get("id"),
        "feature_id": obj.get("feature_id"),
        "name": name,
        "path": where,
        "start": None,
        "end": None,
        "text_length": len(text),
    }
    label_name = f"{where} ({name})" if name else where
    if not isinstance(location, Mapping):
        return Problem(
            index=index,
            code="ENTITY_INVALID",
            message=f"{label_name}: a TextEntity needs a location {{start, end, token}}",
            details=details,
        )
    start: Any = location.get("start")
    end: Any = location.get("end")
    token: Any = location.get("token")
    details["start"], details["end"] = start, end
    span = entity_span_problem(start, end, len(text))
    if span is None and token is not None and not isinstance(token, str):
        span = ("ENTITY_INVALID", f"token must be a string, got {type(token).__name__}")
    if span is not None:
        code, reason = span
        return Problem(index=index, code=code, message=f"{label_name}: {reason}", details=details)
    expected = text[start : end + 1]
    if token is not None and token != expected:
        details["token"] = token
        details["expected"] = expected
        return Problem(
            index=index,
            code="TOKEN_MISMATCH",
            message=(
                f"{label_name}: token {_cut(token, 60)!r} is not the text at [{start}, {end}]"
                f" ({_cut(expected, 60)!r})"
            ),
            details=details,
        )
    return None


# -- hooks -------------------------------------------------------------------------------------


@hookimpl(trylast=True)
def rowport_declare_media_types() -> Sequence[str]:
    """This plugin's row hooks see ``text`` batches only."""
    return ["text"]


@hookimpl(trylast=True)
def rowport_declare_sections() -> list[str]:
    return list(MEDIA_SECTIONS)


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
                problems.append(
                    Problem(
                        index=index,
                        code=text.code,
                        message=f"cannot read the row's text: {text.message}",
                        details={"source": _cut(str(row["data_row"]["row_data"]))},
                    )
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
