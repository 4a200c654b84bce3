"""File chunks for the SDK: each starts at the requested offset, ends on a line boundary, stays
within the size limit (a longer line whole), and the chain of ``end + 1`` covers the stream
exactly; file URLs are HMAC-signed with the home's secret and expire."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from rowport.errors import InvalidInput
from rowport.server.graphql._files import (
    SECRET_FILE,
    URL_LIFETIME,
    Signer,
    chunk_at,
    presigned_url,
)
from rowport.streams import StreamReader, StreamWriter


def _stream(folder: Path, lines: list[bytes]) -> StreamReader:
    with StreamWriter(folder) as writer:
        writer.write_lines(lines[:3])
        writer.commit()
        writer.write_lines(lines[3:])
    return StreamReader(folder)


@pytest.mark.parametrize("limit", [1, 7, 20, 64, 1 << 20])
def test_chunks_cover_the_stream_on_line_boundaries(tmp_path: Path, limit: int) -> None:
    lines = [b'{"n": %d, "pad": "%s"}' % (i, b"x" * (i * 7 % 30)) for i in range(12)]
    reader = _stream(tmp_path / "s", lines)
    data = b"".join(line + b"\n" for line in lines)
    cursor, got, line = 0, b"", 0
    while cursor < reader.total_size:
        chunk = chunk_at(reader, cursor, limit)
        assert chunk.start == cursor and chunk.end >= cursor
        assert chunk.end - chunk.start + 1 <= max(limit, max(len(x) + 1 for x in lines))
        body = reader.read_range(chunk.start, chunk.end)
        assert body.endswith(b"\n") and len(body) == chunk.end - chunk.start + 1
        assert (chunk.first_line, chunk.last_line) == (line, line + body.count(b"\n") - 1)
        got += body
        cursor, line = chunk.end + 1, chunk.last_line + 1
    assert got == data and line == len(lines)


def test_offsets_outside_or_inside_a_line_are_refused(tmp_path: Path) -> None:
    reader = _stream(tmp_path / "s", [b'{"a": 1}', b'{"b": 2}'])
    for offset, message in [
        (-1, "out of range"),
        (reader.total_size, "out of range"),
        (3, "not where a line starts"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            chunk_at(reader, offset)


def test_signatures_name_every_field_and_expire(tmp_path: Path) -> None:
    signer = Signer(tmp_path)
    assert (tmp_path / SECRET_FILE).stat().st_mode & 0o777 == 0o600
    fields = ("org", "task", "RESULT", "0", "99")
    query = dict(pair.split("=") for pair in signer.query(fields).split("&"))
    assert signer.check(fields, query["expires"], query["sig"]) is None
    assert Signer(tmp_path).check(fields, query["expires"], query["sig"]) is None  # same secret
    for changed in [("other", *fields[1:]), (*fields[:4], "100")]:
        assert "does not match" in (signer.check(changed, query["expires"], query["sig"]) or "")
    old = dict(pair.split("=") for pair in signer.query(fields, now=0).split("&"))
    assert int(old["expires"]) == URL_LIFETIME
    assert "expired" in (signer.check(fields, old["expires"], old["sig"]) or "")
    assert Signer(tmp_path / "elsewhere").check(fields, query["expires"], query["sig"])


def test_on_object_storage_each_chunk_is_one_part_handed_out_presigned(s3_url: str) -> None:
    lines = [b'{"n": %d, "pad": "%s"}' % (i, b"x" * (i * 7 % 30)) for i in range(40)]
    with StreamWriter(s3_url, part_max_bytes=200) as writer:
        for i in range(0, len(lines), 3):
            writer.write_lines(lines[i : i + 3])
    reader = StreamReader(s3_url)
    parts = reader.manifest.parts
    assert len(parts) > 3
    cursor, got = 0, []
    while cursor < reader.total_size:
        chunk = chunk_at(reader, cursor, limit=1 << 20)
        url = presigned_url(reader, chunk)
        assert url is not None and url.startswith(os.environ["ROWPORT_S3_ENDPOINT_URL"])
        body = requests.get(url, timeout=30).content  # no Range header: the SDK sends none
        assert len(body) == chunk.end - chunk.start + 1 and body.endswith(b"\n")
        got.append((chunk.start, chunk.end))
        cursor = chunk.end + 1
    assert got == [(part.offsets.start, part.offsets.end) for part in parts]
    # a chunk smaller than its part (the limit cuts it) is not one object: rowport serves it
    assert presigned_url(reader, chunk_at(reader, 0, limit=1)) is None


def test_a_local_stream_has_no_presigned_urls(tmp_path: Path) -> None:
    reader = _stream(tmp_path / "s", [b'{"a": 1}', b'{"b": 2}'])
    assert presigned_url(reader, chunk_at(reader, 0)) is None
