"""The row skeleton: which keys a row has, in which order, for each kind and set of params."""

from __future__ import annotations

from typing import Any

import pytest
from export_support import (
    CATALOG_KINDS,
    PROJECT_SECTION_PARAMS,
    ROW_PARAMS,
    RUN_SECTION_PARAMS,
    ExportCache,
    RichCatalog,
    row_by_id,
)

ALL_PROJECT = dict.fromkeys((*ROW_PARAMS, *PROJECT_SECTION_PARAMS), True)
ALL_RUN = dict.fromkeys((*ROW_PARAMS, *RUN_SECTION_PARAMS), True)
ALL_CATALOG = {
    **dict.fromkeys((*ROW_PARAMS, *PROJECT_SECTION_PARAMS, *RUN_SECTION_PARAMS), True),
    "all_projects": True,
    "all_model_runs": True,
}
ROW_SECTIONS = ["data_row", "media_attributes", "attachments", "metadata_fields", "embeddings"]
DATA_ROW_KEYS = ["id", "global_key", "external_id", "row_data", "details"]
DETAILS_KEYS = [
    "dataset_id",
    "dataset_name",
    "created_at",
    "updated_at",
    "last_activity_at",
    "created_by",
]
LABEL_KEYS = ["label_kind", "version", "id", "label_details", "performance_details", "annotations"]
PROJECT_DETAILS_KEYS = [
    "ontology_id",
    "task_id",
    "task_name",
    "batch_id",
    "batch_name",
    "workflow_status",
    "priority",
    "selected_label_id",
    "consensus_expected_label_count",
    "workflow_history",
]
HISTORY_KEYS = [
    "action",
    "created_at",
    "created_by",
    "previous_task_id",
    "previous_task_name",
    "next_task_id",
    "next_task_name",
]


def _project(row: dict[str, Any], rich: RichCatalog) -> dict[str, Any]:
    section: dict[str, Any] = row["projects"][rich.project.uid]
    return section


def _run(row: dict[str, Any], rich: RichCatalog) -> dict[str, Any]:
    run: dict[str, Any] = row["experiments"][rich.model.uid]["runs"][rich.run.uid]
    return run


# -- default params ---------------------------------------------------------------------------


def test_project_row_with_default_params_has_exactly_three_keys(
    rich: RichCatalog, exported: ExportCache
) -> None:
    for row in exported("project"):
        assert list(row) == ["data_row", "media_attributes", "projects"]


def test_project_row_with_default_params_holds_one_project_with_three_keys(
    rich: RichCatalog, exported: ExportCache
) -> None:
    for row in exported("project"):
        assert list(row["projects"]) == [rich.project.uid]
        assert list(row["projects"][rich.project.uid]) == ["name", "labels", "project_tags"]


def test_project_label_with_default_params_has_four_keys(
    rich: RichCatalog, exported: ExportCache
) -> None:
    (label,) = _project(row_by_id(exported("project"), rich.labelled.uid), rich)["labels"]
    assert list(label) == ["label_kind", "version", "id", "annotations"]
    assert (label["label_kind"], label["version"]) == ("Default", "1.0.0")


def test_model_run_row_with_default_params_has_exactly_three_keys(
    rich: RichCatalog, exported: ExportCache
) -> None:
    for row in exported("model_run"):
        assert list(row) == ["data_row", "media_attributes", "experiments"]


def test_model_run_row_with_default_params_holds_name_and_runs(
    rich: RichCatalog, exported: ExportCache
) -> None:
    row = row_by_id(exported("model_run"), rich.labelled.uid)
    assert list(row["experiments"][rich.model.uid]) == ["name", "runs"]
    assert list(_run(row, rich)) == ["name", "run_data_row_id", "labels"]


@pytest.mark.parametrize("kind", CATALOG_KINDS)
def test_catalog_side_row_with_default_params_has_no_projects_or_experiments(
    exported: ExportCache, kind: str
) -> None:
    rows = exported(kind)
    assert rows
    for row in rows:
        assert list(row) == ["data_row", "media_attributes"]


# -- every param on ---------------------------------------------------------------------------


def test_project_row_with_every_param_keeps_the_reference_key_order(
    rich: RichCatalog, exported: ExportCache
) -> None:
    row = row_by_id(exported("project", ALL_PROJECT), rich.labelled.uid)
    assert list(row) == [*ROW_SECTIONS, "projects"]
    assert list(_project(row, rich)) == ["name", "labels", "project_details", "project_tags"]


def test_model_run_row_with_every_param_keeps_the_reference_key_order(
    rich: RichCatalog, exported: ExportCache
) -> None:
    row = row_by_id(exported("model_run", ALL_RUN), rich.labelled.uid)
    assert list(row) == [*ROW_SECTIONS, "experiments"]
    assert list(_run(row, rich)) == ["name", "run_data_row_id", "labels", "predictions", "split"]


@pytest.mark.parametrize("kind", CATALOG_KINDS)
def test_catalog_side_row_with_every_param_puts_projects_before_experiments(
    rich: RichCatalog, exported: ExportCache, kind: str
) -> None:
    row = row_by_id(exported(kind, ALL_CATALOG), rich.labelled.uid)
    assert list(row) == [*ROW_SECTIONS, "projects", "experiments"]


