"""Date range filters: the three formats, open ends, time zones and UTC normalisation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rowport.errors import InvalidExportRequest
from rowport.request import DateRange, ExportKind, build_request

UTC = timezone.utc


def _range(value: Any, tz: str = "UTC", name: str = "last_activity_at") -> DateRange | None:
    request = build_request(
        ExportKind.PROJECT, scope_ids=["p1"], filters={name: value}, timezone=tz
    )
    result: DateRange | None = getattr(request.filters, name)
    return result


def _start(text: Any, tz: str = "UTC") -> datetime | None:
    found = _range([text, None], tz)
    assert found is not None
    return found.start


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01 13:14:15", datetime(2024, 1, 1, 13, 14, 15, tzinfo=UTC)),
        ("2024-01-01T13:14:15+0000", datetime(2024, 1, 1, 13, 14, 15, tzinfo=UTC)),
    ],
    ids=["date", "date-time", "iso"],
)
def test_each_reference_format_is_accepted(text: str, expected: datetime) -> None:
    assert _start(text) == expected


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("2024-01-01", "America/New_York", datetime(2024, 1, 1, 5, tzinfo=UTC)),
        ("2024-07-01 12:00:00", "America/New_York", datetime(2024, 7, 1, 16, tzinfo=UTC)),
        ("2024-01-01 00:00:00", "Asia/Tokyo", datetime(2023, 12, 31, 15, tzinfo=UTC)),
    ],
)
def test_naive_dates_are_read_in_the_timezone(text: str, tz: str, expected: datetime) -> None:
    assert _start(text, tz) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-01T18:00:00+0530",
        "2024-01-01T18:00:00+05:30",
        "2024-01-01T12:30:00Z",
        "2024-01-01T07:30:00-0500",
    ],
)
def test_iso_offsets_are_converted_to_utc(text: str) -> None:
    start = _start(text, "America/New_York")  # an explicit offset wins over the setting
    assert start == datetime(2024, 1, 1, 12, 30, tzinfo=UTC)
    assert start is not None and start.tzinfo is UTC


def test_iso_fractional_seconds_are_kept() -> None:
    assert _start("2024-01-01T00:00:00.25Z") == datetime(2024, 1, 1, 0, 0, 0, 250000, tzinfo=UTC)


def test_datetimes_are_accepted_and_naive_ones_read_in_the_timezone() -> None:
    aware = datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    found = _range([aware, datetime(2024, 1, 1, 12)], "Europe/Paris")
    assert found == DateRange(
        start=datetime(2024, 1, 1, 10, tzinfo=UTC), end=datetime(2024, 1, 1, 11, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ([None, "2024-01-02"], None, datetime(2024, 1, 2, tzinfo=UTC)),
        (("2024-01-02", None), datetime(2024, 1, 2, tzinfo=UTC), None),
        (
            ["2024-01-02", "2024-01-02"],
            datetime(2024, 1, 2, tzinfo=UTC),
            datetime(2024, 1, 2, tzinfo=UTC),
        ),
    ],
)
def test_either_end_may_be_open(value: Any, start: datetime | None, end: datetime | None) -> None:
    assert _range(value) == DateRange(start=start, end=end)


def test_both_ends_none_is_no_filter() -> None:
    assert _range([None, None]) is None


@pytest.mark.parametrize(
    "text",
    [
        "2024/01/01",
        "01-01-2024",
        "2024-1-1",
        "2024-01-01T00:00:00",  # ISO without an offset is none of the three formats
        "2024-01-01 00:00",
        "2024-01-01 00:00:00.5",
        "2024-02-30",
        "2024-01-01 24:00:00",
        "2024-01-01T00:00:00+2400",
        "yesterday",
        "",
        20240101,
        1.5,
    ],
)
def test_invalid_date_names_filter_value_and_formats(text: Any) -> None:
    with pytest.raises(InvalidExportRequest) as info:
        _range([text, None], name="label_created_at")
    message = str(info.value)
    assert message.startswith(f"filter 'label_created_at' has an invalid date {text!r}")
    assert "YYYY-MM-DD, " not in message  # the alias is spelled out
    for fmt in ("YYYY-MM-DD (alias", "YYYY-MM-DD hh:mm:ss", "YYYY-MM-DDThh:mm:ss±hhmm"):
        assert fmt in message


@pytest.mark.parametrize("value", ["2024-01-01", ["2024-01-01"], ["a", "b", "c"], [], 3, {"a": 1}])
def test_range_must_be_two_items(value: Any) -> None:
    with pytest.raises(
        InvalidExportRequest, match="filter 'last_activity_at' must be a list of two"
    ):
        _range(value)


def test_start_after_end_is_rejected() -> None:
    with pytest.raises(
        InvalidExportRequest, match="filter 'last_activity_at' starts after it ends"
    ):
        _range(["2024-01-02", "2024-01-01 23:59:59"])


def test_start_after_end_is_judged_in_utc() -> None:
    # 00:30 in Kolkata is 19:00 UTC the day before, earlier than 20:00 UTC.
    found = _range(["2024-01-02T00:30:00+0530", "2024-01-01T20:00:00Z"])
    assert found is not None and found.start == datetime(2024, 1, 1, 19, tzinfo=UTC)


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "", "../etc/passwd", 5])
def test_unknown_timezone_is_named(tz: Any) -> None:
    with pytest.raises(InvalidExportRequest, match=f"unknown timezone {tz!r}"):
        build_request(ExportKind.CATALOG, timezone=tz)


def test_contains_is_inclusive_on_both_ends() -> None:
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)
    window = DateRange(start=start, end=end)
    assert window.contains(start)
    assert window.contains(end)
    assert not window.contains(end + timedelta(microseconds=1))
    assert not window.contains(start - timedelta(microseconds=1))


def test_contains_with_open_ends() -> None:
    when = datetime(2024, 1, 1, tzinfo=UTC)
    assert DateRange(start=None, end=when).contains(datetime(1970, 1, 1, tzinfo=UTC))
    assert DateRange(start=when, end=None).contains(datetime(2999, 1, 1, tzinfo=UTC))
    assert DateRange().contains(when)


def test_contains_compares_instants_across_zones() -> None:
    window = DateRange(start=datetime(2024, 1, 1, 5, tzinfo=UTC), end=None)
    assert window.contains(datetime(2024, 1, 1, tzinfo=ZoneInfo("America/New_York")))
    assert not window.contains(datetime(2024, 1, 1, 4, 59, tzinfo=UTC))


def test_epochs() -> None:
    window = DateRange(start=datetime(1970, 1, 2, tzinfo=UTC), end=None)
    assert window.start_epoch == 86400.0
    assert window.end_epoch is None


def test_date_range_keeps_utc_and_refuses_naive_datetimes() -> None:
    tokyo = datetime(2024, 1, 1, 9, tzinfo=ZoneInfo("Asia/Tokyo"))
    start = DateRange(start=tokyo).start
    assert start == datetime(2024, 1, 1, tzinfo=UTC)
    assert start is not None and start.tzinfo is UTC
    with pytest.raises(ValueError, match="timezone-aware"):
        DateRange(start=datetime(2024, 1, 1))
