"""Helpers for the video plugin tests: video labels, real catalogs and exports, and tiny
MP4/MOV files built box by box."""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import rowport
from rowport.testing import export_rows as run_export  # noqa: F401 (re-exported)
from rowport.testing import make_project as shared_project

PLUGIN = "rowport_plugins.video"
CAR = "car-feature-0000000000001"
PERSON = "person-feature-0000000001"
STORED = {
    "mime_type": "video/mp4",
    "frame_rate": 25,
    "frame_count": 20,
    "width": 320,
    "height": 240,
}
TOOLS: list[dict[str, Any]] = [
    {
        "tool": "bbox",
        "name": "car",
        "classifications": [
            {"type": "radio", "name": "color", "options": [{"name": "red"}, {"name": "blue"}]}
        ],
    },
    {"tool": "bbox", "name": "person"},
]


def color(which: str) -> list[dict[str, Any]]:
    """The car's nested ``color`` answer."""
    return [{"name": "color", "radio_answer": {"name": which}}]


def make_project(
    client: rowport.Client, specs: Sequence[Mapping[str, Any]]
) -> tuple[Any, list[Any]]:
    """A dataset holding video ``specs`` queued in a new project with two box tools."""
    project, rows, _ = shared_project(client, "video", specs, tools=TOOLS)
    return project, rows


def obj(name: str, box: Any, **extra: Any) -> dict[str, Any]:
    """A VideoBoundingBox; ``box`` is ``(top, left, height, width)`` or anything (malformed)."""
    bounding_box = (
        dict(zip(("top", "left", "height", "width"), box, strict=True))
        if isinstance(box, tuple)
        else box
    )
    return {
        "name": name,
        "annotation_kind": "VideoBoundingBox",
        "bounding_box": bounding_box,
        **extra,
    }


def video_label(
    data_row: Any,
    frames: Mapping[str, Mapping[str, Any]],
    segments: Mapping[str, Any],
    key_frame_feature_map: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A label: ``frames`` is ``{frame: {feature_id: object}}``."""
    return {
        "data_row_id": data_row.uid,
        "annotations": {
            "frames": {
                key: {"objects": dict(objects), "classifications": []}
                for key, objects in frames.items()
            },
            "segments": dict(segments),
            "key_frame_feature_map": dict(key_frame_feature_map or {}),
            "classifications": [],
        },
    }


def annotations_of(row: Mapping[str, Any]) -> Mapping[str, Any]:
    (section,) = row["projects"].values()
    (label,) = section["labels"]
    annotations: Mapping[str, Any] = label["annotations"]
    return annotations


# -- ISO-BMFF, box by box ------------------------------------------------------------------------


def box(kind: bytes, *payload: bytes, large: bool = False) -> bytes:
    body = b"".join(payload)
    if large:  # a 64-bit size
        return struct.pack(">I4sQ", 1, kind, 16 + len(body)) + body
    return struct.pack(">I4s", 8 + len(body), kind) + body


def full(version: int, flags: int = 0) -> bytes:
    return struct.pack(">I", (version << 24) | flags)


def mvhd(timescale: int, duration: int, version: int = 0) -> bytes:
    if version == 1:
        head = full(1) + struct.pack(">QQIQ", 0, 0, timescale, duration)
    else:
        head = full(0) + struct.pack(">IIII", 0, 0, timescale, duration)
    return box(b"mvhd", head, b"\0" * 80)


def tkhd(width: int, height: int, version: int = 0) -> bytes:
    if version == 1:
        head = full(1, 3) + struct.pack(">QQIIQ", 0, 0, 1, 0, 0)
    else:
        head = full(0, 3) + struct.pack(">IIIII", 0, 0, 1, 0, 0)
    rest = b"\0" * 8 + struct.pack(">hhhH", 0, 0, 0, 0) + b"\0" * 36
    return box(b"tkhd", head, rest, struct.pack(">II", width << 16, height << 16))


def mdhd(timescale: int, duration: int, version: int = 0) -> bytes:
    if version == 1:
        head = full(1) + struct.pack(">QQIQ", 0, 0, timescale, duration)
    else:
        head = full(0) + struct.pack(">IIII", 0, 0, timescale, duration)
    return box(b"mdhd", head, struct.pack(">HH", 0x55C4, 0))


def hdlr(handler: bytes) -> bytes:
    return box(b"hdlr", full(0), struct.pack(">I4s", 0, handler), b"\0" * 12, b"handler\0")


def stsd(codec: bytes, width: int, height: int) -> bytes:
    entry = box(
        codec,
        b"\0" * 6 + struct.pack(">H", 1) + b"\0" * 16,
        struct.pack(">HH", width, height),
        b"\0" * 50,
    )
    return box(b"stsd", full(0), struct.pack(">I", 1), entry)


def stts(entries: Sequence[tuple[int, int]]) -> bytes:
    return box(
        b"stts",
        full(0),
        struct.pack(">I", len(entries)),
        b"".join(struct.pack(">II", count, delta) for count, delta in entries),
    )


def video_trak(
    *,
    width: int = 320,
    height: int = 240,
    timescale: int = 12800,
    entries: Sequence[tuple[int, int]] = ((40, 512), (10, 512)),
    codec: bytes = b"avc1",
    version: int = 0,
    handler: bytes = b"vide",
    tkhd_size: tuple[int, int] | None = None,
) -> bytes:
    duration = sum(count * delta for count, delta in entries)
    tw, th = tkhd_size if tkhd_size is not None else (width, height)
    stbl = box(b"stbl", stsd(codec, width, height), stts(entries))
    minf = box(b"minf", box(b"vmhd", full(0, 1), b"\0" * 8), stbl)
    mdia = box(b"mdia", mdhd(timescale, duration, version), hdlr(handler), minf)
    return box(b"trak", tkhd(tw, th, version), mdia)


def sound_trak() -> bytes:
    stbl = box(b"stbl", stsd(b"mp4a", 0, 0), stts([(94, 1024)]))
    minf = box(b"minf", box(b"smhd", full(0), b"\0" * 4), stbl)
    mdia = box(b"mdia", mdhd(48000, 96256), hdlr(b"soun"), minf)
    return box(b"trak", tkhd(0, 0), mdia)


def write_mp4(
    path: Path,
    *,
    brand: bytes = b"isom",
    moov_last: bool = False,
    version: int = 0,
    traks: Sequence[bytes] | None = None,
    large_mdat: bool = False,
) -> Path:
    """A 2-second, 50-frame (25 fps) 320x240 avc1 file (no real samples)."""
    ftyp = box(b"ftyp", brand, struct.pack(">I", 512), brand, b"avc1")
    moov = box(
        b"moov",
        mvhd(1000, 2000, version),
        *(traks if traks is not None else [sound_trak(), video_trak(version=version)]),
    )
    mdat = box(b"mdat", b"\0" * 4096, large=large_mdat)
    parts = [ftyp, mdat, moov] if moov_last else [ftyp, moov, mdat]
    path.write_bytes(b"".join(parts))
    return path


MP4_ATTRIBUTES = {
    "mime_type": "video/mp4",
    "frame_rate": 25.0,
    "frame_count": 50,
    "width": 320,
    "height": 240,
    "duration": 2.0,
    "codec": "avc1",
    "asset_type": "video",
}