@pytest.mark.parametrize("kind", ["project", "model_run", *CATALOG_KINDS])
def test_data_row_keys_are_id_global_key_external_id_row_data_details(
    rich: RichCatalog, exported: ExportCache, kind: str
) -> None:
    params = {"project": ALL_PROJECT, "model_run": ALL_RUN}.get(kind, ALL_CATALOG)
    row = row_by_id(exported(kind, params), rich.labelled.uid)
    assert list(row["data_row"]) == DATA_ROW_KEYS
    assert list(row["data_row"]["details"]) == DETAILS_KEYS


def test_label_keys_put_details_and_performance_before_annotations(
    rich: RichCatalog, exported: ExportCache
) -> None:
    (label,) = _project(row_by_id(exported("project", ALL_PROJECT), rich.labelled.uid), rich)[
        "labels"
    ]
    assert list(label) == LABEL_KEYS
    assert list(label["label_details"]) == [
        "created_at",
        "updated_at",
        "created_by",
        "content_last_updated_at",
        "reviews",
    ]
    assert [list(r) for r in label["label_details"]["reviews"]] == [
        ["id", "action", "created_at", "created_by"]
    ]


def test_performance_details_nest_v2_inside(rich: RichCatalog, exported: ExportCache) -> None:
    (label,) = _project(row_by_id(exported("project", ALL_PROJECT), rich.labelled.uid), rich)[
        "labels"
    ]
    perf = label["performance_details"]
    assert list(perf) == [
        "seconds_to_create",
        "seconds_to_review",
        "skipped",
        "performance_details_v2",
    ]
    assert list(perf["performance_details_v2"]) == [
        "seconds_to_create",
        "seconds_to_review",
        "seconds_to_rework",
        "seconds_total",
    ]


def test_performance_details_default_to_zeros_when_not_recorded(
    rich: RichCatalog, exported: ExportCache
) -> None:
    row = row_by_id(exported("project", ALL_PROJECT), rich.rows[1].uid)
    (label,) = _project(row, rich)["labels"]
    assert label["performance_details"] == {
        "seconds_to_create": 0,
        "seconds_to_review": 0,
        "skipped": False,
        "performance_details_v2": {
            "seconds_to_create": 0,
            "seconds_to_review": 0,
            "seconds_to_rework": 0,
            "seconds_total": 0,
        },
    }


def test_project_details_keep_the_reference_key_order(
    rich: RichCatalog, exported: ExportCache
) -> None:
    details = _project(row_by_id(exported("project", ALL_PROJECT), rich.labelled.uid), rich)[
        "project_details"
    ]
    assert list(details) == PROJECT_DETAILS_KEYS
    assert [list(e) for e in details["workflow_history"]] == [HISTORY_KEYS] * 3


def test_section_elements_keep_their_key_order(rich: RichCatalog, exported: ExportCache) -> None:
    row = row_by_id(exported("project", ALL_PROJECT), rich.labelled.uid)
    assert {tuple(a) for a in row["attachments"]} == {("id", "type", "value", "name")}
    assert {tuple(m) for m in row["metadata_fields"]} == {("schema_id", "schema_name", "value")}
    assert list(row["metadata_fields"][-1]["value"]) == ["schema_id", "schema_name"]
    assert [list(e) for e in row["embeddings"]] == [
        ["id", "name", "dimensions", "is_custom", "values"]
    ]
    assert {tuple(t) for t in _project(row, rich)["project_tags"]} == {("id", "text", "color")}


def test_image_media_attributes_keep_their_stored_order(
    rich: RichCatalog, exported: ExportCache
) -> None:
    row = row_by_id(exported("project"), rich.labelled.uid)
    assert list(row["media_attributes"].items()) == [
        ("height", 480),
        ("width", 640),
        ("asset_type", "image"),
        ("mime_type", "image/jpeg"),
        ("exif_rotation", "1"),
    ]


def test_annotations_of_an_image_label_have_objects_classifications_relationships(
    rich: RichCatalog, exported: ExportCache
) -> None:
    (label,) = _project(row_by_id(exported("project"), rich.labelled.uid), rich)["labels"]
    annotations = label["annotations"]
    assert list(annotations) == ["objects", "classifications", "relationships"]
    (box,) = annotations["objects"]
    assert {"feature_id", "feature_schema_id", "name", "value"} <= set(box)
    assert (box["annotation_kind"], box["bounding_box"]) == (
        "ImageBoundingBox",
        {"top": 1.0, "left": 2.0, "height": 3.0, "width": 4.0},
    )
    answers = {c["name"]: c for c in annotations["classifications"]}
    assert answers["quality"]["radio_answer"]["name"] == "good"
    assert [a["name"] for a in answers["tags"]["checklist_answers"]] == ["day", "night"]
    assert answers["note"]["text_answer"] == {"content": "clear"}


# -- rowport's choices where the reference is silent -----------------------------------------


def test_external_id_and_global_key_are_omitted_when_unset(
    rich: RichCatalog, exported: ExportCache
) -> None:
    row = row_by_id(exported("project", ALL_PROJECT), rich.rows[3].uid)
    assert list(row["data_row"]) == ["id", "row_data", "details"]


def test_media_attributes_are_an_empty_dict_when_nothing_is_stored(
    rich: RichCatalog, exported: ExportCache
) -> None:
    assert row_by_id(exported("project"), rich.rows[3].uid)["media_attributes"] == {}


def test_rows_come_in_creation_order(rich: RichCatalog, exported: ExportCache) -> None:
    ids = [row["data_row"]["id"] for row in exported("catalog")]
    expected = [r.uid for r in rich.rows] + [r.uid for r in rich.texts]
    assert ids == expected
