"""Property tests: whatever a caller passes to the request builders (dates, numbers, ids,
nested values of any JSON-ish kind), the only error that comes out is InvalidExportRequest."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rowport.errors import InvalidExportRequest
from rowport.request import ExportOptions, build_request
from rowport.request._build import request_from_dict
from rowport.request._dates import parse_date_range, resolve_zone

KINDS = ["project", "dataset", "slice", "model_run", "data_rows", "catalog"]
FILTER_NAMES = [
    "last_activity_at",
    "label_created_at",
    "workflow_status",
    "batch_ids",
    "global_keys",
    "data_row_ids",
    "unknown",
]
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Dates as the three formats write them, with digits anywhere in range and out of it.
_digits = st.integers(min_value=0, max_value=9999)
date_text = st.builds(
    "{:04d}-{:02d}-{:02d}{}".format,
    _digits,
    st.integers(0, 99),
    st.integers(0, 99),
    st.one_of(
        st.just(""),
        st.builds(" {:02d}:{:02d}:{:02d}".format, *[st.integers(0, 99)] * 3),
        st.builds(
            "T{:02d}:{:02d}:{:02d}{}{}{:02d}{}{:02d}".format,
            *[st.integers(0, 99)] * 3,
            st.sampled_from(["", ".5", ".123456789"]),
            st.sampled_from(["+", "-"]),
            st.integers(0, 99),
            st.sampled_from(["", ":"]),
            st.integers(0, 99),
        ),
        st.sampled_from(["Z", "T00:00:00Z", "T23:59:59.999999Z"]),
    ),
)
aware = st.datetimes(
    min_value=datetime.min, max_value=datetime.max, timezones=st.none() | st.timezones()
) | st.datetimes().map(lambda d: d.replace(tzinfo=timezone(timedelta(hours=-23, minutes=-59))))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    date_text,
    aware,
    st.binary(max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=12) | st.sampled_from(FILTER_NAMES), inner, max_size=4)
    ),
    max_leaves=12,
)
date_pair = st.tuples(date_text | aware | st.none() | scalars, date_text | aware | st.none())
filters = st.dictionaries(
    st.sampled_from(FILTER_NAMES), values | date_pair | st.lists(st.text(max_size=8)), max_size=4
)
zones = st.sampled_from(["UTC", "America/New_York", "Pacific/Kiritimati", "Etc/GMT+12", ""])


def _only_invalid_request(call: Any) -> None:
    try:
        call()
    except InvalidExportRequest:
        pass


@SETTINGS
@example(pair=("9999-12-31T23:59:59-0500", None), zone="UTC")
@example(pair=("0001-01-01T00:00:00+2359", None), zone="UTC")
@example(pair=("9999-12-31 23:59:59", None), zone="Pacific/Kiritimati")
@example(pair=("0001-01-01", "0001-01-01"), zone="America/New_York")
@example(pair=(datetime.max, None), zone="Etc/GMT+12")
@example(pair=(datetime.min.replace(tzinfo=timezone(timedelta(hours=5))), None), zone="UTC")
@given(pair=date_pair, zone=zones.filter(bool))
def test_a_date_range_is_read_or_refused_as_an_invalid_request(pair: Any, zone: str) -> None:
    _only_invalid_request(lambda: parse_date_range("last_activity_at", pair, resolve_zone(zone)))


def test_the_reported_overflowing_date_names_the_filter_and_the_value() -> None:
    with pytest.raises(InvalidExportRequest, match=r"'last_activity_at' has a date out of range"):
        build_request(
            "project",
            scope_ids=["p"],
            filters={"last_activity_at": ["9999-12-31T23:59:59-0500", None]},
        )


@SETTINGS
@given(
    kind=st.sampled_from(KINDS) | values,
    scope_ids=st.lists(st.text(max_size=10), max_size=3) | values,
    scope_by=st.sampled_from(["id", "global_key"]) | values,
    params=st.dictionaries(st.text(max_size=24), values, max_size=4) | values,
    filters=filters | values,
    task_name=st.none() | st.text(max_size=10) | values,
    zone=zones | values,
)
def test_build_request_refuses_anything_as_an_invalid_request(
    kind: Any, scope_ids: Any, scope_by: Any, params: Any, filters: Any, task_name: Any, zone: Any
) -> None:
    _only_invalid_request(
        lambda: build_request(
            kind,
            scope_ids=scope_ids,
            scope_by=scope_by,
            params=params,
            filters=filters,
            task_name=task_name,
            timezone=zone,
        )
    )


@SETTINGS
@given(
    on_row_error=values,
    max_error_ratio=values,
    sinks=st.lists(values, max_size=3),
    plugin_options=values,
)
def test_export_options_refuse_anything_as_an_invalid_request(
    on_row_error: Any, max_error_ratio: Any, sinks: Any, plugin_options: Any
) -> None:
    _only_invalid_request(
        lambda: ExportOptions.build(
            on_row_error=on_row_error,
            max_error_ratio=max_error_ratio,
            sinks=sinks,
            plugin_options=plugin_options,
        )
    )


@SETTINGS
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "kind": st.sampled_from(KINDS) | values,
            "scope_ids": values,
            "scope_by": values,
            "params": values,
            "filters": filters | values,
            "task_name": values,
            "options": values,
        },
    )
    | values
)
def test_a_stored_request_is_read_or_refused_as_an_invalid_request(data: Any) -> None:
    _only_invalid_request(lambda: request_from_dict(data))
