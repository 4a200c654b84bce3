"""A stream adopting another's parts (a sharded export's merge): the parts are taken whole,
renamed on one disk and copied server-side on one object store, numbered after the stream's
own, their line indexes still right (they hold offsets within their part); a part that is not
as its manifest says is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from rowport.errors import StreamCorrupted
from rowport.streams import StreamManifest, StreamPlace, StreamReader, StreamWriter
from rowport.streams._storage import join_place, open_storage


def _lines(first: int, count: int) -> list[bytes]:
    return [b'{"row": %d, "pad": "%s"}' % (n, b"x" * (n % 13)) for n in range(first, first + count)]


def _shard(place: StreamPlace) -> StreamWriter:
    """A closed stream of two parts: lines 3 to 9, then 10 to 14."""
    with StreamWriter(place) as shard:
        shard.write_lines(_lines(3, 7))
        shard.commit()
        shard.write_lines(_lines(10, 5))
    return shard


def _merged(target: StreamPlace, source: StreamPlace, manifest: StreamManifest) -> StreamReader:
    with StreamWriter(target) as writer:
        writer.write_lines(_lines(0, 3))  # pending: committed before the adopted parts
        added = writer.adopt(source, manifest)
        assert [part.index for part in added] == [1, 2]
        writer.write_lines(_lines(15, 2))
    return StreamReader(target, required=True)


def test_adopted_parts_follow_the_streams_own_and_seek_right(stream_place: StreamPlace) -> None:
    source = join_place(stream_place, "shard", "result")
    target = join_place(stream_place, "task", "result")
    shard = _shard(source)
    reader = _merged(target, source, shard.manifest)
    assert [line.data for line in reader.iter_lines(0)] == _lines(0, 17)
    assert reader.verify() == []
    # a seek inside an adopted part reads its index, which needed no rebasing
    assert [line.data for line in reader.iter_lines(12)][:2] == _lines(12, 2)
    parts = reader.manifest.parts
    assert [(p.lines.start, p.lines.end) for p in parts] == [(0, 2), (3, 9), (10, 14), (15, 16)]
    names = set(open_storage(source).names())
    if isinstance(stream_place, Path):
        assert not names & {p.file for p in shard.manifest.parts}  # renamed, not copied
    else:
        assert {p.file for p in shard.manifest.parts} <= names  # copied on the server


def test_parts_are_copied_between_storages(tmp_path: Path, s3_url: str) -> None:
    """A shard on local disk merged into a stream on S3 (and back): its bytes are copied."""
    for source, target in (
        (tmp_path / "local-shard", f"{s3_url}/task/result"),
        (f"{s3_url}/shard", tmp_path / "local-task"),
    ):
        shard = _shard(source)
        reader = _merged(target, source, shard.manifest)
        assert [line.data for line in reader.iter_lines(0)] == _lines(0, 17)
        assert reader.verify() == []


def test_a_part_unlike_its_manifest_is_refused(stream_place: StreamPlace) -> None:
    source = join_place(stream_place, "shard", "result")
    shard = _shard(source)
    storage = open_storage(source)
    part = shard.manifest.parts[1]
    storage.put(part.file, storage.read(part.file) + b"{}\n")
    with (
        StreamWriter(join_place(stream_place, "task", "result")) as writer,
        pytest.raises(StreamCorrupted, match="the shard's manifest says"),
    ):
        writer.adopt(source, shard.manifest)
    storage.delete(part.file)
    with (
        StreamWriter(join_place(stream_place, "other", "result")) as writer,
        pytest.raises(StreamCorrupted, match="missing: the shard's manifest lists it"),
    ):
        writer.adopt(source, shard.manifest)
