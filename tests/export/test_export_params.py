"""Each param of each kind of export adds its section when asked, and only then."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from export_support import (
    CATALOG_KINDS,
    CATALOG_SCOPE_PARAMS,
    PROJECT_SECTION_PARAMS,
    ROW_PARAMS,
    RUN_SECTION_PARAMS,
    ExportCache,
    RichCatalog,
    row_by_id,
)


def _projects(row: dict[str, Any]) -> list[dict[str, Any]]:
    return list(row.get("projects", {}).values())


def _labels(row: dict[str, Any]) -> list[dict[str, Any]]:
    return [label for project in _projects(row) for label in project["labels"]]


def _runs(row: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        run
        for experiment in row.get("experiments", {}).values()
        for run in experiment["runs"].values()
    ]


# For each param: whether its section shows, at every place it can show in a row.
SITES: dict[str, Callable[[dict[str, Any]], list[bool]]] = {
    "attachments": lambda row: ["attachments" in row],
    "metadata_fields": lambda row: ["metadata_fields" in row],
    "embeddings": lambda row: ["embeddings" in row],
    "data_row_details": lambda row: ["details" in row["data_row"]],
    "project_details": lambda row: ["project_details" in p for p in _projects(row)],
    "label_details": lambda row: ["label_details" in label for label in _labels(row)],
    "performance_details": lambda row: ["performance_details" in label for label in _labels(row)],
    "predictions": lambda row: ["predictions" in run for run in _runs(row)],
    "model_run_details": lambda row: ["split" in run for run in _runs(row)],
    "project_ids": lambda row: ["projects" in row],
    "all_projects": lambda row: ["projects" in row],
    "model_run_ids": lambda row: ["experiments" in row],
    "all_model_runs": lambda row: ["experiments" in row],
}

CASES = (
    [("project", p) for p in (*ROW_PARAMS, *PROJECT_SECTION_PARAMS)]
    + [("model_run", p) for p in (*ROW_PARAMS, *RUN_SECTION_PARAMS)]
    + [
        (kind, p)
        for kind in CATALOG_KINDS
        for p in (*ROW_PARAMS, *PROJECT_SECTION_PARAMS, *RUN_SECTION_PARAMS, *CATALOG_SCOPE_PARAMS)
    ]
)


def _base(kind: str, param: str) -> dict[str, Any]:
    """What a catalog-side export needs for the param's section to have somewhere to show."""
    if kind in CATALOG_KINDS and param in PROJECT_SECTION_PARAMS:
        return {"all_projects": True}
    if kind in CATALOG_KINDS and param in RUN_SECTION_PARAMS:
        return {"all_model_runs": True}
    return {}


def _asked(rich: RichCatalog, param: str) -> Any:
    if param == "project_ids":
        return [rich.project.uid]
    if param == "model_run_ids":
        return [rich.run.uid]
    return True


@pytest.mark.parametrize(("kind", "param"), CASES)
def test_param_adds_its_section_when_asked(
    rich: RichCatalog, exported: ExportCache, kind: str, param: str
) -> None:
    params = {**_base(kind, param), param: _asked(rich, param)}
    row = row_by_id(exported(kind, params), rich.labelled.uid)
    sites = SITES[param](row)
    assert sites, f"{param}: nothing in the row where the section could show"
    assert all(sites), f"{param} asked but missing: {row}"


@pytest.mark.parametrize(("kind", "param"), CASES)
def test_param_section_is_absent_when_not_asked(
    rich: RichCatalog, exported: ExportCache, kind: str, param: str
) -> None:
    row = row_by_id(exported(kind, _base(kind, param)), rich.labelled.uid)
    assert not any(SITES[param](row)), f"{param} not asked but present: {row}"


@pytest.mark.parametrize(("kind", "param"), [(k, p) for k, p in CASES if p in ROW_PARAMS])
def test_param_set_to_false_is_the_same_as_absent(
    rich: RichCatalog, exported: ExportCache, kind: str, param: str
) -> None:
    assert exported(kind, {param: False}) == exported(kind, {})


# -- what the catalog-side scope params select ----------------------------------------------


@pytest.mark.parametrize("kind", CATALOG_KINDS)
def test_project_ids_show_only_the_projects_asked(
    rich: RichCatalog, exported: ExportCache, kind: str
) -> None:
    # alpha-1 is in both projects
    row = row_by_id(exported(kind, {"project_ids": [rich.project2.uid]}), rich.rows[1].uid)
    assert list(row["projects"]) == [rich.project2.uid]


@pytest.mark.parametrize("kind", CATALOG_KINDS)
def test_all_projects_show_every_project_of_the_row_ordered_by_id(
    rich: RichCatalog, exported: ExportCache, kind: str
) -> None:
    row = row_by_id(exported(kind, {"all_projects": True}), rich.rows[1].uid)
    assert list(row["projects"]) == sorted([rich.project.uid, rich.project2.uid])


