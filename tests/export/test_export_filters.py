"""Filters select rows: each alone, combined with AND, open-ended, in every date format and zone.

The timed catalog (see ``export_support.TIMED_ROWS``), all times UTC:

===  ==================  ==========  =====  ======================  =====================
key  last_activity_at    status      batch  label in the project    label elsewhere
===  ==================  ==========  =====  ======================  =====================
t-0  2024-01-10 12:00    DONE        B1     2024-01-05 10:00
t-1  2024-02-10 12:00    IN_REVIEW   B1     2024-02-01 10:00
t-2  2024-03-10 12:00    TO_LABEL    B2                             2024-02-15 10:00
t-3  2024-04-10 03:00    IN_REWORK   B2     2024-04-01 02:00
t-4  2024-05-10 12:00    TO_LABEL    B3
t-5  2024-01-20 00:00    (in the dataset only)
===  ==================  ==========  =====  ======================  =====================
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from export_support import (
    BATCHES,
    TIMED_PROJECT,
    TimedCatalog,
    keys_of,
    result_rows,
    timed_row_id,
)

import rowport

# -- last_activity_at -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "window", "expected"),
    [
        ("project", ["2024-02-01", "2024-04-01"], ["t-1", "t-2"]),
        ("project", [None, "2024-02-01"], ["t-0"]),
        ("project", ["2024-04-01", None], ["t-3", "t-4"]),
        ("project", [None, None], ["t-0", "t-1", "t-2", "t-3", "t-4"]),
        ("dataset", ["2024-01-15", "2024-02-15"], ["t-1", "t-5"]),
        ("dataset", [None, "2024-01-31"], ["t-0", "t-5"]),
        ("dataset", ["2024-05-01", None], ["t-4"]),
    ],
    ids=[
        "closed",
        "open-start",
        "open-end",
        "open-both",
        "ds-closed",
        "ds-open-start",
        "ds-open-end",
    ],
)
def test_last_activity_at_selects_rows_active_in_the_window(
    timed: TimedCatalog, kind: str, window: list[str | None], expected: list[str]
) -> None:
    assert timed.export(kind, {"last_activity_at": window}) == expected


def test_last_activity_at_window_includes_both_ends(timed: TimedCatalog) -> None:
    window = ["2024-02-10 12:00:00", "2024-03-10 12:00:00"]
    assert timed.export("project", {"last_activity_at": window}) == ["t-1", "t-2"]


def test_date_only_end_means_midnight_at_the_start_of_that_day(timed: TimedCatalog) -> None:
    # t-0 is at noon on 2024-01-10: after "2024-01-10" (= 00:00:00), before "2024-01-11"
    assert timed.export("project", {"last_activity_at": [None, "2024-01-10"]}) == []
    assert timed.export("project", {"last_activity_at": [None, "2024-01-11"]}) == ["t-0"]


def test_catalog_export_filters_last_activity_at_across_datasets(timed: TimedCatalog) -> None:
    task = timed.client.get_catalog().export(filters={"last_activity_at": ["2024-05-01", None]})
    assert keys_of(result_rows(task)) == ["t-4"]


# -- the three date formats -------------------------------------------------------------------


@pytest.mark.parametrize(
    "window",
    [
        ["2024-02-01", "2024-04-01"],
        ["2024-02-01 00:00:00", "2024-04-01 00:00:00"],
        ["2024-02-01T00:00:00+0000", "2024-04-01T00:00:00+0000"],
        ["2024-02-01T01:00:00+0100", "2024-03-31T19:00:00-0500"],
    ],
    ids=["YYYY-MM-DD", "YYYY-MM-DD hh:mm:ss", "ISO-utc", "ISO-offsets"],
)
def test_every_date_format_reads_the_same_instant(timed: TimedCatalog, window: list[str]) -> None:
    assert timed.export("project", {"last_activity_at": window}) == ["t-1", "t-2"]


def test_iso_offset_shifts_the_instant(timed: TimedCatalog) -> None:
    # 13:00 at +01:00 is t-1's 12:00 UTC exactly (ends are inclusive); 12:00 at -01:00 is after
    after = ["t-1", "t-2", "t-3", "t-4"]
    assert (
        timed.export("project", {"last_activity_at": ["2024-02-10T13:00:00+0100", None]}) == after
    )
    assert (
        timed.export("project", {"last_activity_at": ["2024-02-10T12:00:00-0100", None]})
        == after[1:]
    )


def test_datetime_objects_are_accepted(timed: TimedCatalog) -> None:
    window = [datetime(2024, 2, 1), datetime(2024, 4, 1)]  # naive: the client's zone (UTC)
    assert timed.export("project", {"last_activity_at": window}) == ["t-1", "t-2"]


# -- time zones -------------------------------------------------------------------------------


@pytest.fixture
def new_york(timed: TimedCatalog, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A second client on the timed home that reads naive dates in America/New_York."""
    for name, value in timed.env.items():  # the timed catalog's own database, on postgres
        monkeypatch.setenv(name, value)
    with rowport.Client(timed.home, timezone="America/New_York") as client:
        yield client


