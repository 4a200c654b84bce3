"""``--param`` and ``--filter`` values are read into the mappings an export takes."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from rowport.cli._options import parse_filters, parse_params
from rowport.errors import InvalidExportRequest
from rowport.request import ExportKind, build_request


def test_a_bare_param_is_switched_on() -> None:
    assert parse_params(["label_details"]) == {"label_details": True}


@pytest.mark.parametrize(
    ("text", "value"),
    [("false", False), ("False", False), ("0", False), ("no", False), ("true", True), ("on", True)],
)
def test_a_param_takes_true_or_false(text: str, value: bool) -> None:
    assert parse_params([f"label_details={text}"]) == {"label_details": value}


def test_a_param_that_is_neither_true_nor_false_is_refused() -> None:
    with pytest.raises(InvalidExportRequest, match="'label_details' is on or off"):
        parse_params(["label_details=maybe"])


def test_list_params_split_on_commas_and_drop_blanks() -> None:
    assert parse_params(["project_ids=a, b,,", "model_run_ids=r1"]) == {
        "project_ids": ["a", "b"],
        "model_run_ids": ["r1"],
    }


def test_media_type_override_is_kept_as_text() -> None:
    assert parse_params(["media_type_override=image"]) == {"media_type_override": "image"}


def test_a_list_param_needs_a_value() -> None:
    with pytest.raises(InvalidExportRequest, match="'project_ids' needs a value"):
        parse_params(["project_ids"])


def test_an_unknown_param_is_left_for_the_request_to_name() -> None:
    params = parse_params(["labl_details=yes"])
    with pytest.raises(InvalidExportRequest, match="did you mean 'label_details'"):
        build_request(ExportKind.PROJECT, scope_ids=["p"], params=params)


def test_a_param_given_twice_is_refused() -> None:
    with pytest.raises(InvalidExportRequest, match="given twice"):
        parse_params(["label_details", "label_details=false"])


def test_a_param_without_a_name_is_refused() -> None:
    with pytest.raises(InvalidExportRequest, match="has no name"):
        parse_params(["=true"])


def test_workflow_status_is_kept_as_text() -> None:
    assert parse_filters(["workflow_status=InReview"]) == {"workflow_status": "InReview"}


@pytest.mark.parametrize("key", ["batch_ids", "global_keys", "data_row_ids"])
def test_id_list_filters_split_on_commas(key: str) -> None:
    assert parse_filters([f"{key}=k1,k2"]) == {key: ["k1", "k2"]}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2024-01-01,2024-02-01", ["2024-01-01", "2024-02-01"]),
        ("2024-01-01,", ["2024-01-01", None]),
        (",2024-02-01", [None, "2024-02-01"]),
        (" , ", [None, None]),
        (
            "2024-01-01 10:00:00, 2024-01-02 00:00:00",
            ["2024-01-01 10:00:00", "2024-01-02 00:00:00"],
        ),
        ("2024-01-01T10:00:00+0230,", ["2024-01-01T10:00:00+0230", None]),
    ],
)
def test_date_filters_read_start_and_end_either_of_which_may_be_open(
    text: str, value: list[str | None]
) -> None:
    assert parse_filters([f"last_activity_at={text}"]) == {"last_activity_at": value}


def test_parsed_dates_with_offsets_reach_the_request_in_utc() -> None:
    filters = parse_filters(["label_created_at=2024-01-01T10:00:00+0230,"])
    request = build_request(ExportKind.PROJECT, scope_ids=["p"], filters=filters)
    assert request.filters.label_created_at is not None
    assert request.filters.label_created_at.start == datetime(
        2024, 1, 1, 7, 30, tzinfo=timezone.utc
    )
    assert request.filters.label_created_at.end is None


@pytest.mark.parametrize("text", ["2024-01-01", "a,b,c"])
def test_a_date_filter_without_exactly_one_comma_is_refused(text: str) -> None:
    with pytest.raises(InvalidExportRequest, match="takes START,END"):
        parse_filters([f"last_activity_at={text}"])


def test_a_filter_needs_a_value() -> None:
    with pytest.raises(InvalidExportRequest, match="'workflow_status' needs a value"):
        parse_filters(["workflow_status"])


def test_a_filter_given_twice_is_refused() -> None:
    with pytest.raises(InvalidExportRequest, match="given twice"):
        parse_filters(["batch_ids=a", "batch_ids=b"])


def test_no_values_read_as_empty_mappings() -> None:
    assert (parse_params([]), parse_filters([])) == ({}, {})
