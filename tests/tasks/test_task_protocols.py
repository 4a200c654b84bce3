"""The task manager and runner depend on the ExportSource and TaskStore protocols only."""

from __future__ import annotations

import inspect
from collections import Counter
from pathlib import Path
from typing import Any

import attrs
import pytest

import rowport
from rowport.catalog import (
    FINAL_STATUSES,
    ExportSource,
    SQLiteExportSource,
    SQLiteTaskStore,
    TaskRecord,
    TaskStatus,
    TaskStore,
)
from rowport.request import ExportKind, build_request
from rowport.streams import StreamReader
from rowport.tasks import TaskManager


def _protocol_methods(protocol: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(protocol).items()
        if callable(member) and not name.startswith("_")
    }


@pytest.mark.parametrize(
    ("protocol", "store"), [(ExportSource, SQLiteExportSource), (TaskStore, SQLiteTaskStore)]
)
def test_the_sqlite_stores_implement_every_protocol_method_with_its_parameters(
    protocol: type, store: type
) -> None:
    for name, signature in _protocol_methods(protocol).items():
        assert hasattr(store, name), f"{store.__name__} lacks {name}"
        assert list(inspect.signature(getattr(store, name)).parameters) == list(
            signature.parameters
        ), name


def test_the_protocols_stay_small() -> None:
    assert len(_protocol_methods(TaskStore)) <= 8
    assert len(_protocol_methods(ExportSource)) <= 13


def test_task_statuses_are_the_reference_strings_and_one_final_set() -> None:
    assert [s.value for s in TaskStatus] == [
        "IN_PROGRESS",
        "CANCELLING",
        "COMPLETE",
        "FAILED",
        "CANCELED",
    ]
    assert {s for s in TaskStatus if s.is_final} == FINAL_STATUSES
    assert f"{TaskStatus.COMPLETE}" == str(TaskStatus.COMPLETE) == "COMPLETE"


class CountingSource:
    """An ExportSource that is not the catalog's: it delegates and counts every call."""

    def __init__(self, inner: ExportSource) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        real = getattr(self.inner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return real(*args, **kwargs)

        return counted


def _lines(directory: Path) -> list[bytes]:
    return [line.data for line in StreamReader(directory).iter_lines(0)]


def test_a_manager_runs_an_export_through_any_export_source_and_task_store(
    client: rowport.Client, home: dict[str, Any], tmp_path: Path
) -> None:
    params = {"project_details": True, "label_details": True, "attachments": True}
    expected = client.get_project(home["project"]).export(params=params)
    expected.wait_till_done(timeout_seconds=60)
    source = CountingSource(client.catalog.reads)
    manager = TaskManager(client.catalog.tasks, source, tmp_path / "tasks", catalog=client.catalog)
    try:
        request = build_request(ExportKind.PROJECT, scope_ids=(home["project"],), params=params)
        task = manager.start(request)
        task.wait_till_done(timeout_seconds=60)
        assert task.status is TaskStatus.COMPLETE
        assert _lines(manager.stream_dir(task.uid, "result")) == _lines(
            client._tasks.stream_dir(expected.uid, "result")
        )
        assert source.calls["plan"] == 1 and source.calls["iter_batches"] == 1
        record = client.catalog.tasks.get_task(task.uid)
        assert isinstance(record, TaskRecord) and record.status is TaskStatus.COMPLETE
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            record.status = TaskStatus.FAILED  # type: ignore[misc]
    finally:
        manager.shutdown()


def test_a_manager_without_plugins_refuses_sinks_before_a_task_exists(
    client: rowport.Client, home: dict[str, Any], tmp_path: Path
) -> None:
    manager = TaskManager.for_catalog(client.catalog, tmp_path / "tasks")
    try:
        request = build_request(ExportKind.PROJECT, scope_ids=(home["project"],))
        request = attrs.evolve(
            request,
            options=attrs.evolve(request.options, sinks=({"name": "stdout", "options": {}},)),
        )
        before = [t.uid for t in client.get_tasks()]
        with pytest.raises(ValueError, match="sinks need plugins"):
            manager.start(request)
        assert [t.uid for t in client.get_tasks()] == before
    finally:
        manager.shutdown()


def test_no_task_status_string_literal_is_left_in_the_code() -> None:
    root = Path(rowport.__file__).parent
    literals = [f'"{s.value}"' for s in TaskStatus] + [f"'{s.value}'" for s in TaskStatus]
    found = [
        f"{path.relative_to(root)}: {literal}"
        for path in root.rglob("*.py")
        if path.name != "_protocols.py"
        for literal in literals
        if literal in path.read_text(encoding="utf-8")
    ]
    assert found == []


def test_a_task_record_reads_the_tasks_columns_of_its_field_names(client: rowport.Client) -> None:
    read = client.catalog.db.conn.execute("SELECT * FROM tasks LIMIT 0")
    columns = {column[0] for column in read.description}
    fields = [field.name for field in attrs.fields(TaskRecord)]
    assert set(fields) <= columns
    record = client.catalog.tasks.create_task("named", {"k": [1]})
    assert record == client.catalog.tasks.get_task(record.id)
    assert (record.status, record.metadata, record.rows_done) == (
        TaskStatus.IN_PROGRESS,
        {"k": [1]},
        0,
    )
