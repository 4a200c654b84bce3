"""Readers never wait on an import: WAL reads, and opening a catalog takes no write lock."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import orjson
from ingest_rows import labelled_row

from rowport import Client
from rowport.catalog import IngestProgress

WAIT = 120.0  # generous: a reader that waited on the writer would fail long before this


def _file(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def test_a_catalog_opens_and_reads_while_another_connection_holds_the_write_lock(
    tmp_path: Path,
) -> None:
    row = labelled_row(0)
    with Client(tmp_path / "home") as first:
        first.import_rows([row])
    writer = sqlite3.connect(tmp_path / "home" / "catalog.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with Client(tmp_path / "home") as reader:
            assert reader.get_tasks() == []
            assert reader.get_data_row(row["data_row"]["id"]).uid == row["data_row"]["id"]
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_readers_proceed_while_a_strict_import_is_writing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    seeded = labelled_row(0)
    with Client(home) as client:
        client.import_rows([seeded])
    path = _file(tmp_path / "rows.ndjson", [labelled_row(i) for i in range(1, 7)])
    writing, read = threading.Event(), threading.Event()
    seen: dict[str, Any] = {}

    def progress(p: IngestProgress) -> None:
        if p.phase == "write" and not writing.is_set():
            writing.set()  # the strict write transaction is open now
            assert read.wait(WAIT)

    def reader() -> None:
        try:
            assert writing.wait(WAIT)
            with Client(home) as other:
                seen["tasks"] = other.get_tasks()
                seen["row"] = other.get_data_row(seeded["data_row"]["id"]).uid
                seen["rows"] = len(other.get_datasets()[0].data_rows())
        finally:
            read.set()

    thread = threading.Thread(target=reader)
    thread.start()
    with Client(home) as client:
        report = client.import_file(path, strict=True, batch_size=2, progress=progress)
    thread.join(WAIT)
    assert report.loaded == 6
    assert seen == {"tasks": [], "row": seeded["data_row"]["id"], "rows": 1}


def test_an_export_runs_between_the_batches_of_an_import(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = _file(tmp_path / "rows.ndjson", [labelled_row(i) for i in range(6)])
    exported: list[int] = []

    def progress(p: IngestProgress) -> None:
        if not exported:
            with Client(home) as other:
                task = other.get_catalog().export()
                task.wait_till_done(timeout_seconds=WAIT)
                exported.append(sum(1 for _ in task.get_buffered_stream()))

    with Client(home) as client:
        report = client.import_file(path, batch_size=2, progress=progress)
    assert report.loaded == 6
    assert exported == [2]
