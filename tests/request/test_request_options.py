"""Export options are a typed record, checked once, stored as the options that were set."""

from __future__ import annotations

import pytest

from rowport.errors import InvalidExportRequest
from rowport.request import ExportKind, ExportOptions, ExportRequest, build_request


def test_options_hold_typed_fields_and_read_as_the_mapping_that_was_set() -> None:
    options = ExportOptions.build(on_row_error="skip", plugin_options={"media": {"fetch": False}})
    assert options.on_row_error == "skip" and options.max_error_ratio is None
    assert options.plugin_options == {"media": {"fetch": False}}
    assert dict(options) == {"on_row_error": "skip", "plugin_options": {"media": {"fetch": False}}}


def test_unset_options_resolve_to_the_default_policy() -> None:
    options = ExportOptions.build()
    assert len(options) == 0 and options.row_error_policy == "keep" and options.sinks == ()


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"on_row_error": "drop"}, "on_row_error must be one of keep, skip, fail, got 'drop'"),
        ({"max_error_ratio": 2}, "max_error_ratio must be a number from 0 to 1, got 2"),
        ({"plugin_options": [1]}, "plugin_options must be a dict"),
        ({"plugin_options": {"x": object}}, "plugin_options must be JSON values"),
    ],
)
def test_bad_options_are_refused_naming_the_option(given: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidExportRequest, match=message.replace("(", r"\(")):
        ExportOptions.build(**given)  # type: ignore[arg-type]


def test_options_round_trip_through_a_stored_request() -> None:
    options = ExportOptions.from_mapping(
        {"max_error_ratio": 0.5, "plugin_options": {"a": 1}, "shards": 4}
    )
    request = ExportRequest(kind=ExportKind.CATALOG, options=options)
    again = ExportRequest.from_dict(request.to_dict())
    assert again.options == {"max_error_ratio": 0.5, "plugin_options": {"a": 1}, "shards": 4}
    assert again.options.max_error_ratio == 0.5 and again.options.extra == {"shards": 4}
    assert build_request("catalog").to_dict()["options"] == {}
