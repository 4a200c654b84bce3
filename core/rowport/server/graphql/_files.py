"""The SDK's file chunks: ``exportFileFromOffset`` and the signed URL that serves it.

On object storage a chunk that is one whole part is handed out as a presigned URL of the part's
object (the SDK's plain GET, without a Range header, reads exactly the chunk from the store);
parts there hold at most 8 MiB, the chunk limit, so every chunk is one unless one batch alone
was longer. Other chunks are served by rowport, as below.

A chunk starts at the requested byte offset (a line start), ends on a line boundary and holds at
most :data:`CHUNK_LIMIT` bytes (one longer line is served whole). Its URL carries an HMAC over
the organization, task, stream, byte range and expiry, made with a secret kept in the home
(``graphql.secret``, created on first use), so the SDK's plain ``requests.get`` needs no
header; an expired or altered URL answers 403.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

import attrs

from rowport.errors import InvalidInput
from rowport.streams import PartInfo, StreamReader
from rowport.streams._storage import LocalStorage

__all__ = ["CHUNK_LIMIT", "URL_LIFETIME", "Chunk", "Signer", "chunk_at", "presigned_url"]

CHUNK_LIMIT = 8 << 20  # 8 MiB per file GET: the SDK holds a chunk in memory
URL_LIFETIME = 600  # seconds a file URL stays valid
SECRET_FILE = "graphql.secret"


@attrs.frozen
class Chunk:
    """Inclusive byte offsets and line numbers of one chunk of a stream."""

    start: int
    end: int
    first_line: int
    last_line: int


def chunk_at(reader: StreamReader, offset: int, limit: int = CHUNK_LIMIT) -> Chunk:
    """The chunk of ``reader``'s stream that starts at byte ``offset``. On object storage it
    also ends where its part does, so a chunk that starts a part is that whole object (parts
    there hold at most 8 MiB: see :func:`presigned_url`).

    :raises InvalidInput: ``offset`` is outside the stream or not where a line starts.
    """
    chunk = _chunk_at(reader, offset, limit)
    part = _part_holding(reader, offset)
    if part is None or chunk.end <= part.offsets.end:
        return chunk
    return Chunk(offset, part.offsets.end, chunk.first_line, part.lines.end)


def presigned_url(reader: StreamReader, chunk: Chunk) -> str | None:
    """A presigned URL of the object that holds exactly ``chunk`` (a whole part on object
    storage), so the SDK's plain GET reads it from the store; None when the chunk is not one
    object (a local stream, or a part longer than the chunk limit): rowport serves it then."""
    part = _part_holding(reader, chunk.start)
    if part is None or (part.offsets.start, part.offsets.end) != (chunk.start, chunk.end):
        return None
    return reader.storage.presign(part.file, URL_LIFETIME)


def _part_holding(reader: StreamReader, offset: int) -> PartInfo | None:
    """The part holding byte ``offset`` of a stream on object storage (None when local)."""
    if isinstance(reader.storage, LocalStorage):
        return None
    starts = [part.offsets.start for part in reader.manifest.parts]
    return reader.manifest.parts[bisect.bisect_right(starts, offset) - 1]


def _chunk_at(reader: StreamReader, offset: int, limit: int) -> Chunk:
    total = reader.total_size
    if not 0 <= offset < total:
        raise InvalidInput(f"offset {offset} is out of range: the stream has {total} bytes")
    first = reader.line_at_offset(offset)
    if reader.offset_of_line(first) != offset:
        raise InvalidInput(f"offset {offset} is not where a line starts")
    if offset + limit >= total:
        return Chunk(offset, total - 1, first, reader.total_lines - 1)
    after = reader.line_at_offset(offset + limit)  # the line holding the byte past the limit
    if after == first:  # one line longer than the limit: serve it whole
        after = first + 1
    return Chunk(offset, reader.offset_of_line(after) - 1, first, after - 1)


class Signer:
    """Signs and checks file URLs with the home's secret."""

    def __init__(self, home: Path) -> None:
        self._secret = _secret(home)

    def _mac(self, fields: tuple[str, ...]) -> str:
        message = "\n".join(fields).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def query(self, fields: tuple[str, ...], now: float | None = None) -> str:
        """The query string (``expires`` and ``sig``) of a URL for ``fields``."""
        expires = str(int((time.time() if now is None else now) + URL_LIFETIME))
        return urlencode({"expires": expires, "sig": self._mac((*fields, expires))})

    def check(self, fields: tuple[str, ...], expires: str, signature: str) -> str | None:
        """None when the signature is right and unexpired, else what is wrong."""
        if not hmac.compare_digest(self._mac((*fields, expires)), signature):
            return "the file URL's signature does not match"
        if not expires.isdigit() or int(expires) < time.time():
            return "the file URL has expired: ask for the chunk again"
        return None


def _secret(home: Path) -> bytes:
    path = home / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return bytes.fromhex(value)
