"""The stream routes over a real server: header, parts with HTTP Range, content, events, and
what they refuse (bad ranges, unknown names, paths out of the task's folder, other keys)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import requests
from batch_gate import Gate
from server_support import ROWS, events, result_reader

import rowport
from rowport import ExportTask
from rowport.streams import StreamReader
from rowport.testing import RowportServer


@pytest.fixture(scope="module")
def task_id(built: dict[str, Any]) -> str:
    with rowport.Client(built["home"]) as client:
        task = client.get_project(built["project"]).export()
        task.wait_till_done()
        assert task.status == "COMPLETE"
        return task.uid


@pytest.fixture
def reader(built: dict[str, Any], task_id: str) -> StreamReader:
    return result_reader(built["home"], task_id)


@pytest.fixture
def http(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def url(server: RowportServer, task_id: str, rest: str = "", stream: str = "result") -> str:
    return f"{server.url}/api/v1/tasks/{task_id}/streams/{stream}{rest}"


def error(response: requests.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = orjson.loads(response.content)["error"]
    return body


def test_the_header_describes_the_stream(server, http, task_id, reader):
    body = http.get(url(server, task_id)).json()
    assert body["status"] == "COMPLETE" and body["complete"] is True
    assert (body["total_size"], body["total_lines"]) == (reader.total_size, ROWS)
    assert [p["sha256"] for p in body["parts"]] == [p.sha256 for p in reader.manifest.parts]


def test_a_part_is_served_whole_and_by_range(server, http, task_id, reader):
    part = reader.manifest.parts[1]
    data = reader.storage.read(part.file)
    whole = http.get(url(server, task_id, "/parts/1"))
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes"
    ranged = http.get(url(server, task_id, "/parts/1"), headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206 and ranged.content == data[10:20]
    assert ranged.headers["content-range"] == f"bytes 10-19/{len(data)}"
    suffix = http.get(url(server, task_id, "/parts/1"), headers={"Range": "bytes=-7"})
    assert suffix.status_code == 206 and suffix.content == data[-7:]
    head = http.head(url(server, task_id, "/parts/1"), headers={"Range": "bytes=5-"})
    assert head.status_code == 206 and head.content == b""
    assert head.headers["content-length"] == str(len(data) - 5)


def test_a_part_answers_multi_range_and_if_range(server, http, task_id, reader):
    part = reader.manifest.parts[0]
    data = reader.storage.read(part.file)
    multi = http.get(url(server, task_id, "/parts/0"), headers={"Range": "bytes=0-4,100-109"})
    assert multi.status_code == 206
    assert multi.headers["content-type"].startswith("multipart/byteranges")
    assert data[0:5] in multi.content and data[100:110] in multi.content
    etag = multi.headers["etag"]
    same = http.get(
        url(server, task_id, "/parts/0"), headers={"Range": "bytes=0-4", "If-Range": etag}
    )
    assert same.status_code == 206 and same.content == data[:5]
    stale = http.get(
        url(server, task_id, "/parts/0"), headers={"Range": "bytes=0-4", "If-Range": '"stale"'}
    )
    assert stale.status_code == 200 and stale.content == data


def test_a_multi_range_body_is_well_formed_with_overlaps_merged(server, http, task_id, reader):
    part = reader.manifest.parts[0]
    data = reader.storage.read(part.file)
    asked = {"Range": "bytes=100-109,0-4,3-7"}
    multi = http.get(url(server, task_id, "/parts/0"), headers=asked)
    boundary = multi.headers["content-type"].partition("boundary=")[2]
    assert int(multi.headers["content-length"]) == len(multi.content)
    pieces = multi.content.split(f"--{boundary}".encode())
    assert pieces[0] == b"" and pieces[-1] == b"--"
    ranges = []
    for piece in pieces[1:-1]:
        head, _, body = piece.partition(b"\r\n\r\n")
        assert b"Content-Type: application/x-ndjson" in head and body.endswith(b"\r\n")
        first, last = head.rpartition(b"bytes ")[2].split(b"/")[0].split(b"-")
        ranges.append((int(first), int(last)))
        assert body[:-2] == data[int(first) : int(last) + 1]
    assert ranges == [(0, 7), (100, 109)]
    head = http.head(url(server, task_id, "/parts/0"), headers=asked)
    assert head.status_code == 206 and head.content == b""
    assert head.headers["content-length"] == multi.headers["content-length"]


def test_a_range_past_the_end_of_a_part_is_416_json(server, http, task_id, reader):
    size = reader.manifest.parts[0].size
    response = http.get(url(server, task_id, "/parts/0"), headers={"Range": f"bytes={size}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"
    assert error(response)["code"] == "range_not_satisfiable"


def test_content_reads_from_a_line_an_offset_or_a_range(server, http, task_id, reader):
    data = reader.read_range(0, reader.total_size - 1)
    start = next(reader.iter_lines(100)).offset
    by_line = http.get(url(server, task_id, "/content"), params={"line": 100})
    assert by_line.status_code == 200 and by_line.content == data[start:]
    assert (by_line.headers["x-rowport-offset"], by_line.headers["x-rowport-line"]) == (
        str(start),
        "100",
    )
    by_offset = http.get(url(server, task_id, "/content"), params={"offset": start + 3})
    assert by_offset.content == data[start + 3 :]
    assert by_offset.headers["x-rowport-line"] == "100"
    ranged = http.get(url(server, task_id, "/content"), headers={"Range": f"bytes={start}-"})
    assert ranged.status_code == 206 and ranged.content == data[start:]
    suffix = http.get(url(server, task_id, "/content"), headers={"Range": "bytes=-10"})
    assert suffix.status_code == 206 and suffix.content == data[-10:]
    assert suffix.headers["content-range"] == f"bytes {len(data) - 10}-{len(data) - 1}/{len(data)}"


@pytest.mark.parametrize(
    ("query", "headers", "status", "says"),
    [
        ({"line": ROWS}, {}, 400, f"line {ROWS} is out of range"),
        ({"offset": "-3"}, {}, 400, "offset must be a whole number"),
        ({"line": 1, "offset": 2}, {}, 400, "give one of offset, line and Range"),
        ({}, {"Range": "bytes=999999999-"}, 416, "outside the stream"),
        ({}, {"Range": "bytes=0-1,5-6"}, 400, "use /parts/{index} for multi-range"),
        ({}, {"Range": "lines=0-1"}, 400, "is not one byte range"),
    ],
)
def test_content_refuses_what_it_cannot_serve(server, http, task_id, query, headers, status, says):
    response = http.get(url(server, task_id, "/content"), params=query, headers=headers)
    assert response.status_code == status
    assert says in error(response)["message"]


@pytest.mark.parametrize(
    ("task", "stream", "rest"),
    [
        ("%2E%2E", "result", ""),
        ("{task}", "%2E%2E", "/content"),
        ("{task}", "%2E%2E%2F%2E%2E", "/content"),
        ("{task}", "manifest.json", ""),
        ("{task}", "RESULTS", ""),
        ("{task}", "result", "/parts/999"),
        ("{task}", "result", "/parts/..%2F..%2Fcatalog.db"),
        ("{task}", "result%2F..%2F..", "/parts/0"),
        ("..%2F..%2Fcatalog.db", "result", "/content"),
        ("cxxxxxxxxxxxxxxxxxxxxxxxx", "result", "/content"),
    ],
)
def test_no_id_or_name_reaches_outside_the_task(server, http, task_id, task, stream, rest):
    # encoded dots and slashes: requests would normalize plain ones away before sending
    response = http.get(url(server, task.format(task=task_id), rest, stream=stream))
    assert response.status_code in (400, 404)
    assert error(response)["code"] in ("not_found", "invalid_input")


def test_another_organizations_key_sees_no_such_task(server, task_id):
    token = server.create_key("other", organization="other-org")
    response = requests.get(
        url(server, task_id, "/content"), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_events_resume_after_the_last_event_id(server, http, task_id, reader):
    with http.get(url(server, task_id, "/events"), stream=True) as response:
        first = []
        for name, event_id, data in events(response):
            if name == "open":
                assert orjson.loads(data)["line"] == 0
            if name == "row":
                first.append((int(event_id), data))
            if len(first) == 50:
                break
    with http.get(
        url(server, task_id, "/events"), headers={"Last-Event-ID": "49"}, stream=True
    ) as response:
        seen = list(events(response))
    names = [name for name, _, _ in seen]
    assert names[0] == "open" and names[-1] == "end"
    rest = [(int(i), data) for name, i, data in seen if name == "row"]
    assert first + rest == [(line.line, line.data) for line in reader.iter_lines(0)]
    end = orjson.loads(seen[-1][2])
    assert end["status"] == "COMPLETE" and end["line"] == ROWS


def test_events_follow_a_running_export_to_its_end(built, server, http):
    gate = Gate()
    with rowport.Client(built["home"]) as client:
        client._tasks.steps = [gate]
        task: ExportTask = client.get_project(built["project"]).export()
        gate.wait_entered()
        with http.get(url(server, task.uid, "/events"), stream=True) as response:
            seen = events(response)
            assert next(seen)[0] == "open"
            gate.let_through(10)
            rows, names = 0, []
            for name, _, data in seen:
                names.append(name)
                rows += name == "row"
                if name == "end":
                    assert orjson.loads(data)["line"] == ROWS
        task.wait_till_done()
    assert rows == ROWS and names[-1] == "end"


@pytest.mark.parametrize(
    ("given", "status", "says"),
    [
        ("bytes=abc", 400, "a part takes Range: bytes=a-b"),
        ("items=0-1", 400, "a part takes Range: bytes=a-b"),
        ("bytes=-0", 416, "outside the part's"),
    ],
)
def test_a_part_refuses_a_bad_range_saying_what_it_takes(
    server, http, task_id, given, status, says
):
    response = http.get(url(server, task_id, "/parts/0"), headers={"Range": given})
    assert response.status_code == status
    assert says in error(response)["message"]
