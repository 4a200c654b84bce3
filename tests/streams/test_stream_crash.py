"""Crash safety: leftovers of a crash are ignored by readers and cleaned by StreamWriter.open."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

import rowport
from rowport.streams import StreamReader, StreamWriter
from rowport.streams._storage import StreamPlace, open_storage

RowsFactory = Callable[..., list[bytes]]

_WRITER_SCRIPT = """
import sys
from pathlib import Path
from rowport.streams import StreamWriter

writer = StreamWriter(Path(sys.argv[1]), part_max_bytes=8192, commit_interval=0.0)
pad = "x" * 150
n = 0
while True:
    batch = [('{"n":%d,"pad":"%s"}' % (n + i, pad)).encode() for i in range(7)]
    writer.write_lines(batch)
    writer.maybe_commit()
    n += 7
"""


def test_stale_temp_and_unlisted_parts_are_ignored_then_cleaned_by_open(
    place: StreamPlace, make_rows: RowsFactory
) -> None:
    rows = make_rows(30)
    storage = open_storage(place)
    writer = StreamWriter(place, part_max_bytes=400)
    writer.write_lines(rows[:10])
    writer.commit()
    committed = writer.manifest
    next_index = committed.parts[-1].index + 1
    # What a crash leaves: a half-written temp part, and a renamed part the manifest missed.
    # (On object storage a PUT is whole or absent: only the unlisted part can be left there.)
    storage.put(f".part-{next_index + 1:06d}.ndjson.tmp", b'{"torn": tr')
    storage.put(f"part-{next_index:06d}.ndjson", b'{"orphan":1}\n')
    storage.put(f"part-{next_index:06d}.idx", bytes(8))
    storage.put(".manifest.json.tmp", b'{"version": 1, "compl')

    reader = StreamReader(place)
    assert reader.manifest == committed
    assert [item.data for item in reader.iter_lines()] == rows[:10]

    resumed = StreamWriter.open(place, part_max_bytes=400)
    leftovers = [name for name in storage.names() if name.endswith(".tmp")]
    assert leftovers == []
    assert f"part-{next_index:06d}.ndjson" not in storage.names()
    resumed.write_lines(rows[10:])
    resumed.close()
    reader = StreamReader(place)
    assert [item.data for item in reader.iter_lines()] == rows
    assert reader.verify() == []
    listed = {name for part in reader.manifest.parts for name in (part.file, part.index_file)}
    assert set(storage.names()) == listed | {"manifest.json"}


def test_manifest_is_replaced_without_leaving_a_temp_file(tmp_path: Path) -> None:
    writer = StreamWriter(tmp_path)
    for i in range(5):
        writer.write_lines([b"%d" % i])
        writer.commit()
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
        assert orjson.loads((tmp_path / "manifest.json").read_bytes())["total_lines"] == i + 1


def test_writer_killed_mid_write_leaves_only_whole_committed_lines(tmp_path: Path) -> None:
    directory = tmp_path / "result"
    env = dict(os.environ, PYTHONPATH=str(Path(rowport.__file__).parents[1]))
    process = subprocess.Popen([sys.executable, "-c", _WRITER_SCRIPT, str(directory)], env=env)
    try:
        deadline = time.monotonic() + 60
        while len(StreamReader(directory).manifest.parts) < 2:
            assert process.poll() is None, "the writer exited early"
            assert time.monotonic() < deadline, "the writer committed nothing in 60 s"
            time.sleep(0.01)
        time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()

    reader = StreamReader(directory)
    assert not reader.complete and len(reader.manifest.parts) >= 2
    assert [orjson.loads(item.data)["n"] for item in reader.iter_lines()] == list(
        range(reader.total_lines)
    )
    assert reader.verify() == []

    resumed = StreamWriter.open(directory)
    assert not [p for p in directory.iterdir() if p.name.endswith(".tmp")]
    resumed.write_lines([b'{"n":%d}' % reader.total_lines])
    resumed.close()
    reader = StreamReader(directory)
    assert reader.verify() == []
    assert [orjson.loads(item.data)["n"] for item in reader.iter_lines()] == list(
        range(reader.total_lines)
    )
