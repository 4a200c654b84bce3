"""StreamReader: seeks by line and by offset, ranges, empty streams and out-of-range errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rowport.streams import StreamLine, StreamReader, StreamWriter
from rowport.streams._storage import StreamPlace, join_place

StreamFactory = Callable[..., tuple[StreamPlace, list[bytes]]]


def _offsets(rows: list[bytes]) -> list[int]:
    offsets, position = [], 0
    for row in rows:
        offsets.append(position)
        position += len(row) + 1
    return offsets


def test_iter_lines_yields_every_line_with_its_offset_and_number(stream: StreamFactory) -> None:
    directory, rows = stream(100)
    items = list(StreamReader(directory).iter_lines())
    assert items == [
        StreamLine(offset, line, row)
        for line, (offset, row) in enumerate(zip(_offsets(rows), rows, strict=True))
    ]


def test_iter_lines_from_k_starts_at_line_k_anywhere_in_a_multi_part_stream(
    stream: StreamFactory,
) -> None:
    directory, rows = stream(100, part_max_bytes=400)
    reader = StreamReader(directory)
    boundaries = [part.lines.start for part in reader.manifest.parts]
    assert len(boundaries) > 3
    offsets = _offsets(rows)
    for k in {0, 1, 50, 98, 99, *boundaries, *(b - 1 for b in boundaries[1:])}:
        items = list(reader.iter_lines(k))
        assert items[0] == StreamLine(offsets[k], k, rows[k])
        assert [item.data for item in items] == rows[k:]


def test_offset_of_line_and_line_at_offset_invert_each_other(stream: StreamFactory) -> None:
    directory, rows = stream(60, part_max_bytes=400)
    reader = StreamReader(directory)
    offsets = _offsets(rows)
    assert [reader.offset_of_line(k) for k in range(60)] == offsets
    assert reader.offset_of_line(60) == reader.total_size  # where a follower goes on
    for k in (0, 17, 59, *(part.lines.start for part in reader.manifest.parts)):
        assert reader.line_at_offset(offsets[k]) == k
        assert reader.line_at_offset(offsets[k] + len(rows[k])) == k  # its newline
    assert reader.line_at_offset(reader.total_size) == 60
    with pytest.raises(ValueError, match="line 61 is out of range"):
        reader.offset_of_line(61)
    with pytest.raises(ValueError, match="out of range"):
        reader.line_at_offset(reader.total_size + 1)


def test_offset_at_a_line_start_yields_whole_lines(stream: StreamFactory) -> None:
    directory, rows = stream(60, part_max_bytes=400)
    reader = StreamReader(directory)
    offsets = _offsets(rows)
    for k in (0, 17, 59, *(part.lines.start for part in reader.manifest.parts)):
        items = list(reader.iter_from_offset(offsets[k]))
        assert items[0] == StreamLine(offsets[k], k, rows[k])
        assert [item.data for item in items] == rows[k:]


def test_offset_mid_line_yields_the_rest_of_that_line_first(stream: StreamFactory) -> None:
    directory, rows = stream(40, part_max_bytes=400)
    reader = StreamReader(directory)
    whole = b"".join(row + b"\n" for row in rows)
    offsets = _offsets(rows)
    # every byte on disk; on S3 (a few requests a seek) every 29th and each part's edges
    step = 1 if isinstance(directory, Path) else 29
    edges = {p.offsets.start + d for p in reader.manifest.parts for d in (-1, 0, 1)}
    for offset in sorted(set(range(0, len(whole), step)) | (edges & set(range(len(whole))))):
        line = max(k for k, start in enumerate(offsets) if start <= offset)
        first, *rest = reader.iter_from_offset(offset)
        end = offsets[line] + len(rows[line])
        assert first == StreamLine(offset, line, whole[offset:end])
        assert [item.data for item in rest] == rows[line + 1 :]


def test_offset_on_the_last_newline_yields_an_empty_fragment(stream: StreamFactory) -> None:
    directory, _ = stream(5)
    reader = StreamReader(directory)
    assert list(reader.iter_from_offset(reader.total_size - 1)) == [
        StreamLine(reader.total_size - 1, 4, b"")
    ]


@pytest.mark.parametrize("line", [-1, 100, 101, 10**9])
def test_out_of_range_lines_raise_value_error(stream: StreamFactory, line: int) -> None:
    directory, _ = stream(100)
    with pytest.raises(ValueError, match=rf"line {line} is out of range: .*100 lines \(0-99\)"):
        StreamReader(directory).iter_lines(line)


def test_out_of_range_offsets_raise_value_error(stream: StreamFactory) -> None:
    directory, _ = stream(10)
    reader = StreamReader(directory)
    for offset in (-1, reader.total_size, reader.total_size + 1):
        with pytest.raises(ValueError, match=f"offset {offset} is out of range"):
            reader.iter_from_offset(offset)


def test_read_range_returns_the_bytes_across_parts(stream: StreamFactory) -> None:
    directory, rows = stream(60, part_max_bytes=300)
    reader = StreamReader(directory)
    whole = b"".join(row + b"\n" for row in rows)
    last = len(whole) - 1
    for start, end in [(0, last), (0, 0), (last, last), (5, 777), (299, 301), (100, last)]:
        assert reader.read_range(start, end) == whole[start : end + 1]


def test_iter_range_yields_chunks_of_at_most_chunk_size(stream: StreamFactory) -> None:
    directory, rows = stream(30)
    reader = StreamReader(directory)
    chunks = list(reader.iter_range(3, reader.total_size - 1, chunk_size=64))
    assert all(len(chunk) <= 64 for chunk in chunks)
    assert b"".join(chunks) == b"".join(row + b"\n" for row in rows)[3:]


def test_read_range_outside_the_stream_raises_value_error(stream: StreamFactory) -> None:
    directory, _ = stream(10)
    reader = StreamReader(directory)
    for start, end in [(-1, 5), (0, reader.total_size), (6, 5)]:
        with pytest.raises(ValueError):
            reader.read_range(start, end)


def test_reader_on_a_missing_directory_sees_an_empty_stream(place: StreamPlace) -> None:
    reader = StreamReader(join_place(place, "nowhere"))
    assert (reader.total_lines, reader.total_size, reader.complete) == (0, 0, False)
    assert reader.manifest.parts == ()
    assert list(reader.iter_lines()) == []
    assert list(reader.iter_from_offset(0)) == []
    assert reader.verify() == []


def test_empty_complete_stream_yields_nothing_and_rejects_line_one(place: StreamPlace) -> None:
    StreamWriter(place).close()
    reader = StreamReader(place)
    assert reader.complete and list(reader.iter_lines()) == []
    with pytest.raises(ValueError, match="line 1 is out of range: the stream is empty"):
        reader.iter_lines(1)


def test_reader_sees_only_committed_lines_until_refreshed(place: StreamPlace) -> None:
    writer = StreamWriter(place)
    writer.write_lines([b"1"])
    writer.commit()
    reader = StreamReader(place)
    writer.write_lines([b"2"])
    writer.commit()
    assert [item.data for item in reader.iter_lines()] == [b"1"]
    assert reader.refresh() is True
    assert [item.data for item in reader.iter_lines()] == [b"1", b"2"]
    assert reader.refresh() is False


def test_manifest_round_trips_through_its_dict_form(stream: StreamFactory) -> None:
    directory, _ = stream(30)
    manifest = StreamReader(directory).manifest
    assert type(manifest).from_dict(manifest.to_dict()) == manifest
    assert set(manifest.to_dict()) == {"version", "complete", "total_size", "total_lines", "parts"}
    assert set(manifest.to_dict()["parts"][0]) == {
        "index",
        "file",
        "index_file",
        "offsets",
        "lines",
        "sha256",
        "size",
        "line_count",
    }
