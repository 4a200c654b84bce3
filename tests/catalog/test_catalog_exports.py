"""Every ``export()`` builds the right request and hands it to the task manager."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from rowport.client import Client
from rowport.entities import DataRow, Dataset, Project
from rowport.errors import InvalidExportRequest, RowportError
from rowport.request import ExportKind, ExportRequest


@attrs.define
class RecordingTasks:
    """Stands in for the task manager: records what it was asked to start."""

    started: list[tuple[ExportRequest, bool]] = attrs.field(factory=list)

    def start(self, request: ExportRequest, *, client: Any, legacy: bool = False) -> str:
        self.started.append((request, legacy))
        return f"task-{len(self.started)}"

    def shutdown(self, *, wait: bool = True) -> None:
        pass


@pytest.fixture
def recorded(client: Client, monkeypatch: pytest.MonkeyPatch) -> RecordingTasks:
    """Swap the client's task manager for a recorder."""
    real = client._tasks
    fake = RecordingTasks()
    monkeypatch.setattr(client, "_tasks", fake)
    real.shutdown(wait=True)
    return fake


def _only(recorded: RecordingTasks) -> tuple[ExportRequest, bool]:
    assert len(recorded.started) == 1
    return recorded.started[0]


def test_project_export_is_a_project_request(queued: Project, recorded: RecordingTasks) -> None:
    queued.export(task_name="mine", params={"label_details": True})
    request, legacy = _only(recorded)
    assert (request.kind, request.scope_ids, request.task_name) == (
        ExportKind.PROJECT,
        (queued.uid,),
        "mine",
    )
    assert request.params.label_details is True
    assert legacy is False


def test_export_v2_asks_for_a_legacy_task(queued: Project, recorded: RecordingTasks) -> None:
    queued.export_v2()
    assert _only(recorded)[1] is True


def test_dataset_export_is_scoped_to_the_dataset(
    dataset: Dataset, recorded: RecordingTasks
) -> None:
    dataset.export(filters={"global_keys": ["img-0"]})
    request, _ = _only(recorded)
    assert (request.kind, request.scope_ids) == (ExportKind.DATASET, (dataset.uid,))
    assert request.filters.global_keys == ("img-0",)


def test_model_run_export_is_scoped_to_the_run(client: Client, recorded: RecordingTasks) -> None:
    run = client.create_model("m").create_model_run("r")
    run.export_v2(params={"predictions": True})
    request, legacy = _only(recorded)
    assert (request.kind, request.scope_ids, legacy) == (ExportKind.MODEL_RUN, (run.uid,), True)


def test_slice_export_is_scoped_to_the_slice(client: Client, recorded: RecordingTasks) -> None:
    saved = client.create_slice("s", {"has_labels": True})
    saved.export()
    request, _ = _only(recorded)
    assert (request.kind, request.scope_ids) == (ExportKind.SLICE, (saved.uid,))


def test_catalog_export_has_no_scope(client: Client, recorded: RecordingTasks) -> None:
    client.get_catalog().export(params={"all_projects": True})
    request, _ = _only(recorded)
    assert (request.kind, request.scope_ids) == (ExportKind.CATALOG, ())


def test_data_rows_export_takes_ids_or_handles(
    client: Client, rows: list[DataRow], recorded: RecordingTasks
) -> None:
    DataRow.export(client, data_rows=[rows[0], rows[1].uid])
    request, _ = _only(recorded)
    assert (request.kind, request.scope_by) == (ExportKind.DATA_ROWS, "id")
    assert request.scope_ids == (rows[0].uid, rows[1].uid)


def test_data_rows_export_by_global_keys(
    client: Client, rows: list[DataRow], recorded: RecordingTasks
) -> None:
    DataRow.export_v2(client, global_keys=["img-0"])
    request, legacy = _only(recorded)
    assert (request.scope_by, request.scope_ids, legacy) == ("global_key", ("img-0",), True)


@pytest.mark.parametrize(
    "scope",
    [{}, {"data_rows": ["a"], "global_keys": ["b"]}],
    ids=["neither", "both"],
)
def test_data_rows_export_needs_exactly_one_scope(
    client: Client, recorded: RecordingTasks, scope: dict[str, list[str]]
) -> None:
    with pytest.raises(InvalidExportRequest, match="exactly one of data_rows and global_keys"):
        DataRow.export(client, **scope)  # type: ignore[arg-type]
    assert recorded.started == []


def test_bad_params_raise_before_any_task(queued: Project, recorded: RecordingTasks) -> None:
    with pytest.raises(InvalidExportRequest, match="'predictions' is not supported for a project"):
        queued.export(params={"predictions": True})
    assert recorded.started == []


def test_naive_filter_dates_are_read_in_the_client_timezone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Client(tmp_path, timezone="Asia/Tokyo") as client:
        fake = RecordingTasks()
        client._tasks.shutdown(wait=True)
        monkeypatch.setattr(client, "_tasks", fake)
        client.get_catalog().export(filters={"last_activity_at": ["2024-01-02 09:00:00", None]})
        request, _ = _only(fake)
        assert request.filters.last_activity_at is not None
        assert request.filters.last_activity_at.start_epoch == 1704153600.0


# -- through the real task manager ----------------------------------------------------------


def _ids(task: Any) -> list[str]:
    task.wait_till_done(timeout_seconds=120, check_frequency=0.02)
    assert task.status == "COMPLETE", task.errors_message
    if not task.has_result():
        return []
    return [out.json["data_row"]["id"] for out in task.get_buffered_stream()]


def test_project_export_streams_its_queued_rows(queued: Project, rows: list[DataRow]) -> None:
    assert _ids(queued.export()) == [rows[0].uid, rows[1].uid]


def test_data_rows_export_by_global_key_streams_that_row(
    client: Client, rows: list[DataRow]
) -> None:
    assert _ids(DataRow.export(client, global_keys=["img-2"])) == [rows[2].uid]


def test_export_task_is_found_again_by_id(client: Client, queued: Project) -> None:
    task = queued.export(task_name="find me")
    _ids(task)
    again = client.get_task(task.uid)
    assert (again.uid, again.name, again.status) == (task.uid, "find me", "COMPLETE")
    assert [t.uid for t in client.get_tasks()] == [task.uid]
    assert client.cancel_task(task.uid) is False


def test_export_after_close_is_refused(client: Client, queued: Project) -> None:
    client.close()
    with pytest.raises(RowportError, match="this client is closed"):
        queued.export()
