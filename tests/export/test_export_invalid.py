"""A bad request raises at the ``export()`` call, through the public API, and starts no task."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from export_support import IMAGE_ATTRIBUTES

import rowport
from rowport import DataRow, ExportTask
from rowport.errors import InvalidExportRequest, NotFound


@attrs.frozen(kw_only=True)
class Small:
    """One of each exportable thing, with a row in each."""

    client: rowport.Client
    dataset: rowport.Dataset
    row: DataRow
    project: rowport.Project
    run: rowport.ModelRun
    slice: rowport.Slice


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Small]:
    with rowport.Client(tmp_path / "home") as client:
        dataset = client.create_dataset("d")
        row = dataset.create_data_row(
            row_data="https://example.com/a.jpg", global_key="a", media_attributes=IMAGE_ATTRIBUTES
        )
        ontology = client.create_ontology("o", tools=[{"tool": "bbox", "name": "box"}])
        project = client.create_project("p", "image", ontology)
        project.create_batch("b", data_rows=[row])
        run = client.create_model("m").create_model_run("r")
        run.upsert_data_rows(data_rows=[row])
        saved = client.create_slice("s", {"dataset_ids": [dataset.uid]})
        yield Small(client=client, dataset=dataset, row=row, project=project, run=run, slice=saved)


Starter = Callable[[Small], ExportTask]


def _refused(small: Small, start: Starter, match: str) -> None:
    with pytest.raises(InvalidExportRequest, match=match):
        start(small)
    assert small.client.get_tasks() == []


def _ids(n: int) -> list[str]:
    return [f"id-{i}" for i in range(n)]


# -- params -----------------------------------------------------------------------------------

EVERY_KIND: dict[str, Callable[[Small, dict[str, Any]], ExportTask]] = {
    "project": lambda s, p: s.project.export(params=p),
    "dataset": lambda s, p: s.dataset.export(params=p),
    "slice": lambda s, p: s.slice.export(params=p),
    "model_run": lambda s, p: s.run.export(params=p),
    "catalog": lambda s, p: s.client.get_catalog().export(params=p),
    "data_rows": lambda s, p: DataRow.export(s.client, data_rows=[s.row], params=p),
}


@pytest.mark.parametrize("kind", EVERY_KIND)
def test_unknown_param_is_refused(small: Small, kind: str) -> None:
    _refused(small, lambda s: EVERY_KIND[kind](s, {"labels_details": True}), "unknown param")


def test_unknown_param_suggests_the_close_name(small: Small) -> None:
    _refused(small, lambda s: s.project.export(params={"label_detail": True}), "label_details")


@pytest.mark.parametrize(
    ("kind", "param"),
    [
        ("project", "predictions"),
        ("project", "model_run_details"),
        ("project", "all_projects"),
        ("project", "all_model_runs"),
        ("project", "project_ids"),
        ("project", "model_run_ids"),
        ("model_run", "project_details"),
        ("model_run", "label_details"),
        ("model_run", "performance_details"),
        ("model_run", "all_projects"),
        ("model_run", "model_run_ids"),
    ],
)
def test_param_of_another_kind_is_refused(small: Small, kind: str, param: str) -> None:
    value: Any = [] if param.endswith("_ids") else True
    _refused(small, lambda s: EVERY_KIND[kind](s, {param: value}), "is not supported for a")


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"attachments": "yes"}, "must be a bool"),
        ({"label_details": 1}, "must be a bool"),
        ({"data_row_details": [True]}, "must be a bool"),
    ],
    ids=["str", "int", "list"],
)
def test_bool_param_of_the_wrong_type_is_refused(
    small: Small, params: dict[str, Any], match: str
) -> None:
    _refused(small, lambda s: s.project.export(params=params), match)


@pytest.mark.parametrize(
    "value", ["cproject", [1, 2], [""], {"a": 1}], ids=["str", "ints", "empty-str", "dict"]
)
def test_id_list_param_of_the_wrong_type_is_refused(small: Small, value: Any) -> None:
    _refused(small, lambda s: s.dataset.export(params={"project_ids": value}), "project_ids")


@pytest.mark.parametrize("bad", ["all", ["attachments"], 3], ids=["str", "list", "int"])
def test_params_that_are_not_a_mapping_are_refused(small: Small, bad: Any) -> None:
    _refused(small, lambda s: s.project.export(params=bad), "params must be a mapping")


@pytest.mark.parametrize("param", ["project_ids", "model_run_ids"])
def test_more_than_30_ids_in_a_param_are_refused(small: Small, param: str) -> None:
    _refused(small, lambda s: s.dataset.export(params={param: _ids(31)}), "at most 30")


# -- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "date",
    [
        "2024-13-01",
        "2024-02-30",
        "yesterday",
        "2024/01/01",
        "01-02-2024",
        "2024-01-01T10:00",
        20240101,
    ],
)
def test_bad_date_is_refused(small: Small, date: Any) -> None:
    _refused(
        small,
        lambda s: s.project.export(filters={"last_activity_at": [date, None]}),
        "invalid date",
    )


@pytest.mark.parametrize(
    "value",
    [["2024-01-01"], "2024-01-01", ["2024-01-01", None, None]],
    ids=["one-item", "str", "three-items"],
)
def test_date_range_that_is_not_a_pair_is_refused(small: Small, value: Any) -> None:
    _refused(
        small,
        lambda s: s.dataset.export(filters={"label_created_at": value}),
        "list of two items",
    )


def test_date_range_that_ends_before_it_starts_is_refused(small: Small) -> None:
    _refused(
        small,
        lambda s: s.project.export(filters={"last_activity_at": ["2024-02-01", "2024-01-01"]}),
        "starts after it ends",
    )


@pytest.mark.parametrize("name", ["global_keys", "data_row_ids", "batch_ids"])
def test_empty_id_list_filter_is_refused(small: Small, name: str) -> None:
    _refused(small, lambda s: s.project.export(filters={name: []}), "empty list")


@pytest.mark.parametrize("name", ["global_keys", "data_row_ids", "batch_ids"])
def test_more_than_2000_ids_in_a_filter_are_refused(small: Small, name: str) -> None:
    _refused(small, lambda s: s.project.export(filters={name: _ids(2001)}), "at most 2,000")


def test_exactly_2000_ids_in_a_filter_are_accepted(small: Small) -> None:
    task = small.project.export(filters={"data_row_ids": [*_ids(1999), small.row.uid]})
    task.wait_till_done(timeout_seconds=120)
    assert task.status == "COMPLETE"


@pytest.mark.parametrize("kind", ["project", "dataset", "catalog"])
def test_data_row_ids_with_global_keys_are_refused(small: Small, kind: str) -> None:
    filters = {"data_row_ids": [small.row.uid], "global_keys": ["a"]}
    scope = {
        "project": lambda s: s.project.export(filters=filters),
        "dataset": lambda s: s.dataset.export(filters=filters),
        "catalog": lambda s: s.client.get_catalog().export(filters=filters),
    }[kind]
    _refused(small, scope, "cannot be used together")


@pytest.mark.parametrize("status", ["Finished", "DONE", "done", "In Review", 1])
def test_unknown_workflow_status_is_refused(small: Small, status: Any) -> None:
    _refused(
        small,
        lambda s: s.project.export(filters={"workflow_status": status}),
        "must be one of ToLabel, InReview, InRework, Done",
    )


@pytest.mark.parametrize(
    "filters",
    [
        {"global_keys": ["a"]},
        {"last_activity_at": ["2024-01-01", None]},
        {"workflow_status": "Done"},
    ],
    ids=["global_keys", "last_activity_at", "workflow_status"],
)
@pytest.mark.parametrize("kind", ["slice", "model_run"])
def test_slice_and_model_run_exports_take_no_filters(
    small: Small, kind: str, filters: dict[str, Any]
) -> None:
    start: Starter = (
        (lambda s: s.slice.export(filters=filters))
        if kind == "slice"
        else (lambda s: s.run.export(filters=filters))
    )
    _refused(small, start, "takes no filters")


@pytest.mark.parametrize("name", ["workflow_status", "batch_ids"])
def test_project_only_filter_on_a_dataset_is_refused(small: Small, name: str) -> None:
    value: Any = "Done" if name == "workflow_status" else ["b"]
    _refused(
        small, lambda s: s.dataset.export(filters={name: value}), "not supported for a dataset"
    )


def test_unknown_filter_is_refused(small: Small) -> None:
    _refused(small, lambda s: s.project.export(filters={"status": "Done"}), "unknown filter")


# -- data rows exports ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scope",
    [
        {"data_rows": []},
        {"global_keys": []},
        {"data_rows": _ids(2001)},
        {"global_keys": _ids(2001)},
        {},
        {"data_rows": ["x"], "global_keys": ["a"]},
        {"global_keys": "a"},
    ],
    ids=["no-ids", "no-keys", "2001-ids", "2001-keys", "neither", "both", "key-as-str"],
)
def test_bad_data_rows_scope_is_refused(small: Small, scope: dict[str, Any]) -> None:
    with pytest.raises(InvalidExportRequest):
        DataRow.export(small.client, **scope)
    assert small.client.get_tasks() == []


# -- missing entities -------------------------------------------------------------------------


MISSING = "cmissing00000000000000000"


@pytest.mark.parametrize("param", ["project_ids", "model_run_ids"])
def test_missing_id_in_a_scope_param_is_not_found(small: Small, param: str) -> None:
    with pytest.raises(NotFound, match=MISSING):
        small.dataset.export(params={param: [MISSING]})
    assert small.client.get_tasks() == []


def test_missing_project_is_not_found(small: Small) -> None:
    with pytest.raises(NotFound, match="project not found"):
        small.client.get_project(MISSING)


def test_export_of_a_project_handle_whose_project_is_gone_is_not_found(small: Small) -> None:
    ghost = rowport.Project.from_record(
        small.client,
        {
            "id": MISSING,
            "name": "ghost",
            "media_type": "image",
            "ontology_id": None,
            "description": None,
            "created_at": "2024-01-01T00:00:00.000+00:00",
        },
    )
    with pytest.raises(NotFound, match="project not found"):
        ghost.export()
    assert small.client.get_tasks() == []


def test_invalid_request_is_a_value_error(small: Small) -> None:
    with pytest.raises(ValueError):
        small.project.export(params={"nope": True})


def test_export_v2_validates_the_same_way(small: Small) -> None:
    _refused(small, lambda s: s.project.export_v2(params={"predictions": True}), "not supported")
