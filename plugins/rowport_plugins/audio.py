"""Built-in plugin for ``audio`` rows: reads the duration, sample rate and channels of WAV files
from their header, and checks temporal classifications against the duration.

The media attributes come from the real file when a media probe (or an export with
``media.fetch`` on) meets a row without ``duration_ms`` (with ``"always"``: any row); by
default an export reads nothing and checks timestamps against a stored ``duration_ms`` only.
Only the RIFF
header is read (the first ``plugin_options["audio"]["head_bytes"]`` bytes, 64 KiB by default;
an HTTP Range request where the server honours it), the ``fmt `` chunk and the size of the
``data`` chunk are enough, the samples are never read. Other formats (MP3, Ogg, FLAC, M4A...)
are ``MEDIA_UNSUPPORTED_FORMAT`` unless their attributes are stored. Each file is read once per
export (kept in ``context.state``).

Temporal classifications live under a label's ``annotations.timestamp``:
``{feature_id: [{start_ms, end_ms, ...answer}]}``. Each entry must have numbers with
``0 <= start_ms <= end_ms <= duration_ms``. Global classifications are the ontology plugin's.

Codes: ``TIMESTAMP_INVALID`` (not numbers, or start after end), ``TIMESTAMP_OUT_OF_RANGE``
(negative start, or end past the audio), ``MEDIA_UNSUPPORTED_FORMAT``, ``MEDIA_UNREADABLE``
(a broken WAV header) and the fetcher's ``MEDIA_*`` codes. One problem per bad timestamp entry,
one per row for media problems. See ``docs/media/audio.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from rowport import hookimpl
from rowport.plugins import ExportContext, Problem
from rowport_plugins._formats.wav import NeedMore, WavInfo, parse_wav
from rowport_plugins._media import (
    MediaError,
    MediaFetcher,
    declarations,
    fetch_enabled,
    fetcher,
    fill_media_attributes,
    is_number,
    iter_labels,
    plugin_options,
    probe_media_attributes,
    read_once,
    reads,
    unreadable,
)

__all__ = [
    "read_wav",
    "rowport_declare_media_types",
    "rowport_declare_sections",
    "rowport_probe_media",
    "rowport_transform_rows",
    "rowport_validate_rows",
    "timestamp_problem",
]

NAME = "audio"
DEFAULT_HEAD_BYTES = 64 * 1024
MAX_HEADER_READS = 4
_CACHE_KEY = "rowport_plugins.audio.probed"
_REQUIRED = ("duration_ms",)


# format tags whose block_align is one sample frame: PCM, IEEE float, A-law, mu-law, extensible
def read_wav(media: MediaFetcher, source: str, head: int) -> WavInfo:
    """The header of the WAV at ``source``, reading its first ``head`` bytes (more if needed)."""
    want = max(12, head)
    for _ in range(MAX_HEADER_READS):
        got = media.read(source, head=want)
        try:
            return parse_wav(got.data, got.size)
        except NeedMore as more:
            if not got.partial or len(got.data) < want or more.until > media.max_bytes:
                raise MediaError(
                    "MEDIA_UNREADABLE", "the WAV header is truncated or runs past the size cap"
                ) from None
            want = min(media.max_bytes, max(more.until, want * 2))
    raise MediaError("MEDIA_UNREADABLE", f"no WAV data chunk within the first {want} bytes")


# -- per-export probing ------------------------------------------------------------------------


def _head_bytes(context: ExportContext) -> int:
    value = plugin_options(context, NAME).get("head_bytes", DEFAULT_HEAD_BYTES)
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 12
    return value if ok else DEFAULT_HEAD_BYTES


def _stored_duration(row: Mapping[str, Any]) -> float | None:
    value: Any = (row.get("media_attributes") or {}).get("duration_ms")
    return float(value) if is_number(value) and value >= 0 else None


def _probe(row: Mapping[str, Any], context: ExportContext) -> dict[str, Any] | MediaError:
    """The row's audio attributes read from the file (once per export per source)."""
    return read_once(
        context,
        _CACHE_KEY,
        row["data_row"]["row_data"],
        lambda source: read_wav(fetcher(context), source, _head_bytes(context)).attributes(),
    )


# -- checking timestamps -----------------------------------------------------------------------