def _keys(client: rowport.Client, filters: dict[str, Any]) -> list[str]:
    return keys_of(result_rows(client.get_project(TIMED_PROJECT).export(filters=filters)))


def test_naive_datetime_is_read_in_the_client_time_zone(
    timed: TimedCatalog, new_york: rowport.Client
) -> None:
    # t-3 is 2024-04-10 03:00 UTC = 2024-04-09 23:00 in New York
    window = [None, "2024-04-09 23:30:00"]
    assert _keys(new_york, {"last_activity_at": window})[-1] == "t-3"
    assert timed.export("project", {"last_activity_at": window})[-1] == "t-2"


def test_naive_date_is_midnight_in_the_client_time_zone(
    timed: TimedCatalog, new_york: rowport.Client
) -> None:
    # midnight 2024-04-10 in New York is 04:00 UTC, after t-3
    window = ["2024-04-10", None]
    assert _keys(new_york, {"last_activity_at": window}) == ["t-4"]
    assert timed.export("project", {"last_activity_at": window}) == ["t-3", "t-4"]


def test_date_with_an_offset_ignores_the_client_time_zone(new_york: rowport.Client) -> None:
    window = ["2024-04-10T00:00:00+0000", None]
    assert _keys(new_york, {"last_activity_at": window}) == ["t-3", "t-4"]


def test_label_created_at_is_read_in_the_client_time_zone(
    timed: TimedCatalog, new_york: rowport.Client
) -> None:
    # t-3's label is 2024-04-01 02:00 UTC = 2024-03-31 22:00 in New York
    window = ["2024-03-01", "2024-03-31 23:00:00"]
    assert _keys(new_york, {"label_created_at": window}) == ["t-3"]
    assert timed.export("project", {"label_created_at": window}) == []


# -- label_created_at -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "window", "expected"),
    [
        ("project", ["2024-01-01", "2024-02-28"], ["t-0", "t-1"]),
        ("project", [None, "2024-01-31"], ["t-0"]),
        ("project", ["2024-02-01", None], ["t-1", "t-3"]),
        ("dataset", ["2024-01-01", "2024-02-28"], ["t-0", "t-1", "t-2"]),
        ("dataset", ["2024-02-10", "2024-02-20"], ["t-2"]),
    ],
    ids=["closed", "open-start", "open-end", "ds-any-project", "ds-other-project-only"],
)
def test_label_created_at_selects_rows_with_a_label_created_in_the_window(
    timed: TimedCatalog, kind: str, window: list[str | None], expected: list[str]
) -> None:
    assert timed.export(kind, {"label_created_at": window}) == expected


def test_project_label_created_at_ignores_labels_of_other_projects(timed: TimedCatalog) -> None:
    # t-2 has a label created 2024-02-15, but in the other project
    assert timed.export("project", {"label_created_at": ["2024-02-10", "2024-02-20"]}) == []


def test_label_created_at_leaves_out_rows_without_labels(timed: TimedCatalog) -> None:
    assert timed.export("project", {"label_created_at": ["2000-01-01", None]}) == [
        "t-0",
        "t-1",
        "t-3",
    ]


# -- workflow_status, batch_ids, global_keys, data_row_ids ------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [("ToLabel", ["t-2", "t-4"]), ("InReview", ["t-1"]), ("InRework", ["t-3"]), ("Done", ["t-0"])],
)
def test_workflow_status_selects_rows_in_that_status(
    timed: TimedCatalog, status: str, expected: list[str]
) -> None:
    assert timed.export("project", {"workflow_status": status}) == expected


