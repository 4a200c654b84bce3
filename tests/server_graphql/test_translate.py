"""The SDK's date filters translated to native ones: each read in the ``timezone`` it names
(``YYYY-MM-DD`` is that local day's 00:00:00, an explicit offset wins), kept as UTC moments;
an unknown zone is refused naming the filter and the zone."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from rowport.errors import InvalidExportRequest
from rowport.server.graphql._translate import translate_export

UTC = timezone.utc


def _filters(*query: dict[str, Any]) -> dict[str, Any]:
    variables = {
        "input": {
            "filters": {"projectId": "p", "searchQuery": {"scope": None, "query": list(query)}}
        }
    }
    return translate_export("exportDataRowsInProjectPyApi", variables).filters


def _date(kind: str, operator: str, value: Any, zone: str | None) -> dict[str, Any]:
    return {"type": kind, "value": {"operator": operator, "timezone": zone, "value": value}}


def test_between_reads_both_bounds_in_the_zone_it_names() -> None:
    got = _filters(
        _date(
            "data_row_last_activity_at",
            "BETWEEN",
            {"min": "2024-03-01", "max": "2024-03-05 12:30:00"},
            "America/New_York",
        )
    )
    # New York is UTC-5 in early March: a date is that local day's 00:00:00
    assert got == {
        "last_activity_at": [
            datetime(2024, 3, 1, 5, tzinfo=UTC),
            datetime(2024, 3, 5, 17, 30, tzinfo=UTC),
        ]
    }


def test_one_sided_forms_and_daylight_saving_time() -> None:
    got = _filters(
        _date("labeled_at", "GREATER_THAN_OR_EQUAL", "2024-07-01 00:00:00", "Europe/Berlin"),
        _date("data_row_last_activity_at", "LESS_THAN_OR_EQUAL", "2024-01-15", "Asia/Kolkata"),
    )
    assert got == {
        # Berlin is on summer time (UTC+2) in July, Kolkata UTC+05:30 all year
        "label_created_at": [datetime(2024, 6, 30, 22, tzinfo=UTC), None],
        "last_activity_at": [None, datetime(2024, 1, 14, 18, 30, tzinfo=UTC)],
    }


def test_two_filters_may_name_different_zones_and_an_offset_wins() -> None:
    # what the SDK sends for an ISO bound: the bound rewritten with +0000 and timezone UTC,
    # while the other filter keeps the user's zone
    got = _filters(
        _date(
            "data_row_last_activity_at", "GREATER_THAN_OR_EQUAL", "2024-03-01T10:00:00+0000", "UTC"
        ),
        _date(
            "labeled_at",
            "BETWEEN",
            {"min": "2024-03-01T00:00:00+0530", "max": "2024-03-02"},
            "America/Los_Angeles",
        ),
    )
    assert got == {
        "last_activity_at": [datetime(2024, 3, 1, 10, tzinfo=UTC), None],
        "label_created_at": [
            datetime(2024, 2, 29, 18, 30, tzinfo=UTC),
            datetime(2024, 3, 2, 8, tzinfo=UTC),
        ],
    }


def test_no_timezone_is_utc_and_an_ambiguous_local_time_is_its_first_occurrence() -> None:
    got = _filters(_date("labeled_at", "GREATER_THAN_OR_EQUAL", "2024-03-01 08:00:00", None))
    assert got == {"label_created_at": [datetime(2024, 3, 1, 8, tzinfo=UTC), None]}
    # 01:30 happens twice in New York on 2024-11-03: the first (EDT, UTC-4) counts
    got = _filters(
        _date("labeled_at", "LESS_THAN_OR_EQUAL", "2024-11-03 01:30:00", "America/New_York")
    )
    assert got == {"label_created_at": [None, datetime(2024, 11, 3, 5, 30, tzinfo=UTC)]}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            _date("labeled_at", "GREATER_THAN_OR_EQUAL", "2024-03-01", "Mars/Olympus_Mons"),
            "date filter 'labeled_at' (label_created_at): unknown timezone 'Mars/Olympus_Mons';"
            " use an IANA zone name",
        ),
        (
            _date("labeled_at", "GREATER_THAN_OR_EQUAL", "2024-03-01", ""),
            "unknown timezone ''",
        ),
        (
            _date("data_row_last_activity_at", "LESS_THAN_OR_EQUAL", "03/01/2024", "UTC"),
            "filter 'last_activity_at' has an invalid date '03/01/2024'",
        ),
        (
            _date(
                "labeled_at",
                "BETWEEN",
                {"min": "2024-03-02", "max": "2024-03-01 23:00:00"},
                "Asia/Tokyo",
            ),
            "filter 'label_created_at' starts after it ends",
        ),
    ],
)
def test_bad_dates_and_zones_are_refused_by_name(item: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidExportRequest) as refused:
        _filters(item)
    assert message in str(refused.value)
