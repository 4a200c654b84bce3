"""The SDK endpoint on object storage: ``rowport serve`` with ``ROWPORT_STORAGE_URL=s3://...``
hands out presigned URLs of the part objects (the bytes come from SeaweedFS, not rowport), each
exactly the chunk it names, and the reference SDK reads its export through them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from graphql_support import Org
from test_graphql import _project_input, _wait
from test_sdk import _native, _rows, _run, sdk_python  # noqa: F401  (a fixture)

from rowport.client import Client
from rowport.streams import StreamReader
from rowport.streams._storage import STORAGE_URL_VARIABLE
from rowport.testing import RowportServer, build_catalog, start_server


@pytest.fixture(scope="module")
def s3_server(
    tmp_path_factory: pytest.TempPathFactory, seaweed: Any
) -> Iterator[tuple[RowportServer, str]]:
    """``rowport serve`` whose streams go to a fresh prefix on the session's SeaweedFS."""
    url = f"s3://exports/gql-{uuid.uuid4().hex[:12]}"
    env = {**seaweed.env(), STORAGE_URL_VARIABLE: url}
    served = start_server(tmp_path_factory.mktemp("graphql-s3") / "home", env=env)
    try:
        yield served, url
    finally:
        served.stop()


@pytest.fixture
def s3_org(s3_server: tuple[RowportServer, str], seaweed: Any) -> Iterator[Org]:
    server, _ = s3_server
    token = server.create_key("sdk", organization="gqls3")
    with Client(server.url, api_key=token) as client:
        made = build_catalog(client, rows=4)
        endpoint = server.url.split("/api/v1")[0] + "/graphql"
        yield Org(token=token, organization="gqls3", client=client, made=made, endpoint=endpoint)


def test_file_urls_are_presigned_urls_of_the_part_objects(
    s3_org: Org, s3_server: tuple[RowportServer, str], seaweed: Any, monkeypatch: Any
) -> None:
    org = s3_org
    started = org.data("exportDataRowsInProjectPyApi", _project_input(org.made["project"], []))
    task_id = started["exportDataRowsInProject"]["taskId"]
    assert _wait(org, task_id)["status"] == "COMPLETE"
    for name, value in seaweed.env().items():
        monkeypatch.setenv(name, value)
    stream = StreamReader(f"{s3_server[1]}/{task_id}/result")
    assert stream.total_lines == 4
    cursor, got = 0, b""
    while cursor < stream.total_size:
        info = org.data(
            "GetExportFileFromOffsetPyApi",
            {"where": {"id": task_id}, "streamType": "RESULT", "offset": str(cursor)},
        )["task"]["exportFileFromOffset"]
        start, end = int(info["offsets"]["start"]), int(info["offsets"]["end"])
        assert info["file"].startswith(seaweed.endpoint + "/exports/")  # not rowport's
        body = requests.get(info["file"], timeout=30)  # a plain GET, as the SDK sends
        assert body.status_code == 200
        assert len(body.content) == end - start + 1 and body.content.endswith(b"\n")
        assert body.content == stream.read_range(start, end)
        got += body.content
        cursor = end + 1
    assert got == stream.read_range(0, stream.total_size - 1)


def test_the_reference_sdk_exports_through_presigned_urls(
    sdk_python: Path,  # noqa: F811
    s3_org: Org,
) -> None:
    made = s3_org.made
    done = _run(
        sdk_python,
        "project_export.py",
        s3_org.token,
        s3_org.endpoint,
        made["project"],
        "global_keys",
        made["global_keys"][2],
    )
    rows = _rows(done)
    assert [r["data_row"]["id"] for r in rows] == [made["data_rows"][2]]
    assert rows == _native(s3_org)
