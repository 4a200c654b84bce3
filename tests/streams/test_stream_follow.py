"""StreamReader.follow: lines committed by a running writer, stop(), resume and timeout."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from rowport.streams import StreamReader, StreamWriter
from rowport.streams._storage import StreamPlace, join_place

RowsFactory = Callable[..., list[bytes]]


def _write_in_thread(
    directory: StreamPlace, rows: list[bytes], *, close: bool, started: threading.Event
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
    place: StreamPlace, make_rows: RowsFactory
) -> None:
    rows = make_rows(200)
    started = threading.Event()
    thread = _write_in_thread(place, rows, close=True, started=started)
    started.wait()
    items = list(StreamReader(place).follow(poll_interval=0.005, timeout=120))
    thread.join()
    assert [item.data for item in items] == rows
    assert [item.line for item in items] == list(range(200))


def test_follow_ends_when_stop_returns_true_and_nothing_new_is_committed(
    place: StreamPlace, make_rows: RowsFactory
) -> None:
    rows = make_rows(50)
    done = threading.Event()
    thread = _write_in_thread(place, rows, close=False, started=threading.Event())
    thread.join()
    done.set()
    reader = StreamReader(join_place(place, "missing-until-now"))
    assert list(reader.follow(stop=done.is_set, poll_interval=0.005)) == []
    items = list(StreamReader(place).follow(stop=done.is_set, poll_interval=0.005))
    assert [item.data for item in items] == rows


def test_follow_yields_lines_committed_just_before_stop(place: StreamPlace) -> None:
    writer = StreamWriter(place)
    writer.write_lines([b"1"])
    writer.commit()
    follower = StreamReader(place).follow(stop=lambda: True, poll_interval=0.005)
    assert next(follower).data == b"1"
    writer.write_lines([b"2"])
    writer.commit()
    assert [item.data for item in follower] == [b"2"]


def test_follow_resumes_from_the_line_after_the_last_one_seen(
    place: StreamPlace, make_rows: RowsFactory
) -> None:
    rows = make_rows(40)
    writer = StreamWriter(place, part_max_bytes=300)
    writer.write_lines(rows)
    writer.close()
    seen = []
    for item in StreamReader(place).follow():
        seen.append(item)
        if len(seen) == 13:
            break
    rest = list(StreamReader(place).follow(start_line=seen[-1].line + 1))
    assert [item.data for item in seen + rest] == rows


def test_follow_raises_timeout_error_when_no_line_comes(place: StreamPlace) -> None:
    writer = StreamWriter(place)
    writer.write_lines([b"1"])
    writer.commit()
    follower = StreamReader(place).follow(poll_interval=0.001, timeout=0.02)
    assert next(follower).data == b"1"
    with pytest.raises(TimeoutError, match="no new line"):
        next(follower)


def test_follow_past_the_end_of_a_complete_stream_raises_value_error(place: StreamPlace) -> None:
    writer = StreamWriter(place)
    writer.write_lines([b"1"])
    writer.close()
    assert list(StreamReader(place).follow(start_line=1)) == []
    with pytest.raises(ValueError, match="line 2 is out of range"):
        list(StreamReader(place).follow(start_line=2))
    with pytest.raises(ValueError, match="line -1 is out of range"):
        StreamReader(place).follow(start_line=-1)
