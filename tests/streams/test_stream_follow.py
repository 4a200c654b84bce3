"""StreamReader.follow: lines committed by a running writer, stop(), resume and timeout."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from rowport.streams import StreamReader, StreamWriter

RowsFactory = Callable[..., list[bytes]]


def _write_in_thread(
    directory: Path, rows: list[bytes], *, close: bool, started: threading.Event
) -> threading.Thread:
    def run() -> None:
        writer = StreamWriter(directory, part_max_bytes=256, commit_interval=0)
        started.set()
        for i in range(0, len(rows), 4):
            writer.write_lines(rows[i : i + 4])
            writer.maybe_commit()
        if close:
            writer.close()
        else:
            writer.commit()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_follow_yields_lines_from_a_running_writer_until_complete(
    tmp_path: Path, make_rows: RowsFactory
) -> None:
    rows = make_rows(200)
    started = threading.Event()
    thread = _write_in_thread(tmp_path, rows, close=True, started=started)
    started.wait()
    items = list(StreamReader(tmp_path).follow(poll_interval=0.005, timeout=120))
    thread.join()
    assert [item.data for item in items] == rows
    assert [item.line for item in items] == list(range(200))


def test_follow_ends_when_stop_returns_true_and_nothing_new_is_committed(
    tmp_path: Path, make_rows: RowsFactory
) -> None:
    rows = make_rows(50)
    done = threading.Event()
    thread = _write_in_thread(tmp_path, rows, close=False, started=threading.Event())
    thread.join()
    done.set()
    reader = StreamReader(tmp_path / "missing-until-now")
    assert list(reader.follow(stop=done.is_set, poll_interval=0.005)) == []
    items = list(StreamReader(tmp_path).follow(stop=done.is_set, poll_interval=0.005))
    assert [item.data for item in items] == rows


def test_follow_yields_lines_committed_just_before_stop(tmp_path: Path) -> None:
    writer = StreamWriter(tmp_path)
    writer.write_lines([b"1"])
    writer.commit()
    follower = StreamReader(tmp_path).follow(stop=lambda: True, poll_interval=0.005)
    assert next(follower).data == b"1"
    writer.write_lines([b"2"])
    writer.commit()
    assert [item.data for item in follower] == [b"2"]


def test_follow_resumes_from_the_line_after_the_last_one_seen(
    tmp_path: Path, make_rows: RowsFactory
) -> None:
    rows = make_rows(40)
    writer = StreamWriter(tmp_path, part_max_bytes=300)
    writer.write_lines(rows)
    writer.close()
    seen = []
    for item in StreamReader(tmp_path).follow():
        seen.append(item)
        if len(seen) == 13:
            break
    rest = list(StreamReader(tmp_path).follow(start_line=seen[-1].line + 1))
    assert [item.data for item in seen + rest] == rows


def test_follow_raises_timeout_error_when_no_line_comes(tmp_path: Path) -> None:
    writer = StreamWriter(tmp_path)
    writer.write_lines([b"1"])
    writer.commit()
    follower = StreamReader(tmp_path).follow(poll_interval=0.001, timeout=0.02)
    assert next(follower).data == b"1"
    with pytest.raises(TimeoutError, match="no new line"):
        next(follower)


def test_follow_past_the_end_of_a_complete_stream_raises_value_error(tmp_path: Path) -> None:
    writer = StreamWriter(tmp_path)
    writer.write_lines([b"1"])
    writer.close()
    assert list(StreamReader(tmp_path).follow(start_line=1)) == []
    with pytest.raises(ValueError, match="line 2 is out of range"):
        list(StreamReader(tmp_path).follow(start_line=2))
    with pytest.raises(ValueError, match="line -1 is out of range"):
        StreamReader(tmp_path).follow(start_line=-1)