@pytest.mark.parametrize("kind", CATALOG_KINDS)
def test_project_ids_give_an_empty_projects_dict_to_a_row_in_none_of_them(
    rich: RichCatalog, exported: ExportCache, kind: str
) -> None:
    row = row_by_id(exported(kind, {"project_ids": [rich.project2.uid]}), rich.labelled.uid)
    assert row["projects"] == {}


@pytest.mark.parametrize("kind", CATALOG_KINDS)
def test_model_run_ids_show_only_the_runs_asked(
    rich: RichCatalog, exported: ExportCache, kind: str
) -> None:
    row = row_by_id(exported(kind, {"model_run_ids": [rich.run2.uid]}), rich.labelled.uid)
    assert list(row["experiments"]) == [rich.model2.uid]
    assert list(row["experiments"][rich.model2.uid]["runs"]) == [rich.run2.uid]


@pytest.mark.parametrize("kind", CATALOG_KINDS)
def test_all_model_runs_show_every_run_of_the_row_ordered_by_model(
    rich: RichCatalog, exported: ExportCache, kind: str
) -> None:
    row = row_by_id(exported(kind, {"all_model_runs": True}), rich.labelled.uid)
    assert list(row["experiments"]) == sorted([rich.model.uid, rich.model2.uid])
    assert row["experiments"][rich.model.uid]["name"] == "detector"
    assert list(row["experiments"][rich.model.uid]["runs"]) == sorted(
        [rich.run.uid, rich.run_b.uid]
    )


@pytest.mark.parametrize("kind", CATALOG_KINDS)
def test_model_run_ids_of_one_model_group_under_that_model(
    rich: RichCatalog, exported: ExportCache, kind: str
) -> None:
    params = {"model_run_ids": [rich.run_b.uid, rich.run.uid]}
    row = row_by_id(exported(kind, params), rich.labelled.uid)
    assert list(row["experiments"]) == [rich.model.uid]
    assert list(row["experiments"][rich.model.uid]["runs"]) == sorted(
        [rich.run.uid, rich.run_b.uid]
    )


@pytest.mark.parametrize("kind", CATALOG_KINDS)
def test_project_ids_and_model_run_ids_together_show_both(
    rich: RichCatalog, exported: ExportCache, kind: str
) -> None:
    params = {"project_ids": [rich.project.uid], "model_run_ids": [rich.run.uid]}
    row = row_by_id(exported(kind, params), rich.labelled.uid)
    assert (list(row["projects"]), list(row["experiments"])) == (
        [rich.project.uid],
        [rich.model.uid],
    )


# -- the values the params bring --------------------------------------------------------------


def test_project_export_shows_only_its_own_project(
    rich: RichCatalog, exported: ExportCache
) -> None:
    row = row_by_id(exported("project"), rich.rows[1].uid)
    assert list(row["projects"]) == [rich.project.uid]


def test_model_run_export_shows_only_its_own_run(rich: RichCatalog, exported: ExportCache) -> None:
    row = row_by_id(exported("model_run"), rich.labelled.uid)
    assert list(row["experiments"]) == [rich.model.uid]
    assert list(row["experiments"][rich.model.uid]["runs"]) == [rich.run.uid]


def test_model_run_details_give_each_rows_split(rich: RichCatalog, exported: ExportCache) -> None:
    rows = exported("model_run", {"model_run_details": True})
    splits = [
        row_by_id(rows, r.uid)["experiments"][rich.model.uid]["runs"][rich.run.uid]["split"]
        for r in rich.rows[:3]
    ]
    assert splits == ["training", "validation", "test"]


def test_predictions_hold_the_runs_predictions_apart_from_its_labels(
    rich: RichCatalog, exported: ExportCache
) -> None:
    row = row_by_id(exported("model_run", {"predictions": True}), rich.labelled.uid)
    run = row["experiments"][rich.model.uid]["runs"][rich.run.uid]
    predicted = rich.run.predictions()
    assert [p["id"] for p in run["predictions"]] == [
        p["id"] for p in predicted if p["data_row_id"] == rich.labelled.uid
    ]
    assert [label["id"] for label in run["labels"]] == [rich.project.labels()[0].uid]


def test_data_row_details_describe_the_row(rich: RichCatalog, exported: ExportCache) -> None:
    row = row_by_id(exported("dataset", {"data_row_details": True}), rich.labelled.uid)
    handle = rich.labelled.refresh()
    assert row["data_row"]["details"] == {
        "dataset_id": rich.alpha.uid,
        "dataset_name": "alpha",
        "created_at": handle.created_at,
        "updated_at": handle.updated_at,
        "last_activity_at": handle.last_activity_at,
        "created_by": "admin@rowport.local",
    }


