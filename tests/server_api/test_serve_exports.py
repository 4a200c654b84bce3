"""Exports, tasks and imports through the public API, embedded and over ``rowport serve``:
the same requests start the same tasks, the same bad requests are refused with the same
message before any task exists, and the rows read back are the same."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest

import rowport
from rowport import DataRow, ExportTask, StreamType, TaskStatus
from rowport.client import Client
from rowport.errors import InvalidExportRequest, NotFound
from rowport.testing import RowportServer, build_catalog


@attrs.frozen(kw_only=True)
class Small:
    """One of each exportable thing."""

    client: Client
    made: dict[str, Any]
    dataset: rowport.Dataset
    project: rowport.Project
    run: rowport.ModelRun
    slice: rowport.Slice
    rows: list[DataRow]


@pytest.fixture
def small(client: Client) -> Iterator[Small]:
    made = build_catalog(client, rows=4)
    dataset = client.get_dataset(made["dataset"])
    rows = dataset.data_rows()
    run = client.create_model("m").create_model_run("r")
    run.upsert_data_rows(data_rows=rows[:2])
    saved = client.create_slice("s", {"dataset_ids": [dataset.uid]})
    yield Small(
        client=client,
        made=made,
        dataset=dataset,
        project=client.get_project(made["project"]),
        run=run,
        slice=saved,
        rows=rows,
    )


def _keys(task: ExportTask) -> list[str]:
    task.wait_till_done(timeout_seconds=120)
    assert task.status is TaskStatus.COMPLETE, task.errors_message
    return [out.json["data_row"]["global_key"] for out in task.get_buffered_stream()]


Starter = Callable[[Small], ExportTask]
KINDS: dict[str, tuple[Starter, slice]] = {
    "project": (lambda s: s.project.export(), slice(0, 4)),
    "dataset": (lambda s: s.dataset.export(), slice(0, 4)),
    "model_run": (lambda s: s.run.export(), slice(0, 2)),
    "slice": (lambda s: s.slice.export(), slice(0, 4)),
    "catalog": (lambda s: s.client.get_catalog().export(), slice(0, 4)),
    "data_rows": (lambda s: DataRow.export(s.client, data_rows=s.rows[1:3]), slice(1, 3)),
    "global_keys": (
        lambda s: DataRow.export(s.client, global_keys=s.made["global_keys"][:1]),
        slice(0, 1),
    ),
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_exports_its_rows(small: Small, kind: str) -> None:
    start, expected = KINDS[kind]
    task = start(small)
    assert isinstance(task, ExportTask)
    assert sorted(_keys(task)) == sorted(small.made["global_keys"][expected])
    assert task.has_result() and not task.has_errors()
    assert task.get_total_lines(StreamType.RESULT) == expected.stop - expected.start


def test_params_filters_and_options_reach_the_export(small: Small) -> None:
    task = small.project.export(
        params={"label_details": True, "metadata_fields": False},
        filters={"workflow_status": "ToLabel", "global_keys": small.made["global_keys"][:2]},
        task_name="two rows",
        on_row_error="skip",
        max_error_ratio=0.5,
    )
    assert task.name == "two rows"
    assert len(_keys(task)) == 2
    row = next(iter(task.get_buffered_stream())).json
    labels = row["projects"][small.project.uid]["labels"]
    assert all("label_details" in label for label in labels)
    assert task.metadata["request"]["options"]["on_row_error"] == "skip"


BAD: dict[str, tuple[Starter, type[Exception], str]] = {
    "param": (
        lambda s: s.project.export(params={"bogus": 1}),
        InvalidExportRequest,
        "unknown param 'bogus' for a project export",
    ),
    "filter": (
        lambda s: s.project.export(filters={"status": "Done"}),
        InvalidExportRequest,
        "unknown filter",
    ),
    "date": (
        lambda s: s.project.export(filters={"last_activity_at": ["2024-02-01", "2024-01-01"]}),
        InvalidExportRequest,
        "last_activity_at",
    ),
    "error policy": (
        lambda s: s.project.export(on_row_error="explode"),
        InvalidExportRequest,
        "on_row_error",
    ),
    "sink": (
        lambda s: s.project.export(sinks=["no-such-sink"]),
        InvalidExportRequest,
        "no-such-sink",
    ),
    "plugin option": (
        lambda s: s.project.export(plugin_options={"media": {"fetch": "sometimes"}}),
        InvalidExportRequest,
        "fetch",
    ),
    "scope": (
        lambda s: DataRow.export(s.client, data_rows=[]),
        InvalidExportRequest,
        "data row",
    ),
    "missing project": (
        lambda s: (
            s.client.get_project(s.project.uid)
            .__class__.from_record(s.client, {**_record(s.project), "id": "gone"})
            .export()
        ),
        NotFound,
        "project not found: 'gone'",
    ),
}


def _record(project: rowport.Project) -> dict[str, Any]:
    return {
        "id": project.uid,
        "name": project.name,
        "media_type": project.media_type,
        "ontology_id": project.ontology_id,
        "description": project.description,
        "created_at": project.created_at,
    }


@pytest.mark.parametrize("case", BAD)
def test_a_bad_export_is_refused_before_any_task(small: Small, case: str) -> None:
    start, error, match = BAD[case]
    with pytest.raises(error, match=match):
        start(small)
    assert small.client.get_tasks() == []


def test_bad_exports_are_refused_with_the_embedded_message(
    small: Small, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with Client(tmp_path_factory.mktemp("reference")) as embedded:
        reference = Small(
            client=embedded,
            made=build_catalog(embedded, rows=1),
            dataset=embedded.create_dataset("d"),
            project=embedded.create_project("p", "image"),
            run=embedded.create_model("m").create_model_run("r"),
            slice=embedded.create_slice("s", {"media_types": ["IMAGE"]}),
            rows=[],
        )
        for case, (start, error, _) in BAD.items():
            if case == "missing project":
                continue
            with pytest.raises(error) as expected:
                start(reference)
            with pytest.raises(error) as got:
                start(small)
            assert str(got.value) == str(expected.value), case


def test_tasks_are_found_listed_and_canceled(small: Small) -> None:
    first = small.dataset.export(task_name="first")
    first.wait_till_done(timeout_seconds=120)
    second = small.project.export(task_name="second")
    second.wait_till_done(timeout_seconds=120)
    again = small.client.get_task(first.uid)
    assert (again.uid, again.name, again.status) == (first.uid, "first", TaskStatus.COMPLETE)
    assert [t.name for t in small.client.get_tasks()] == ["second", "first"]
    assert small.client.cancel_task(first.uid) is False
    assert first.cancel() is False
    status, done, planned, _ = second.progress()
    assert (status, done, planned) == (TaskStatus.COMPLETE, 4, 4)


def test_rows_exported_load_back_with_a_line_numbered_report(small: Small) -> None:
    lines = [out.json_str for out in _stream(small.project.export())]
    broken = [lines[0], "not json", "", orjson.dumps({"data_row": {}}).decode(), *lines[1:]]
    report = small.client.import_rows(broken)
    assert (report.lines, report.unchanged, report.failed) == (7, 4, 3)
    assert [e.line for e in report.errors] == [2, 3, 4]
    assert "not valid JSON" in report.errors[0].reason


def _stream(task: ExportTask) -> Iterator[rowport.JsonConverterOutput]:
    task.wait_till_done(timeout_seconds=120)
    return iter(task.get_stream())


@pytest.mark.parametrize("where", ["embedded", "remote"])
def test_naive_filter_dates_are_read_in_the_clients_timezone(
    where: str, tmp_path: Path, server: RowportServer
) -> None:
    """A remote client sends its zone with the request, so the server reads ``2024-01-01`` as
    Kolkata's midnight, as the embedded client does (it used to read it as UTC)."""
    if where == "embedded":
        opened = Client(tmp_path / "home", timezone="Asia/Kolkata")
    else:
        token = server.create_key("tz", organization=f"tz-{tmp_path.name}")
        opened = Client(server.url, api_key=token, timezone="Asia/Kolkata")
    with opened as client:
        made = build_catalog(client, rows=2)
        task = client.get_project(made["project"]).export(
            filters={"last_activity_at": ["2024-01-01", None]}
        )
        task.wait_till_done(timeout_seconds=120)
        assert task.metadata["request"]["filters"]["last_activity_at"] == {
            "start": "2023-12-31T18:30:00+00:00",
            "end": None,
        }
