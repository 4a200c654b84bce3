"""The storage seam: places, ``ROWPORT_STORAGE_URL`` and ``check_storage`` (rowport doctor)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from rowport.errors import InvalidInput
from rowport.streams import LocalStorage, ObjectStorage, check_storage, open_storage
from rowport.streams._storage import STORAGE_URL_VARIABLE, join_place, storage_root


def test_places_open_the_storage_they_name(tmp_path: Path, s3_url: str) -> None:
    assert open_storage(tmp_path) == LocalStorage(tmp_path)
    assert open_storage(str(tmp_path)) == LocalStorage(tmp_path)
    s3 = open_storage(s3_url)
    assert isinstance(s3, ObjectStorage) and s3.location == s3_url
    assert join_place(s3_url, "t", "result") == f"{s3_url}/t/result"
    assert join_place(tmp_path, "t", "result") == tmp_path / "t" / "result"
    for bad, says in [("gs://b/p", "scheme 'gs'"), ("s3://", "names no bucket")]:
        with pytest.raises(InvalidInput, match=says):
            open_storage(bad)


def test_the_storage_url_variable_chooses_where_streams_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(STORAGE_URL_VARIABLE, raising=False)
    assert storage_root(tmp_path) == tmp_path
    monkeypatch.setenv(STORAGE_URL_VARIABLE, "s3://exports/x")
    assert storage_root(tmp_path) == "s3://exports/x"
    monkeypatch.setenv(STORAGE_URL_VARIABLE, str(tmp_path / "elsewhere"))
    assert storage_root(tmp_path) == tmp_path / "elsewhere"
    monkeypatch.setenv(STORAGE_URL_VARIABLE, "ftp://host/x")
    with pytest.raises(InvalidInput, match="s3://bucket/prefix"):
        storage_root(tmp_path)


def test_check_storage_on_local_disk_and_on_s3(tmp_path: Path, s3_url: str) -> None:
    local = check_storage(tmp_path / "tasks")
    assert (local.kind, local.ok, local.problem) == ("local", True, None)
    s3 = check_storage(s3_url)
    assert (s3.kind, s3.reachable, s3.bucket_exists, s3.writable) == ("s3", True, True, True)
    assert s3.ok and s3.to_dict()["ok"] is True
    assert open_storage(s3_url).names() == []  # the probe object is gone


def test_check_storage_says_what_is_wrong(s3_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = check_storage("s3://no-such-bucket/p")
    assert missing.reachable and not missing.bucket_exists and not missing.ok
    assert "bucket 'no-such-bucket' does not exist" in (missing.problem or "")
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("ROWPORT_S3_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    down = check_storage(s3_url)
    assert not down.reachable and not down.ok
    assert f"127.0.0.1:{port}" in (down.problem or "") and "running" in (down.problem or "")
