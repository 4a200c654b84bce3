"""WAV headers: duration, sample rate and channels from a file's first bytes (a pure function
of bytes to a :class:`WavInfo`), and telling other audio formats by their magic bytes."""

from __future__ import annotations

import struct
from typing import Any

import attrs

from rowport_plugins._media import MediaError

__all__ = ["NeedMore", "WavInfo", "parse_wav", "sniff_format"]

_FRAME_FORMATS = frozenset({0x0001, 0x0003, 0x0006, 0x0007, 0xFFFE})


_UNKNOWN_SIZES = (0, 0xFFFFFFFF)


@attrs.frozen(kw_only=True)
class WavInfo:
    """What a WAV header says."""

    sample_rate: int
    channels: int
    frames: int

    @property
    def duration_ms(self) -> int:
        return round(self.frames * 1000 / self.sample_rate)

    def attributes(self) -> dict[str, Any]:
        return {
            "asset_type": "audio",
            "mime_type": "audio/wav",
            "duration_ms": self.duration_ms,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
        }


class NeedMore(Exception):
    """The header goes on past the bytes read: read at least ``until`` bytes."""

    def __init__(self, until: int) -> None:
        super().__init__(until)
        self.until = until


def sniff_format(data: bytes) -> str | None:
    """A short name of a known non-WAV audio format from its magic bytes, else None."""
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "MP3"
    if data.startswith(b"OggS"):
        return "Ogg"
    if data.startswith(b"fLaC"):
        return "FLAC"
    if data[4:8] == b"ftyp":
        return "MP4/M4A"
    if data.startswith(b"FORM") and data[8:12] in (b"AIFF", b"AIFC"):
        return "AIFF"
    if data.startswith(b"RF64"):
        return "RF64"
    return None


def parse_wav(data: bytes, size: int | None) -> WavInfo:
    """Parse a WAV header from the first bytes of a file (``size``: the whole file's, if known).

    :raises NeedMore: a needed chunk header lies past ``data``.
    :raises MediaError: ``MEDIA_UNSUPPORTED_FORMAT`` (not a WAV, or a compressed WAV without a
        ``fact`` chunk) or ``MEDIA_UNREADABLE`` (a broken header).
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        if len(data) < 12 and size is not None and size >= 12:
            raise NeedMore(12)
        found = sniff_format(data)
        what = f"{found} audio" if found else "not a WAV file (no RIFF/WAVE header)"
        raise MediaError(
            "MEDIA_UNSUPPORTED_FORMAT",
            f"{what}: only WAV is read; store duration_ms, sample_rate and channels in the"
            " row's media attributes for other formats",
        )
    fmt: tuple[int, int, int, int] | None = None  # format tag, channels, rate, block align
    fact_frames: int | None = None
    offset = 12
    while True:
        if offset + 8 > len(data):
            if size is not None and offset + 8 > size:
                raise MediaError("MEDIA_UNREADABLE", "the WAV file has no data chunk")
            raise NeedMore(offset + 8)
        chunk_id = data[offset : offset + 4]
        (chunk_size,) = struct.unpack_from("<I", data, offset + 4)
        body = offset + 8
        if chunk_id in (b"fmt ", b"fact"):
            needed = 16 if chunk_id == b"fmt " else 4
            if chunk_size < needed:
                raise MediaError("MEDIA_UNREADABLE", f"the WAV {chunk_id!r} chunk is too short")
            if body + needed > len(data):
                raise NeedMore(body + needed)
            if chunk_id == b"fmt ":
                tag, channels, rate, _byte_rate, align = struct.unpack_from("<HHII H", data, body)
                fmt = (tag, channels, rate, align)
            else:
                (fact_frames,) = struct.unpack_from("<I", data, body)
        elif chunk_id == b"data":
            if fmt is None:
                raise MediaError("MEDIA_UNREADABLE", "the WAV data chunk comes before fmt")
            return _info(fmt, fact_frames, chunk_size, body, size)
        offset = body + chunk_size + (chunk_size & 1)


def _info(
    fmt: tuple[int, int, int, int],
    fact_frames: int | None,
    data_size: int,
    data_at: int,
    size: int | None,
) -> WavInfo:
    tag, channels, rate, align = fmt
    if channels <= 0 or rate <= 0 or align <= 0:
        raise MediaError(
            "MEDIA_UNREADABLE",
            f"the WAV fmt chunk is invalid: {channels} channels, {rate} Hz, block align {align}",
        )
    if size is not None:
        available = max(0, size - data_at)
        if data_size in _UNKNOWN_SIZES or data_size > available:
            data_size = available  # streamed (size unset) or truncated file
    elif data_size in _UNKNOWN_SIZES:
        raise MediaError("MEDIA_UNREADABLE", "the WAV data size is unset and the file size unknown")
    if tag in _FRAME_FORMATS:
        frames = data_size // align
    elif fact_frames is not None:
        frames = fact_frames
    else:
        raise MediaError(
            "MEDIA_UNSUPPORTED_FORMAT",
            f"compressed WAV (format tag 0x{tag:04x}) without a fact chunk: its duration is"
            " unknown; store the media attributes",
        )
    return WavInfo(sample_rate=rate, channels=channels, frames=frames)
