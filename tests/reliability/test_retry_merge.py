"""Retrying the rows that have ERRORS lines, and merging the retry into the original stream."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from reliability_support import WAIT_LIMIT, stream_bytes

import rowport
from rowport.cli import main
from rowport.errors import InvalidInput
from rowport.export import problem


class DropBroken:
    """A step that drops the rows in ``broken`` with a problem line (until it is fixed)."""

    needs_json = False

    def __init__(self, broken: set[str]) -> None:
        self.broken = broken

    def __call__(self, rows: list[dict[str, Any]], context: Any) -> tuple[list[Any], list[Any]]:
        kept, problems = [], []
        for row in rows:
            row_id = row["data_row"]["id"]
            if row_id in self.broken:
                problems.append(problem("BROKEN", "broken", data_row={"id": row_id}))
            else:
                kept.append(row)
        return kept, problems


def _export(client: rowport.Client, project: str) -> rowport.ExportTask:
    task = client.get_project(project).export()
    task.wait_till_done(timeout_seconds=WAIT_LIMIT)
    assert task.status == "COMPLETE"
    return task


@pytest.fixture
def retried(client: rowport.Client, home: dict[str, Any]) -> dict[str, Any]:
    ids = home["ids"]["data_rows"]
    broken = {ids[5], ids[150], ids[151], ids[1999]}
    step = DropBroken(set(broken))
    client._tasks.steps = [step]
    clean = stream_bytes(client.home / "tasks" / _export(client, home["project"]).uid / "result")
    step.broken = set()
    whole = _export(client, home["project"])  # what an export of the fixed pipeline writes
    step.broken = set(broken)
    first = _export(client, home["project"])
    step.broken = set()  # the plugin was fixed
    retry = first.retry_failed()
    retry.wait_till_done(timeout_seconds=WAIT_LIMIT)
    assert retry.status == "COMPLETE"
    expected = stream_bytes(client.home / "tasks" / whole.uid / "result")
    assert clean != expected
    return {"first": first, "retry": retry, "broken": broken, "ids": ids, "expected": expected}


def test_a_retry_exports_exactly_the_failed_rows_and_is_linked(retried, client):
    first, retry = retried["first"], retried["retry"]
    rows = [
        orjson.loads(line)
        for line in stream_bytes(client.home / "tasks" / retry.uid / "result").splitlines()
    ]
    in_order = [i for i in retried["ids"] if i in retried["broken"]]
    assert [row["data_row"]["id"] for row in rows] == in_order
    assert retry.retry_of == first.uid and first.retries == [retry.uid]
    assert retry.metadata["retry_rows"] == in_order
    assert not retry.has_errors()


def test_merge_writes_the_stream_an_export_without_failures_writes(retried, client, home, tmp_path):
    first = retried["first"]
    merged = b"".join(line + b"\n" for line in first.merged())
    assert merged == retried["expected"]
    client.close()
    out = tmp_path / "merged.ndjson"
    result = CliRunner().invoke(
        main, ["--home", str(home["home"]), "tasks", "merge", first.uid, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == retried["expected"]


def test_merge_refuses_a_task_that_is_no_retry(retried):
    first = retried["first"]
    with pytest.raises(InvalidInput, match="is not a retry of task"):
        first.merged(first.uid)


def test_the_cli_retries_and_a_task_without_row_errors_is_refused(client, home):
    client._tasks.steps = []
    task = _export(client, home["project"])
    with pytest.raises(InvalidInput, match="nothing to retry"):
        task.retry_failed()
    client._tasks.steps = [DropBroken({home["ids"]["data_rows"][7]})]
    failing = _export(client, home["project"])
    client.close()
    result = CliRunner().invoke(main, ["--home", str(home["home"]), "tasks", "retry", failing.uid])
    assert result.exit_code == 0, result.output
    assert f"retries the failed rows of task {failing.uid}" in result.output
    assert "COMPLETE: 1 row" in result.output
