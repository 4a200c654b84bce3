"""A full disk under the tasks folder or under the catalog ends the task FAILED with the OS
message, as soon as anything can be recorded; nothing stays open or half-written."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import orjson
from liveness_support import (
    BatchCounter,
    fill,
    open_files_under,
    stream_lines,
    tmpfs,
)

import rowport

PADDING = "x" * 20_000  # per row: 450 rows make 9 MB, far past a 2 MB disk


class Inflate:
    """A step that makes every row big, so the RESULT stream outgrows a small disk."""

    needs_json = False

    def __call__(self, rows: list[dict[str, Any]], context: Any) -> tuple[list[Any], list[Any]]:
        for row in rows:
            row["padding"] = PADDING
        return rows, []


def test_a_full_tasks_disk_fails_the_task_with_the_os_message(live_home) -> None:
    tasks_dir = Path(live_home["home"]) / "tasks"
    with tmpfs(tasks_dir), rowport.Client(live_home["home"]) as client:
        client._tasks.steps = [Inflate()]
        for _ in range(3):  # again and again: no export leaves space or a descriptor held
            task = client.get_project(live_home["project"]).export()
            task.wait_till_done(timeout_seconds=120)
            assert task.status == "FAILED"
            assert "No space left on device" in (task.errors_message or "")
            errors = [orjson.loads(line) for line in stream_lines(client, task.uid, "errors")]
            assert [line["code"] for line in errors] == ["TASK_FAILED"]
            assert "No space left on device" in errors[0]["message"]
            result = tasks_dir / task.uid / "result"
            assert not [p for p in os.listdir(result) if p.endswith(".tmp")]
            assert open_files_under(tasks_dir) == []
            shutil.rmtree(tasks_dir / task.uid)
            free = os.statvfs(tasks_dir)
            assert free.f_bfree == free.f_blocks  # every byte came back


def test_an_error_before_the_first_batch_fails_the_task(live_home) -> None:
    tasks_dir = Path(live_home["home"]) / "tasks"
    with tmpfs(tasks_dir, size="64k"):
        filler = fill(tasks_dir)  # not even a manifest fits
        with rowport.Client(live_home["home"]) as client:
            task = client.get_project(live_home["project"]).export()
            task.wait_till_done(timeout_seconds=120)
            assert task.status == "FAILED"
            assert "No space left on device" in (task.errors_message or "")
            assert open_files_under(tasks_dir) == []
        filler.unlink()


def test_a_full_catalog_disk_ends_the_task_once_the_catalog_can_be_written(
    live_home, tmp_path: Path
) -> None:
    catalog_dir = tmp_path / "catalog-disk"
    step = BatchCounter()
    step.hold.set()
    with tmpfs(catalog_dir, size="8m"):
        shutil.copytree(live_home["home"], catalog_dir / "home", symlinks=True)
        shutil.rmtree(catalog_dir / "home" / "tasks", ignore_errors=True)
        (tmp_path / "tasks").mkdir()
        (catalog_dir / "home" / "tasks").symlink_to(tmp_path / "tasks")  # streams elsewhere
        with rowport.Client(catalog_dir / "home", heartbeat=0.05) as client:
            client._tasks.steps = [step]
            task = client.get_project(live_home["project"]).export()
            step.wait_entered()
            filler = fill(catalog_dir)  # the catalog's disk fills during the first batch
            step.release.set()
            done = client._tasks.done_event(task.uid)
            assert done is not None and done.wait(120)  # the runner ended...
            assert client.catalog.tasks.current_status(task.uid) == "IN_PROGRESS"  # unrecorded
            filler.unlink()  # ... and its end is recorded once the catalog can be written
            task.wait_till_done(timeout_seconds=120)
            assert task.status == "FAILED"
            assert "database or disk is full" in (task.errors_message or "")


class FillOnFinish:
    """A step that lets every batch through and fills the disk once the last one is done."""

    needs_json = False

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.filler: Path | None = None

    def __call__(self, rows: list[dict[str, Any]], context: Any) -> tuple[list[Any], list[Any]]:
        return rows, []

    def finish(self) -> None:
        self.filler = fill(self.directory)


def test_an_error_after_the_last_batch_fails_the_task(live_home) -> None:
    tasks_dir = Path(live_home["home"]) / "tasks"
    step = FillOnFinish(tasks_dir)
    with tmpfs(tasks_dir, size="8m"), rowport.Client(live_home["home"]) as client:
        client._tasks.steps = [step]
        task = client.get_project(live_home["project"]).export()
        task.wait_till_done(timeout_seconds=120)
        assert task.status == "FAILED"  # closing the streams found the disk full
        assert "No space left on device" in (task.errors_message or "")
        assert open_files_under(tasks_dir) == []
        assert step.filler is not None
        step.filler.unlink()
