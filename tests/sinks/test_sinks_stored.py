"""Sink options kept with a task: secrets are withheld and named; a re-delivery reuses the rest."""

from __future__ import annotations

from typing import Any

import pytest

from rowport.sinks._stored import (
    fill_withheld,
    missing_withheld,
    redact_request,
    redact_sink_options,
)


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
        (
            {"targets": [{"url": "https://a", "token": "t"}, {"url": "https://b"}], "n": [1, 2]},
            {"n": [1, 2]},
            ["targets"],
        ),
        (
            {"targets": [{"url": "https://a"}], "tags": [["x", {"headers": {"X": "1"}}]]},
            {"targets": [{"url": "https://a"}]},
            ["tags"],
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


def test_answers_to_withheld_secrets_keep_what_was_stored_beside_them() -> None:
    options = {
        "s3": {"region": "eu", "secret_access_key": "s"},
        "auth": {"deep": {"user": "me", "token": "t"}},
        "headers": {"Authorization": "T"},
    }
    stored, withheld = redact_sink_options(options)
    assert withheld == ["s3.secret_access_key", "auth", "headers.Authorization"]
    given: dict[str, Any] = {}
    fill_withheld(given, stored, {"s3.secret_access_key": "s", "headers.Authorization": "T"})
    assert given == {
        "s3": {"region": "eu", "secret_access_key": "s"},
        "headers": {"Authorization": "T"},
    }
    assert stored == {"s3": {"region": "eu"}}  # the stored options are not changed
    nested: dict[str, Any] = {}
    fill_withheld(nested, {"a": {"b": {"url": "u"}}}, {"a.b.token": "t"})
    assert nested == {"a": {"b": {"url": "u", "token": "t"}}}