def timestamp_problem(start: Any, end: Any, duration_ms: float | None) -> tuple[str, str] | None:
    """``(code, reason)`` when ``[start, end]`` is not a valid range of an audio of
    ``duration_ms`` (None: unknown, only the shape is checked), else None."""
    if not is_number(start) or not is_number(end):
        return (
            "TIMESTAMP_INVALID",
            f"start_ms and end_ms must be numbers, got {start!r} and {end!r}",
        )
    if start > end:
        return "TIMESTAMP_INVALID", f"start_ms {start} is after end_ms {end}"
    if start < 0:
        return "TIMESTAMP_OUT_OF_RANGE", f"start_ms {start} is negative"
    if duration_ms is not None and end > duration_ms:
        return (
            "TIMESTAMP_OUT_OF_RANGE",
            f"end_ms {end} is past the end of the audio ({_num(duration_ms)} ms)",
        )
    return None


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _check_label(
    index: int, label: Mapping[str, Any], where: str, duration_ms: float | None
) -> list[Problem]:
    annotations = label.get("annotations")
    timestamp = annotations.get("timestamp") if isinstance(annotations, Mapping) else None
    if timestamp is None:
        return []
    base = {"label_id": label.get("id"), "duration_ms": duration_ms}
    at = f"{where}.annotations.timestamp"
    if not isinstance(timestamp, Mapping):
        return [
            Problem(
                index=index,
                code="TIMESTAMP_INVALID",
                message=f"{at}: must be an object {{feature_id: [entries]}}",
                details={**base, "feature_id": None, "start_ms": None, "end_ms": None, "path": at},
            )
        ]
    problems: list[Problem] = []
    for feature_id, entries in timestamp.items():
        if not isinstance(entries, list):
            entries = [entries]  # reported below as an entry that is not an object
        for i, entry in enumerate(entries):
            path = f"{at}.{feature_id}[{i}]"
            obj = entry if isinstance(entry, Mapping) else {}
            start, end = obj.get("start_ms"), obj.get("end_ms")
            name = obj.get("name")
            found = (
                timestamp_problem(start, end, duration_ms)
                if isinstance(entry, Mapping)
                else ("TIMESTAMP_INVALID", "an entry must be an object {start_ms, end_ms, ...}")
            )
            if found is None:
                continue
            code, reason = found
            shown = f"{path} ({name})" if name else path
            problems.append(
                Problem(
                    index=index,
                    code=code,
                    message=f"{shown}: {reason}",
                    details={
                        **base,
                        "feature_id": feature_id,
                        "feature_schema_id": obj.get("feature_schema_id"),
                        "name": name,
                        "start_ms": start,
                        "end_ms": end,
                        "path": path,
                    },
                )
            )
    return problems


# -- hooks -------------------------------------------------------------------------------------


rowport_declare_media_types, rowport_declare_sections = declarations(NAME)


@hookimpl(trylast=True)
def rowport_validate_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Read the duration of rows that do not store it, and check every timestamp entry."""
    problems: list[Problem] = []
    for index, row in enumerate(rows):
        duration = _stored_duration(row)
        if reads(context, {} if duration is None else row["media_attributes"], _REQUIRED):
            probed = _probe(row, context)
            if isinstance(probed, MediaError):
                what, source = "the audio's attributes", row["data_row"]["row_data"]
                problems.append(unreadable(index, what, probed.code, probed.message, source))
            else:
                duration = float(probed["duration_ms"])
        for _, _, where, label in iter_labels(row):
            problems.extend(_check_label(index, label, where, duration))
    return problems


def _attributes(row: dict[str, Any], context: ExportContext) -> dict[str, Any]:
    probed = _probe(row, context)
    if isinstance(probed, MediaError):
        raise probed
    return dict(probed)


@hookimpl(trylast=True)
def rowport_transform_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Add ``{asset_type, mime_type, duration_ms, sample_rate, channels}`` to rows without a
    ``duration_ms`` (stored values win). Unreadable media was reported by validation."""
    if not fetch_enabled(context):
        return []
    readable = [
        row
        for row in rows
        if reads(context, row.get("media_attributes"), _REQUIRED)
        and not isinstance(_probe(row, context), MediaError)
    ]
    position = {id(row): i for i, row in enumerate(rows)}
    found = fill_media_attributes(
        readable,
        context,
        lambda row, _media: _attributes(row, context),
        required=_REQUIRED,
    )
    return [attrs.evolve(p, index=position[id(readable[p.index])]) for p in found]


@hookimpl(trylast=True)
def rowport_probe_media(
    rows: list[dict[str, Any]], context: ExportContext, only_missing: bool
) -> list[Problem]:
    """Read each WAV header (those without ``duration_ms`` when ``only_missing``)."""
    return probe_media_attributes(
        rows,
        context,
        lambda row, _media: _attributes(row, context),
        required=_REQUIRED,
        only_missing=only_missing,
    )
