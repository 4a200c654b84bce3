"""Remote downloads that break: a cut connection resumes at the next byte, a killed reader
resumes at its next line, and many exports with readers at once all complete."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from server_support import READY_LIMIT, ROWS, CuttingProxy, result_reader

import rowport
from rowport import ExportTask, FileConverter, StreamType
from rowport.errors import RowportError
from rowport.tasks._remote import RETRIES


@pytest.fixture(scope="module")
def task_id(built: dict[str, Any]) -> str:
    with rowport.Client(built["home"]) as client:
        task = client.get_project(built["project"]).export()
        task.wait_till_done()
        return task.uid


@pytest.fixture
def on_disk(built: dict[str, Any], task_id: str) -> bytes:
    reader = result_reader(built["home"], task_id)
    return reader.read_range(0, reader.total_size - 1)


def through(proxy: CuttingProxy, token: str, task_id: str) -> ExportTask:
    return rowport.Client(proxy.url, api_key=token).get_task(task_id)


def test_a_cut_download_resumes_at_the_next_byte(server, token, task_id, on_disk):
    proxy = CuttingProxy(server.url, per_connection=40_000)  # every connection breaks
    try:
        task = through(proxy, token, task_id)
        lines = list(task.get_stream())
    finally:
        proxy.close()
    assert proxy.cuts >= 3
    assert b"".join(o.json_str.encode() + b"\n" for o in lines) == on_disk
    assert [o.current_line for o in lines] == list(range(ROWS))


def test_a_download_that_makes_no_progress_gives_up_naming_where(server, token, task_id):
    proxy = CuttingProxy(server.url, total=40_000)  # then nothing gets through
    try:
        task = through(proxy, token, task_id)
        with pytest.raises(RowportError, match=rf"stopped at byte \d+ of \d+ after {RETRIES}"):
            list(task.get_stream())
    finally:
        proxy.close()


def test_a_cut_event_stream_reconnects_after_the_last_line_seen(server, token, task_id, on_disk):
    proxy = CuttingProxy(server.url, per_connection=40_000)
    try:
        lines = list(through(proxy, token, task_id).stream(follow=True))
    finally:
        proxy.close()
    assert proxy.cuts >= 3
    assert [o.current_line for o in lines] == list(range(ROWS))
    assert b"".join(o.json_str.encode() + b"\n" for o in lines) == on_disk
    offsets = [o.current_offset for o in lines]
    assert offsets == [0] + [end + 1 for end in _line_ends(on_disk)[:-1]]


def _line_ends(data: bytes) -> list[int]:
    ends, start = [], 0
    while (end := data.find(b"\n", start)) != -1:
        ends.append(end)
        start = end + 1
    return ends


READER = """
import sys
import rowport
url, token, task_id, out = sys.argv[1:5]
task = rowport.Client(url, api_key=token).get_task(task_id)
with open(out, "w") as f:
    for n, output in enumerate(task.get_stream()):
        f.write(output.json_str + "\\n")
        if n == 30:
            f.flush()
            print("reading", flush=True)
            sys.stdin.readline()  # held mid-download until the test kills it
"""


def test_a_killed_reader_resumes_at_its_next_line(
    server, token, remote, task_id, on_disk, tmp_path: Path
):
    out = tmp_path / "rows.ndjson"
    process = subprocess.Popen(
        [sys.executable, "-c", READER, server.url, token, task_id, str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == b"reading"
    process.kill()
    process.wait(timeout=READY_LIMIT)
    kept = out.read_bytes()
    whole = kept[: kept.rindex(b"\n") + 1]  # the lines it wrote whole
    done = whole.count(b"\n")
    assert 0 < done < ROWS
    task = remote.get_task(task_id)
    with open(out, "r+b") as f:
        f.truncate(len(whole))
    rest = tmp_path / "rest.ndjson"
    task.get_stream(FileConverter(rest)).with_line(done).start()
    assert whole + rest.read_bytes() == on_disk


def test_sixteen_exports_with_readers_all_complete(built, remote):
    project = remote.get_project(built["project"])
    tasks = [project.export() for _ in range(16)]
    counts: dict[str, int] = {}
    problems: list[BaseException] = []

    def follow(task: ExportTask) -> None:
        try:
            counts[task.uid] = sum(1 for _ in task.stream(follow=True, timeout=READY_LIMIT))
        except BaseException as exc:  # reported by the test below
            problems.append(exc)

    readers = [threading.Thread(target=follow, args=(task,)) for task in tasks]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(timeout=600)
    assert problems == []
    assert counts == {task.uid: ROWS for task in tasks}
    for task in tasks:
        task.wait_till_done(timeout_seconds=READY_LIMIT)
        assert task.status == "COMPLETE"
        assert task.get_total_lines(StreamType.RESULT) == ROWS