def test_workflow_status_accepts_the_enum(timed: TimedCatalog) -> None:
    assert timed.export("project", {"workflow_status": rowport.WorkflowStatus.IN_REVIEW}) == ["t-1"]


@pytest.mark.parametrize(
    ("batches", "expected"),
    [(["B1"], ["t-0", "t-1"]), (["B2", "B3"], ["t-2", "t-3", "t-4"]), (["B3"], ["t-4"])],
)
def test_batch_ids_select_rows_of_those_batches(
    timed: TimedCatalog, batches: list[str], expected: list[str]
) -> None:
    ids = [BATCHES[b] for b in batches]
    assert timed.export("project", {"batch_ids": ids}) == expected


@pytest.mark.parametrize(
    ("kind", "keys", "expected"),
    [
        ("project", ["t-3", "t-1"], ["t-1", "t-3"]),
        ("project", ["t-5", "t-0"], ["t-0"]),  # t-5 is not in the project
        ("dataset", ["t-5", "t-0"], ["t-0", "t-5"]),
        ("dataset", ["nope"], []),
    ],
    ids=["project", "project-outside", "dataset", "dataset-unknown"],
)
def test_global_keys_select_those_rows_within_the_scope(
    timed: TimedCatalog, kind: str, keys: list[str], expected: list[str]
) -> None:
    assert timed.export(kind, {"global_keys": keys}) == expected


@pytest.mark.parametrize(
    ("kind", "numbers", "expected"),
    [
        ("project", [4, 0], ["t-0", "t-4"]),
        ("project", [5], []),
        ("dataset", [5, 2], ["t-2", "t-5"]),
    ],
    ids=["project", "project-outside", "dataset"],
)
def test_data_row_ids_select_those_rows_within_the_scope(
    timed: TimedCatalog, kind: str, numbers: list[int], expected: list[str]
) -> None:
    ids = [timed_row_id(n) for n in numbers]
    assert timed.export(kind, {"data_row_ids": ids}) == expected


def test_open_both_ends_is_no_filter(timed: TimedCatalog) -> None:
    everything = timed.export("dataset", {})
    assert timed.export("dataset", {"label_created_at": [None, None]}) == everything


def test_export_that_matches_nothing_completes_with_no_result_and_no_errors(
    timed: TimedCatalog,
) -> None:
    task = timed.project.export(filters={"global_keys": ["nope"]})
    assert result_rows(task) == []
    assert (task.has_result(), task.has_errors()) == (False, False)


# -- AND --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"workflow_status": "ToLabel", "last_activity_at": ["2024-05-01", None]}, ["t-4"]),
        ({"batch_ids": [BATCHES["B2"]], "label_created_at": ["2024-03-01", None]}, ["t-3"]),
        ({"global_keys": ["t-0", "t-1", "t-2"], "workflow_status": "Done"}, ["t-0"]),
        (
            {
                "data_row_ids": [timed_row_id(n) for n in (0, 1, 2, 3)],
                "batch_ids": [BATCHES["B1"], BATCHES["B2"]],
                "last_activity_at": ["2024-02-01", None],
                "label_created_at": [None, "2024-03-01"],
            },
            ["t-1"],
        ),
        ({"workflow_status": "Done", "batch_ids": [BATCHES["B2"]]}, []),
    ],
    ids=["status+activity", "batch+label", "keys+status", "four-filters", "disjoint"],
)
def test_filters_combine_with_and_in_a_project_export(
    timed: TimedCatalog, filters: dict[str, Any], expected: list[str]
) -> None:
    assert timed.export("project", filters) == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            {"global_keys": ["t-0", "t-2", "t-5"], "label_created_at": ["2000-01-01", None]},
            ["t-0", "t-2"],
        ),
        (
            {
                "data_row_ids": [timed_row_id(n) for n in (0, 5)],
                "last_activity_at": ["2024-01-15", None],
            },
            ["t-5"],
        ),
        (
            {"last_activity_at": [None, "2024-03-31"], "label_created_at": ["2024-02-01", None]},
            ["t-1", "t-2"],
        ),
    ],
    ids=["keys+labelled", "ids+activity", "activity+label"],
)
def test_filters_combine_with_and_in_a_dataset_export(
    timed: TimedCatalog, filters: dict[str, Any], expected: list[str]
) -> None:
    assert timed.export("dataset", filters) == expected
