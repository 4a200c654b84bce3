"""ISO-BMFF (MP4 / MOV): a video's media attributes from its ``moov`` box, reading only box
headers until it is found. Pure functions of bytes (and a path) to an :class:`Mp4Info`."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from rowport_plugins._media import MediaError
from rowport_plugins._media._fetch import reading_file

__all__ = ["Mp4Info", "parse_mp4", "read_mp4"]


@attrs.frozen(kw_only=True)
class Mp4Info:
    """What a ``moov`` box says of its first video track."""

    mime_type: str
    frame_rate: float
    frame_count: int
    width: int
    height: int
    duration: float
    codec: str

    def attributes(self) -> dict[str, Any]:
        """The media attributes, in the export's key order."""
        return {**attrs.asdict(self), "asset_type": "video"}


_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"udta"})


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """``(type, body_start, body_end)`` of each box in ``data[start:end]``."""
    end = len(data) if end is None else end
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            if offset + 16 > end:
                raise MediaError("MEDIA_UNREADABLE", f"truncated {kind!r} box header")
            (size,) = struct.unpack_from(">Q", data, offset + 8)
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            raise MediaError("MEDIA_UNREADABLE", f"the {kind!r} box runs past its parent")
        yield kind, offset + header, offset + size
        offset += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for found, body, stop in _boxes(data, start, end):
        if found == kind:
            return body, stop
    return None


def _need(body: int, stop: int, size: int, what: str) -> None:
    if stop - body < size:
        raise MediaError("MEDIA_UNREADABLE", f"the {what} box is too short")


def _timing(data: bytes, body: int, stop: int, what: str) -> tuple[int, int]:
    """``(timescale, duration)`` of an ``mvhd`` or ``mdhd`` box."""
    _need(body, stop, 4, what)
    version = data[body]
    if version == 1:
        _need(body, stop, 32, what)
        timescale, duration = struct.unpack_from(">IQ", data, body + 20)
    else:
        _need(body, stop, 20, what)
        timescale, duration = struct.unpack_from(">II", data, body + 12)
    return timescale, duration


def parse_mp4(moov: bytes, *, mime_type: str = "video/mp4") -> Mp4Info:
    """What the body of a ``moov`` box says of its first video track.

    :raises MediaError: ``MEDIA_UNREADABLE`` (no ``mvhd``, no video track, broken boxes).
    """
    found = _child(moov, 0, len(moov), b"mvhd")
    if found is None:
        raise MediaError("MEDIA_UNREADABLE", "the moov box has no mvhd")
    movie_scale, movie_duration = _timing(moov, *found, "mvhd")
    for kind, body, stop in _boxes(moov):
        if kind != b"trak":
            continue
        track = _track(moov, body, stop)
        if track is None:
            continue
        width, height, scale, duration, codec, frames = track
        seconds = duration / scale if scale and duration else 0.0
        if not seconds and movie_scale:
            seconds = movie_duration / movie_scale
        movie_seconds = movie_duration / movie_scale if movie_scale and movie_duration else seconds
        return Mp4Info(
            mime_type=mime_type,
            frame_rate=round(frames / seconds, 6) if seconds else 0.0,
            frame_count=frames,
            width=width,
            height=height,
            duration=round(movie_seconds, 6),
            codec=codec,
        )
    raise MediaError("MEDIA_UNREADABLE", "the file has no video track")


def _track(data: bytes, start: int, stop: int) -> tuple[int, int, int, int, str, int] | None:
    """``(width, height, timescale, duration, codec, frames)`` of a video track, else None."""
    mdia = _child(data, start, stop, b"mdia")
    if mdia is None:
        return None
    hdlr = _child(data, *mdia, b"hdlr")
    if hdlr is not None:
        _need(*hdlr, 12, "hdlr")
        if data[hdlr[0] + 8 : hdlr[0] + 12] != b"vide":
            return None
    mdhd = _child(data, *mdia, b"mdhd")
    if mdhd is None:
        raise MediaError("MEDIA_UNREADABLE", "a track has no mdhd")
    scale, duration = _timing(data, *mdhd, "mdhd")
    minf = _child(data, *mdia, b"minf")
    stbl = _child(data, *minf, b"stbl") if minf else None
    stsd = _child(data, *stbl, b"stsd") if stbl else None
    stts = _child(data, *stbl, b"stts") if stbl else None
    if stsd is None or stts is None:
        raise MediaError("MEDIA_UNREADABLE", "the video track has no stsd or stts")
    _need(*stsd, 16, "stsd")
    codec = data[stsd[0] + 12 : stsd[0] + 16].decode("latin-1").strip()
    entry_width = entry_height = 0
    if stsd[1] - stsd[0] >= 8 + 36:
        entry_width, entry_height = struct.unpack_from(">HH", data, stsd[0] + 8 + 32)
    _need(*stts, 8, "stts")
    (entries,) = struct.unpack_from(">I", data, stts[0] + 4)
    _need(*stts, 8 + 8 * entries, "stts")
    frames = sum(struct.unpack_from(">I", data, stts[0] + 8 + 8 * i)[0] for i in range(entries))
    width = height = 0
    tkhd = _child(data, start, stop, b"tkhd")
    if tkhd is not None:
        _need(*tkhd, 4, "tkhd")
        at = tkhd[0] + (88 if data[tkhd[0]] == 1 else 76)  # width, height: 16.16 fixed
        _need(tkhd[0], tkhd[1], at - tkhd[0] + 8, "tkhd")
        fixed_w, fixed_h = struct.unpack_from(">II", data, at)
        width, height = fixed_w >> 16, fixed_h >> 16
    return (width or entry_width, height or entry_height, scale, duration, codec, frames)


def read_mp4(path: Path, *, max_bytes: int = 64 * 2**20) -> Mp4Info:
    """Find the ``moov`` box of the file at ``path`` (reading only box headers until then) and
    parse it.

    :raises MediaError: ``MEDIA_NOT_FOUND``, ``MEDIA_UNREACHABLE``, ``MEDIA_TOO_LARGE`` (a
        ``moov`` over ``max_bytes``), ``MEDIA_UNREADABLE``.
    """
    try:
        with reading_file(path):
            size = path.stat().st_size
            with path.open("rb") as f:
                offset = 0
                brand = b""
                while offset + 8 <= size:
                    f.seek(offset)
                    head = f.read(16)
                    box_size, kind = struct.unpack_from(">I4s", head)
                    header = 8
                    if box_size == 1 and len(head) >= 16:
                        (box_size,) = struct.unpack_from(">Q", head, 8)
                        header = 16
                    elif box_size == 0:
                        box_size = size - offset
                    if box_size < header or offset + box_size > size:
                        raise MediaError("MEDIA_UNREADABLE", f"{path}: a broken {kind!r} box")
                    if kind == b"ftyp":
                        brand = head[8:12]
                    elif kind == b"moov":
                        if box_size - header > max_bytes:
                            raise MediaError(
                                "MEDIA_TOO_LARGE",
                                f"{path}: the moov box has {box_size} bytes, over {max_bytes}",
                            )
                        f.seek(offset + header)
                        body = f.read(box_size - header)
                        quicktime = brand == b"qt  " or path.suffix.lower() in (".mov", ".qt")
                        return parse_mp4(
                            body, mime_type="video/quicktime" if quicktime else "video/mp4"
                        )
                    offset += box_size
    except struct.error as exc:
        raise MediaError("MEDIA_UNREADABLE", f"{path}: a truncated box: {exc}") from None
    raise MediaError("MEDIA_UNREADABLE", f"{path} is not an MP4/MOV file (no moov box)")
