"""Sink options kept with a task: secrets are withheld and named; a re-delivery reuses the rest."""

from __future__ import annotations

from typing import Any

import pytest

from rowport.sinks._stored import missing_withheld, redact_request, redact_sink_options


@pytest.mark.parametrize(
    ("options", "stored", "withheld"),
    [
        ({"path": "out.ndjson"}, {"path": "out.ndjson"}, []),
        (
            {"url": "https://x", "headers": {"Authorization": "Bearer T", "X-Id": "1"}},
            {"url": "https://x"},
            ["headers.Authorization", "headers.X-Id"],
        ),
        (
            {"bucket": "b", "api_key": "k", "Password": "p", "access_token": "t"},
            {"bucket": "b"},
            ["api_key", "Password", "access_token"],
        ),
        (
            {"auth": {"user": "me", "secret": "s"}, "retries": 3},
            {"retries": 3},
            ["auth"],
        ),
        (
            {"s3": {"region": "eu", "secret_access_key": "s"}},
            {"s3": {"region": "eu"}},
            ["s3.secret_access_key"],
        ),
    ],
)
def test_secrets_are_withheld_by_name(
    options: dict[str, Any], stored: dict[str, Any], withheld: list[str]
) -> None:
    assert redact_sink_options(options) == (stored, withheld)


def test_a_stored_request_keeps_each_sink_without_its_secrets() -> None:
    request = {
        "kind": "dataset",
        "options": {
            "on_row_error": "skip",
            "sinks": [
                {"name": "webhook", "options": {"url": "u", "headers": {"Authorization": "T"}}},
                {"name": "stdout", "options": {}},
            ],
        },
    }
    assert redact_request(request) == {
        "kind": "dataset",
        "options": {
            "on_row_error": "skip",
            "sinks": [
                {"name": "webhook", "options": {"url": "u"}, "withheld": ["headers.Authorization"]},
                {"name": "stdout", "options": {}},
            ],
        },
    }
    assert request["options"]["sinks"][0]["options"]["headers"] == {"Authorization": "T"}


def test_a_withheld_option_is_supplied_by_giving_its_option_again() -> None:
    withheld = ["headers.Authorization", "token"]
    assert missing_withheld(withheld, {}) == withheld
    assert missing_withheld(withheld, {"headers": {}}) == ["token"]
    assert missing_withheld(withheld, {"headers": {"Authorization": "T"}, "token": "t"}) == []
