"""``--plugin-option`` values: dotted keys nest, values are JSON or text."""

from __future__ import annotations

import pytest

from rowport.cli._options import parse_plugin_options
from rowport.errors import InvalidExportRequest


def test_dotted_keys_nest_and_values_are_json_or_text() -> None:
    assert parse_plugin_options(
        ["media.fetch=missing", "media.timeout=2.5", "image.clip=true", "plain=1", "deep.a.b=[1]"]
    ) == {
        "media": {"fetch": "missing", "timeout": 2.5},
        "image": {"clip": True},
        "plain": 1,
        "deep": {"a": {"b": [1]}},
    }


def test_a_whole_object_can_still_be_given() -> None:
    assert parse_plugin_options(['media={"fetch": "always"}']) == {"media": {"fetch": "always"}}


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["media"], "must look like KEY=VALUE"),
        (["media..fetch=1"], "must look like KEY=VALUE"),
        (["=1"], "must look like KEY=VALUE"),
        (["media=1", "media.fetch=off"], "'media' was given a value"),
        (["media.fetch=off", "media=1"], "'media' already holds options"),
    ],
)
def test_malformed_items_are_named(items: list[str], message: str) -> None:
    with pytest.raises(InvalidExportRequest, match=message):
        parse_plugin_options(items)
