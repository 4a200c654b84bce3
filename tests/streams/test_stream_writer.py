"""StreamWriter: totals, rotation, commits, validation and life cycle."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from rowport.errors import InvalidInput, RowportError
from rowport.streams import StreamReader, StreamWriter
from rowport.streams._storage import StreamPlace, join_place, open_storage

RowsFactory = Callable[..., list[bytes]]
StreamFactory = Callable[..., tuple[StreamPlace, list[bytes]]]


def test_totals_equal_the_bytes_and_lines_on_disk(stream: StreamFactory) -> None:
    directory, rows = stream(100)
    manifest = StreamReader(directory).manifest
    storage = open_storage(directory)
    on_disk = b"".join(storage.read(part.file) for part in manifest.parts)
    assert manifest.total_size == len(on_disk) == sum(len(row) + 1 for row in rows)
    assert manifest.total_lines == on_disk.count(b"\n") == len(rows)
    assert on_disk == b"".join(row + b"\n" for row in rows)


def test_parts_rotate_when_a_part_would_exceed_part_max_bytes(
    stream: StreamFactory, make_rows: RowsFactory
) -> None:
    directory, _ = stream(100, part_max_bytes=512, batch=3)
    manifest = StreamReader(directory).manifest
    assert len(manifest.parts) > 5
    assert [part.index for part in manifest.parts] == list(range(len(manifest.parts)))
    batch_max = max(len(row) + 1 for row in make_rows(100)) * 3
    assert all(part.size <= 512 or part.size <= batch_max for part in manifest.parts)
    storage = open_storage(directory)
    for part in manifest.parts:
        assert storage.size(part.file) == part.size
        assert storage.size(part.index_file) == 8 * part.line_count


def test_part_ranges_are_contiguous_with_inclusive_ends(stream: StreamFactory) -> None:
    directory, _ = stream(50)
    parts = StreamReader(directory).manifest.parts
    for before, after in itertools.pairwise(parts):
        assert after.offsets.start == before.offsets.end + 1
        assert after.lines.start == before.lines.end + 1
    for part in parts:
        assert part.offsets.end - part.offsets.start + 1 == part.size
        assert part.lines.end - part.lines.start + 1 == part.line_count


def test_one_batch_larger_than_part_max_bytes_stays_in_one_part(
    place: StreamPlace, make_rows: RowsFactory
) -> None:
    writer = StreamWriter(place, part_max_bytes=10)
    writer.write_lines(make_rows(5))
    manifest = writer.close()
    assert [part.line_count for part in manifest.parts] == [5]


def test_writer_counts_pending_and_committed_lines(
    place: StreamPlace, make_rows: RowsFactory
) -> None:
    writer = StreamWriter(place, commit_interval=3600)
    rows = make_rows(4)
    writer.write_lines(rows)
    assert (writer.total_lines, writer.committed_lines) == (4, 0)
    assert writer.total_size == sum(len(row) + 1 for row in rows)
    assert StreamReader(place).total_lines == 0
    writer.commit()
    assert (writer.total_lines, writer.committed_lines) == (4, 4)
    assert StreamReader(place).total_lines == 4


def test_commit_without_pending_lines_returns_none(place: StreamPlace) -> None:
    writer = StreamWriter(place)
    assert writer.commit() is None
    writer.write_lines([b"{}"])
    part = writer.commit()
    assert part is not None and part.line_count == 1
    assert writer.commit() is None


def test_maybe_commit_waits_for_the_interval_or_the_size(place: StreamPlace) -> None:
    writer = StreamWriter(place, part_max_bytes=1000, commit_interval=3600)
    writer.write_lines([b"{}"])
    assert writer.maybe_commit() is None
    writer.write_lines([b'"' + b"x" * 1000 + b'"'])  # rotates the small part, then fills one
    assert writer.committed_lines == 1
    assert writer.maybe_commit() is not None
    assert writer.committed_lines == 2


def test_maybe_commit_commits_once_the_interval_has_passed(place: StreamPlace) -> None:
    writer = StreamWriter(place, commit_interval=0)
    writer.write_lines([b"{}"])
    assert writer.maybe_commit() is not None
    assert StreamReader(place).total_lines == 1


def test_close_marks_the_stream_complete(place: StreamPlace) -> None:
    writer = StreamWriter(place)
    writer.write_lines([b"1", b"2"])
    assert not StreamReader(place).complete
    manifest = writer.close()
    assert manifest.complete and manifest.total_lines == 2
    assert StreamReader(place).complete


def test_close_is_idempotent(place: StreamPlace) -> None:
    writer = StreamWriter(place)
    writer.write_lines([b"1"])
    assert writer.close() == writer.close()


def test_write_after_close_raises(place: StreamPlace) -> None:
    writer = StreamWriter(place)
    writer.close()
    with pytest.raises(RowportError, match="closed"):
        writer.write_lines([b"1"])


def test_writer_rejects_lines_containing_newlines(place: StreamPlace) -> None:
    writer = StreamWriter(place)
    with pytest.raises(ValueError, match="line 1 of the batch contains a newline"):
        writer.write_lines([b"{}", b'{"a":\n1}'])
    assert writer.total_lines == 0


def test_writer_rejects_empty_lines(place: StreamPlace) -> None:
    writer = StreamWriter(place)
    for batch in ([b""], [b"1", b""], [b"1", b"", b"2"]):
        with pytest.raises(ValueError, match="empty"):
            writer.write_lines(batch)
    assert writer.close().total_lines == 0


def test_writing_an_empty_batch_changes_nothing(place: StreamPlace) -> None:
    writer = StreamWriter(place)
    writer.write_lines([])
    assert writer.close().parts == ()


def test_empty_stream_has_no_parts(place: StreamPlace) -> None:
    manifest = StreamWriter(place).close()
    assert (manifest.parts, manifest.total_lines, manifest.total_size) == ((), 0, 0)
    assert open_storage(place).names() == ["manifest.json"]


def test_new_writer_refuses_a_directory_that_holds_a_stream(place: StreamPlace) -> None:
    StreamWriter(place).close()
    with pytest.raises(FileExistsError, match=r"StreamWriter\.open"):
        StreamWriter(place)


def test_open_refuses_a_complete_stream(place: StreamPlace) -> None:
    StreamWriter(place).close()
    with pytest.raises(InvalidInput, match="complete"):
        StreamWriter.open(place)


def test_open_appends_after_the_last_committed_part(
    place: StreamPlace, make_rows: RowsFactory
) -> None:
    rows = make_rows(20)
    first = StreamWriter(place, part_max_bytes=300)
    first.write_lines(rows[:10])
    first.commit()
    second = StreamWriter.open(place, part_max_bytes=300)
    assert second.total_lines == 10
    second.write_lines(rows[10:])
    manifest = second.close()
    assert [item.data for item in StreamReader(place).iter_lines()] == rows
    assert StreamReader(place).verify() == []
    assert manifest.parts[-1].index == len(manifest.parts) - 1


def test_abort_drops_pending_lines_and_leaves_the_stream_resumable(place: StreamPlace) -> None:
    writer = StreamWriter(place)
    writer.write_lines([b"1"])
    writer.commit()
    writer.write_lines([b"2"])
    writer.abort()
    reader = StreamReader(place)
    assert (reader.total_lines, reader.complete) == (1, False)
    assert not any(name.endswith(".tmp") for name in open_storage(place).names())
    StreamWriter.open(place).close()


def test_context_manager_closes_on_success_and_aborts_on_error(place: StreamPlace) -> None:
    with StreamWriter(join_place(place, "ok")) as writer:
        writer.write_lines([b"1"])
    assert StreamReader(join_place(place, "ok")).complete
    with pytest.raises(KeyError), StreamWriter(join_place(place, "failed")) as writer:
        writer.write_lines([b"1"])
        raise KeyError("boom")
    reader = StreamReader(join_place(place, "failed"))
    assert (reader.total_lines, reader.complete) == (0, False)


def test_unicode_lines_round_trip_with_byte_offsets(place: StreamPlace) -> None:
    rows = [orjson.dumps({"name": name}) for name in ["café", "日本語", "emoji 🎉", "plain"]]
    writer = StreamWriter(place)
    writer.write_lines(rows)
    writer.close()
    items = list(StreamReader(place).iter_lines())
    assert [orjson.loads(item.data)["name"] for item in items] == [
        "café",
        "日本語",
        "emoji 🎉",
        "plain",
    ]
    assert [item.offset for item in items] == [
        0,
        *[sum(len(r) + 1 for r in rows[:i]) for i in (1, 2, 3)],
    ]


def test_a_new_stream_writes_its_empty_manifest_without_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    writer = StreamWriter(tmp_path / "s")
    assert synced == []  # a lost empty manifest reads as the same empty stream
    assert not StreamReader(tmp_path / "s").manifest.parts
    writer.write_lines([b"{}"])
    writer.commit()
    assert synced  # a part, and the manifest that lists it, are durable
    writer.close()


def test_maybe_commit_commits_by_size_before_the_interval(place: StreamPlace) -> None:
    writer = StreamWriter(join_place(place, "s"), commit_interval=3600, commit_bytes=100)
    writer.write_lines([b"x" * 40])
    assert writer.maybe_commit() is None  # 41 bytes pending, the interval far off
    writer.write_lines([b"y" * 60])
    part = writer.maybe_commit()
    assert part is not None and part.line_count == 2
    with pytest.raises(InvalidInput, match="commit_bytes must be positive"):
        StreamWriter(join_place(place, "t"), commit_bytes=0)
    writer.close()


def test_a_commit_fsyncs_its_part_index_folder_and_manifest_and_sync_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    directory = tmp_path / "s"
    writer = StreamWriter(directory)
    writer.write_lines([b"{}"])
    writer.commit()
    # both files of the part before the folder (their names) and the manifest: no rename of
    # a part between its fsync and the manifest's; the manifest's rename is not synced yet
    assert synced == ["part-000000.ndjson", "part-000000.idx", "s", ".manifest.json.tmp"]
    synced.clear()
    writer.sync()
    writer.sync()
    assert synced == ["s"]  # once: the rename is durable
    synced.clear()
    writer.write_lines([b"{}"])
    writer.commit()
    writer.close()
    assert synced == [
        "part-000001.ndjson",
        "part-000001.idx",
        "s",
        ".manifest.json.tmp",
        ".manifest.json.tmp",
        "s",
    ]
    assert StreamReader(directory).complete
