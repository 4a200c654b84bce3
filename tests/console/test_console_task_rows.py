"""The tasks page's rows as its event stream looks at them again and again: an ended task's
stream totals are read once per page, not at every look."""

from __future__ import annotations

from pathlib import Path

from rowport.client import Client
from rowport.server.console._task_list import TaskRows
from rowport.streams._manifest import MANIFEST_NAME
from rowport.testing import build_catalog


def test_an_ended_task_s_totals_are_read_once_per_page(tmp_path: Path) -> None:
    with Client(tmp_path / "home") as client:
        ids = build_catalog(client, rows=20)
        task = client.get_project(ids["project"]).export(task_name="done")
        task.wait_till_done()
        rows = TaskRows()
        assert [(r["name"], r["result_lines"]) for r in rows.look(client)] == [("done", 20)]
        manifest = Path(client._tasks.stream_dir(task.uid, "result")) / MANIFEST_NAME
        manifest.unlink()  # reading the totals again would now find none
        assert rows.look(client)[0]["result_lines"] == 20
        assert TaskRows().look(client)[0]["result_lines"] == 0  # a new page reads them


def test_the_rows_are_filtered_by_status_and_kind(tmp_path: Path) -> None:
    with Client(tmp_path / "home") as client:
        ids = build_catalog(client, rows=5)
        client.get_project(ids["project"]).export().wait_till_done()
        assert len(TaskRows(status="COMPLETE", kind="project").look(client)) == 1
        assert TaskRows(status="FAILED").look(client) == []
        assert TaskRows(kind="dataset").look(client) == []
