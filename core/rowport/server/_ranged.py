"""HTTP Range over a body read from a blocking, seekable file: the part files of a stream (on
local disk or object storage) and the zips of served formats.

Built on Starlette's public ``Response`` and ``StreamingResponse`` only: a single range answers
``206`` with ``Content-Range``, several answer ``multipart/byteranges`` (overlapping ones merged),
``If-Range`` keeps the range only while it names the body's ``ETag`` (or ``Last-Modified``),
``HEAD`` sends the headers alone, a range starting past the end is ``416`` with
``Content-Range: bytes */SIZE`` and a header naming no byte range is ``400``, both as the API's
JSON errors. More than :data:`MAX_RANGES` ranges are answered with the whole body.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from email.utils import formatdate
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

import attrs
from starlette.datastructures import Headers
from starlette.responses import Response, StreamingResponse

__all__ = [
    "MAX_RANGES",
    "RangeUnsatisfiable",
    "RangedBody",
    "if_range_holds",
    "parse_ranges",
    "ranged_response",
]

MAX_RANGES = 100
ByteRange = tuple[int, int]  # start, end (exclusive)


class RangeUnsatisfiable(ValueError):
    """A range starts at or past the end of the body (answered 416)."""


@attrs.frozen(kw_only=True)
class RangedBody:
    """What a ranged response reads.

    :param size: the body's length in bytes.
    :param etag: its strong ``ETag`` (quoted), which ``If-Range`` is compared with.
    :param open: opens the body for reading at its start (called from a worker thread, and only
        when bytes are sent, never for ``HEAD``).
    :param last_modified: its ``Last-Modified`` date, when it has one.
    """

    size: int
    etag: str
    open: Callable[[], BinaryIO]
    last_modified: str | None = None

    @classmethod
    def of_file(cls, path: str | os.PathLike[str]) -> RangedBody:
        """A local file, its ``ETag`` and ``Last-Modified`` from its size and modified time."""
        info = os.stat(path)
        return cls(
            size=info.st_size,
            etag=f'"{info.st_mtime_ns:x}-{info.st_size:x}"',
            open=lambda: Path(path).open("rb"),
            last_modified=formatdate(info.st_mtime, usegmt=True),
        )


def if_range_holds(if_range: str | None, *validators: str | None) -> bool:
    """Whether a ``Range`` is to be answered: no ``If-Range``, or one naming a validator (a weak
    ``W/`` tag never does)."""
    if if_range is None:
        return True
    return not if_range.startswith("W/") and if_range in validators


def parse_ranges(header: str, size: int) -> list[ByteRange]:
    """The byte ranges of ``Range: bytes=...`` over ``size`` bytes, in the order asked (specs
    that are not ``a-b``, ``a-`` or ``-n`` are passed over).

    :raises ValueError: the header names no byte range, or one ends before it starts.
    :raises RangeUnsatisfiable: a range starts at or past the end.
    """
    units, equals, specs = header.partition("=")
    if units.strip().lower() != "bytes" or not equals:
        raise ValueError(f"Range {header!r} is not in bytes")
    ranges = [r for r in (_one_range(spec, size) for spec in specs.split(",")) if r is not None]
    if not ranges:
        raise ValueError(f"Range {header!r} names no byte range")
    if any(not 0 <= start < size for start, _ in ranges):
        raise RangeUnsatisfiable(f"Range {header!r} is outside the {size} bytes")
    if any(start >= end for start, end in ranges):
        raise ValueError(f"Range {header!r} ends before it starts")
    return ranges


def _one_range(spec: str, size: int) -> ByteRange | None:
    first, dash, last = spec.strip().partition("-")
    first, last = first.strip(), last.strip()
    if not dash or not (first.isdigit() or (not first and last.isdigit())):
        return None
    if last and not last.isdigit():
        return None
    if not first:
        return max(size - int(last), 0), size
    return int(first), size if not last else min(int(last) + 1, size)


def _merged(ranges: list[ByteRange]) -> list[ByteRange]:
    merged: list[ByteRange] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def ranged_response(
    body: RangedBody,
    request_headers: Headers,
    *,
    method: str,
    media_type: str,
    chunk_size: int,
    filename: str | None = None,
) -> Response:
    """The response to a ``GET`` or ``HEAD`` of ``body``: whole (200), one range (206), several
    (206, ``multipart/byteranges``).

    :raises ValueError: the ``Range`` names no byte range (answer 400).
    :raises RangeUnsatisfiable: a range starts past the end (answer 416).
    """
    headers = {"Accept-Ranges": "bytes", "ETag": body.etag}
    if body.last_modified is not None:
        headers["Last-Modified"] = body.last_modified
    if filename is not None:
        quoted = quote(filename)
        headers["Content-Disposition"] = (
            f'attachment; filename="{filename}"'
            if quoted == filename
            else f"attachment; filename*=utf-8''{quoted}"
        )
    ranges: list[ByteRange] = [(0, body.size)]
    status = 200
    asked = request_headers.get("range")
    validators = (body.etag, body.last_modified)
    if (
        asked is not None
        and asked.count(",") < MAX_RANGES
        and if_range_holds(request_headers.get("if-range"), *validators)
    ):
        ranges, status = parse_ranges(asked, body.size), 206
    if len(ranges) > 1:
        ranges = _merged(ranges)
    pieces: list[tuple[bytes, ByteRange, bytes]]
    if status == 200 or len(ranges) == 1:
        (start, end), content_type = ranges[0], media_type
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{body.size}"
        pieces, closing = [(b"", ranges[0], b"")], b""
    else:
        boundary = secrets.token_hex(13)
        content_type = f"multipart/byteranges; boundary={boundary}"
        pieces = [(_part_header(boundary, media_type, r, body.size), r, b"\r\n") for r in ranges]
        closing = f"--{boundary}--".encode("latin-1")
    length = sum(len(before) + end - start + len(after) for before, (start, end), after in pieces)
    headers["Content-Length"] = str(length + len(closing))
    if method == "HEAD" or length == 0:
        return Response(b"", status, headers=headers, media_type=content_type)
    chunks = _chunks(body, pieces, closing, chunk_size)
    return StreamingResponse(chunks, status, headers=headers, media_type=content_type)


def _part_header(boundary: str, media_type: str, byte_range: ByteRange, size: int) -> bytes:
    start, end = byte_range
    return (
        f"--{boundary}\r\nContent-Type: {media_type}\r\n"
        f"Content-Range: bytes {start}-{end - 1}/{size}\r\n\r\n"
    ).encode("latin-1")


def _chunks(
    body: RangedBody,
    pieces: list[tuple[bytes, ByteRange, bytes]],
    closing: bytes,
    chunk_size: int,
) -> Iterator[bytes]:
    """The bytes of each range, each between its ``before`` and ``after``, then ``closing``."""
    with body.open() as f:
        for before, (start, end), after in pieces:
            if before:
                yield before
            f.seek(start)
            while start < end:
                chunk = f.read(min(chunk_size, end - start))
                if not chunk:
                    raise OSError(f"the body ended at byte {start} of {body.size}")
                start += len(chunk)
                yield chunk
            if after:
                yield after
    if closing:
        yield closing
