"""Filters per export kind: which are accepted, and how their values are checked."""

from __future__ import annotations

from typing import Any

import pytest

from rowport.errors import InvalidExportRequest
from rowport.request import ExportFilters, ExportKind, WorkflowStatus, build_request

ALL_FILTERS = (
    "last_activity_at",
    "label_created_at",
    "workflow_status",
    "batch_ids",
    "global_keys",
    "data_row_ids",
)
_DATASET = {"last_activity_at", "label_created_at", "global_keys", "data_row_ids"}
ALLOWED: dict[ExportKind, set[str]] = {
    ExportKind.PROJECT: set(ALL_FILTERS),
    ExportKind.DATASET: _DATASET,
    ExportKind.CATALOG: _DATASET,
    ExportKind.SLICE: set(),
    ExportKind.MODEL_RUN: set(),
    ExportKind.DATA_ROWS: set(),
}
SCOPE = {
    ExportKind.PROJECT: ["p1"],
    ExportKind.MODEL_RUN: ["mr1"],
    ExportKind.DATASET: ["ds1"],
    ExportKind.SLICE: ["sl1"],
    ExportKind.CATALOG: [],
    ExportKind.DATA_ROWS: ["dr1"],
}
SAMPLE_VALUE: dict[str, Any] = {
    "last_activity_at": ["2024-01-01", None],
    "label_created_at": [None, "2024-01-01 12:00:00"],
    "workflow_status": "Done",
    "batch_ids": ["b1"],
    "global_keys": ["gk1"],
    "data_row_ids": ["dr1"],
}


def _build(kind: ExportKind, **filters: Any) -> ExportFilters:
    return build_request(kind, scope_ids=SCOPE[kind], filters=filters).filters


ACCEPTED = [(kind, name) for kind in ExportKind for name in sorted(ALLOWED[kind])]
REJECTED = [
    (kind, name) for kind in ExportKind for name in ALL_FILTERS if name not in ALLOWED[kind]
]


@pytest.mark.parametrize(("kind", "name"), ACCEPTED)
def test_filter_is_accepted_for_kind(kind: ExportKind, name: str) -> None:
    filters = _build(kind, **{name: SAMPLE_VALUE[name]})
    assert getattr(filters, name) is not None
    assert not filters.is_empty


@pytest.mark.parametrize(("kind", "name"), REJECTED)
def test_filter_is_rejected_as_not_supported_for_kind(kind: ExportKind, name: str) -> None:
    with pytest.raises(InvalidExportRequest, match=f"^filter '{name}' is not supported for a"):
        _build(kind, **{name: SAMPLE_VALUE[name]})


@pytest.mark.parametrize("kind", [ExportKind.SLICE, ExportKind.MODEL_RUN, ExportKind.DATA_ROWS])
@pytest.mark.parametrize("filters", [None, {}])
def test_kinds_without_filters_accept_none_or_empty(kind: ExportKind, filters: Any) -> None:
    request = build_request(kind, scope_ids=SCOPE[kind], filters=filters)
    assert request.filters.is_empty


def test_unsupported_filter_message_says_kind_takes_none() -> None:
    with pytest.raises(
        InvalidExportRequest, match=r"allowed: none \(a slice export takes no filters"
    ):
        _build(ExportKind.SLICE, global_keys=["g"])


def test_unknown_filter_names_key_and_allowed_values() -> None:
    with pytest.raises(InvalidExportRequest) as info:
        _build(ExportKind.DATASET, batch_id=["b"])
    assert str(info.value).startswith(
        "unknown filter 'batch_id' for a dataset export; allowed: data_row_ids, global_keys, "
        "label_created_at, last_activity_at"
    )


@pytest.mark.parametrize("filters", [["batch_ids"], "x", 3])
def test_filters_must_be_a_mapping(filters: Any) -> None:
    with pytest.raises(InvalidExportRequest, match=r"^filters must be a mapping"):
        build_request(ExportKind.PROJECT, scope_ids=["p1"], filters=filters)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(status.value, status) for status in WorkflowStatus]
    + [(WorkflowStatus.IN_REWORK, WorkflowStatus.IN_REWORK)],
)
def test_workflow_status_accepts_names_and_members(value: Any, expected: WorkflowStatus) -> None:
    assert _build(ExportKind.PROJECT, workflow_status=value).workflow_status is expected


@pytest.mark.parametrize("value", ["IN_REVIEW", "inreview", "Labeled", 1])
def test_unknown_workflow_status_lists_allowed_values(value: Any) -> None:
    with pytest.raises(
        InvalidExportRequest,
        match="filter 'workflow_status' must be one of ToLabel, InReview, InRework, Done",
    ):
        _build(ExportKind.PROJECT, workflow_status=value)


def test_workflow_status_has_an_upper_snake_stored_form() -> None:
    assert [status.stored for status in WorkflowStatus] == [
        "TO_LABEL",
        "IN_REVIEW",
        "IN_REWORK",
        "DONE",
    ]
    assert WorkflowStatus.from_stored("IN_REVIEW") is WorkflowStatus.IN_REVIEW


@pytest.mark.parametrize("name", ["batch_ids", "global_keys", "data_row_ids"])
def test_id_list_filter_must_not_be_empty(name: str) -> None:
    with pytest.raises(InvalidExportRequest, match=f"filter '{name}' must hold 1 to 2,000 values"):
        _build(ExportKind.PROJECT, **{name: []})


@pytest.mark.parametrize("name", ["batch_ids", "global_keys", "data_row_ids"])
def test_id_list_filter_takes_at_most_2000_values(name: str) -> None:
    assert (
        len(getattr(_build(ExportKind.PROJECT, **{name: [f"k{i}" for i in range(2000)]}), name))
        == 2000
    )
    with pytest.raises(InvalidExportRequest, match=f"filter '{name}' takes at most 2,000 values"):
        _build(ExportKind.PROJECT, **{name: [f"k{i}" for i in range(2001)]})


@pytest.mark.parametrize("value", ["b1", ["b1", 2], ["b1", ""], [None], {"b1"}])
def test_id_list_filter_must_hold_non_empty_strings(value: Any) -> None:
    with pytest.raises(
        InvalidExportRequest, match="filter 'batch_ids' must be a list of non-empty"
    ):
        _build(ExportKind.PROJECT, batch_ids=value)


@pytest.mark.parametrize("name", ["batch_ids", "global_keys", "data_row_ids"])
def test_id_list_filter_is_deduplicated_in_order(name: str) -> None:
    assert getattr(_build(ExportKind.PROJECT, **{name: ["b", "a", "b", "a"]}), name) == ("b", "a")


def test_data_row_ids_and_global_keys_cannot_be_combined() -> None:
    with pytest.raises(InvalidExportRequest, match="'data_row_ids' and 'global_keys'"):
        _build(ExportKind.DATASET, data_row_ids=["dr1"], global_keys=["gk1"])


def test_data_row_ids_with_absent_global_keys_is_fine() -> None:
    filters = _build(ExportKind.DATASET, data_row_ids=["dr1"], global_keys=None)
    assert filters.data_row_ids == ("dr1",)
    assert filters.global_keys is None


def test_none_filter_is_absent() -> None:
    assert _build(ExportKind.PROJECT, batch_ids=None, workflow_status=None).is_empty


def test_filters_are_empty_by_default() -> None:
    assert ExportFilters().is_empty
    assert build_request(ExportKind.PROJECT, scope_ids=["p1"]).filters.is_empty