def test_metadata_fields_hold_every_kind_of_value(rich: RichCatalog, exported: ExportCache) -> None:
    row = row_by_id(exported("dataset", {"metadata_fields": True}), rich.labelled.uid)
    weather = rich.schemas["enum"]
    sunny = next(o for o in weather["options"] if o["name"] == "sunny")
    assert row["metadata_fields"] == [
        {"schema_id": rich.schemas["string"]["id"], "schema_name": "camera", "value": "cam-0"},
        {"schema_id": rich.schemas["number"]["id"], "schema_name": "speed", "value": 10.5},
        {
            "schema_id": rich.schemas["datetime"]["id"],
            "schema_name": "taken_at",
            "value": "2024-01-02T03:04:05.000+00:00",
        },
        {
            "schema_id": weather["id"],
            "schema_name": "weather",
            "value": {"schema_id": sunny["id"], "schema_name": "sunny"},
        },
    ]


def test_attachments_keep_their_order(rich: RichCatalog, exported: ExportCache) -> None:
    row = row_by_id(exported("dataset", {"attachments": True}), rich.labelled.uid)
    assert [(a["type"], a["value"], a["name"]) for a in row["attachments"]] == [
        ("RAW_TEXT", "note 0", "note"),
        ("IMAGE_OVERLAY", "https://example.com/m0.png", None),
    ]


def test_embeddings_hold_each_vector(rich: RichCatalog, exported: ExportCache) -> None:
    row = row_by_id(exported("dataset", {"embeddings": True}), rich.rows[1].uid)
    assert row["embeddings"] == [
        {
            "id": rich.embedding["id"],
            "name": "clip",
            "dimensions": 3,
            "is_custom": True,
            "values": [{"value": [0.5, 0.25, -1.0]}],
        }
    ]


@pytest.mark.parametrize("param", ["attachments", "metadata_fields", "embeddings"])
def test_row_sections_are_empty_lists_for_a_row_without_them(
    rich: RichCatalog, exported: ExportCache, param: str
) -> None:
    row = row_by_id(exported("dataset", {param: True}), rich.rows[3].uid)
    assert row[param] == []


def test_label_details_hold_reviews(rich: RichCatalog, exported: ExportCache) -> None:
    row = row_by_id(exported("project", {"label_details": True}), rich.labelled.uid)
    (label,) = row["projects"][rich.project.uid]["labels"]
    reviews = label["label_details"]["reviews"]
    assert [(r["action"], r["created_by"]) for r in reviews] == [("Approve", "admin@rowport.local")]


def test_performance_details_hold_the_recorded_timings(
    rich: RichCatalog, exported: ExportCache
) -> None:
    row = row_by_id(exported("project", {"performance_details": True}), rich.labelled.uid)
    (label,) = row["projects"][rich.project.uid]["labels"]
    assert label["performance_details"] == {
        "seconds_to_create": 12,
        "seconds_to_review": 3,
        "skipped": False,
        "performance_details_v2": {
            "seconds_to_create": 12,
            "seconds_to_review": 3,
            "seconds_to_rework": 1,
            "seconds_total": 16,
        },
    }


def test_project_details_give_status_batch_and_history(
    rich: RichCatalog, exported: ExportCache
) -> None:
    row = row_by_id(exported("project", {"project_details": True}), rich.labelled.uid)
    details = row["projects"][rich.project.uid]["project_details"]
    first = rich.project.batches()[0]
    assert (details["workflow_status"], details["batch_id"], details["batch_name"]) == (
        "DONE",
        first.uid,
        "first",
    )
    assert details["priority"] == 2
    assert details["ontology_id"] == rich.project.ontology_id
    assert details["selected_label_id"] == rich.project.labels()[0].uid
    assert [e["action"] for e in details["workflow_history"]] == [
        "CREATED",
        "MOVE_TO_IN_REVIEW",
        "MOVE_TO_DONE",
    ]


def test_project_tags_show_with_default_params(rich: RichCatalog, exported: ExportCache) -> None:
    row = row_by_id(exported("project"), rich.labelled.uid)
    tags = row["projects"][rich.project.uid]["project_tags"]
    assert [(t["text"], t["color"]) for t in tags] == [("urgent", None), ("night", "#000000")]


@pytest.mark.parametrize("kind", ["dataset", "slice", "catalog", "data_rows"])
def test_project_tags_are_left_out_of_catalog_side_exports(
    rich: RichCatalog, exported: ExportCache, kind: str
) -> None:
    # the seed's field table marks project_tags n/a for model run and catalog exports
    rows = exported(kind, {"all_projects": True, "project_details": True})
    sections = [s for row in rows for s in row["projects"].values()]
    assert sections, "the export shows no project section to check"
    assert all("project_tags" not in s for s in sections)
    assert all(list(s) == ["name", "labels", "project_details"] for s in sections)


def test_unlabelled_row_has_an_empty_label_list(rich: RichCatalog, exported: ExportCache) -> None:
    row = row_by_id(exported("project"), rich.rows[2].uid)
    assert row["projects"][rich.project.uid]["labels"] == []
