"""Naming sinks: shapes, unknown names and options, delivery options; checked before a task."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sink_support import Exported

import rowport
from rowport.errors import InvalidExportRequest, InvalidInput
from rowport.sinks import SinkSpec, check_sinks, parse_sink_specs, sink_options
from rowport_plugins.sinks import DirectorySink, StdoutSink, WebhookSink


def test_parse_sink_specs_reads_names_dicts_and_pairs():
    specs = parse_sink_specs(
        ["stdout", {"name": "webhook", "options": {"url": "http://x"}}, ("ndjson_file", {})]
    )
    assert specs == [
        SinkSpec(name="stdout"),
        SinkSpec(name="webhook", options={"url": "http://x"}),
        SinkSpec(name="ndjson_file"),
    ]
    assert parse_sink_specs([s.to_dict() for s in specs]) == specs


def test_parse_sink_specs_turns_paths_into_strings(tmp_path: Path):
    (spec,) = parse_sink_specs([("ndjson_file", {"path": tmp_path / "x"})])
    assert spec.options == {"path": str(tmp_path / "x")}


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("stdout", "must be a list"),
        ({"name": "stdout"}, "must be a list"),
        ([3], r"sinks\[0\] must be a sink name"),
        ([{"options": {}}], r"sinks\[0\]"),
        ([{"name": "stdout", "opts": {}}], r"sinks\[0\]"),
        ([("stdout",)], r"sinks\[0\]"),
        ([""], r"sinks\[0\]"),
        ([("stdout", [1])], "options must be a dict"),
        ([("stdout", {"x": object()})], "JSON values"),
        ([("stdout", {"retries": -1})], "retries must be"),
        ([("stdout", {"retries": True})], "retries must be"),
        ([("stdout", {"backoff": "slow"})], "backoff must be"),
    ],
)
def test_parse_sink_specs_rejects_bad_shapes(value: Any, match: str):
    with pytest.raises(InvalidInput, match=match):
        parse_sink_specs(value)


def test_an_unknown_sink_lists_the_registered_ones(exported: Exported):
    with pytest.raises(InvalidInput) as info:
        check_sinks(exported.client.plugins, parse_sink_specs(["s3"]))
    message = str(info.value)
    assert "'s3'" in message
    for name in ("collect", "directory", "json_array_file", "ndjson_file", "stdout", "webhook"):
        assert name in message


def test_an_unknown_option_names_the_sink_the_option_and_the_allowed_ones(exported: Exported):
    with pytest.raises(InvalidInput) as info:
        check_sinks(exported.client.plugins, parse_sink_specs([("directory", {"dir": "x"})]))
    assert str(info.value) == (
        "sink 'directory' (plugin 'rowport_plugins.sinks') has no option 'dir';"
        " sink 'directory' takes: path, name_field"
    )


def test_a_sink_without_options_says_so(exported: Exported):
    with pytest.raises(InvalidInput, match="takes: no options"):
        check_sinks(exported.client.plugins, parse_sink_specs([("stdout", {"x": 1})]))


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (("ndjson_file", {}), "needs the option 'path'"),
        (("webhook", {"url": "ftp://x"}), "url must be an http"),
        (("webhook", {"url": "http://x", "timeout": 0}), "timeout must be"),
        (("webhook", {"url": "http://x", "headers": {"a": 1}}), "headers must be"),
        (("directory", {"path": 5}), "path must be a file path"),
    ],
)
def test_bad_option_values_are_invalid_input(exported: Exported, spec: Any, match: str):
    with pytest.raises(InvalidInput, match=match):
        check_sinks(exported.client.plugins, parse_sink_specs([spec]))


def test_delivery_options_are_not_passed_to_a_sink_that_does_not_declare_them(
    exported: Exported,
):
    check_sinks(exported.client.plugins, parse_sink_specs([("stdout", {"retries": 0})]))
    (spec,) = parse_sink_specs([("webhook", {"url": "http://x", "backoff": 1, "retries": 0})])
    assert spec.options_for(WebhookSink) == {"url": "http://x", "backoff": 1}
    assert spec.retry.attempts == 1


def test_sink_options_are_the_attrs_fields():
    assert sink_options(DirectorySink) == ["path", "name_field"]
    assert sink_options(StdoutSink) == []
    assert sink_options(lambda **kw: None) == []


def test_checking_a_sink_does_no_io(exported: Exported, tmp_path: Path):
    target = tmp_path / "not" / "yet" / "rows.ndjson"
    check_sinks(
        exported.client.plugins,
        parse_sink_specs([("ndjson_file", {"path": target}), ("directory", {"path": target})]),
    )
    assert not (tmp_path / "not").exists()


def test_export_with_a_bad_sink_raises_before_a_task_exists(exported: Exported):
    project = exported.client.get_project(exported.catalog["project"])
    before = len(exported.client.get_tasks())
    with pytest.raises(InvalidExportRequest, match="no option 'pth'"):
        project.export(sinks=[("ndjson_file", {"pth": "x"})])
    with pytest.raises(InvalidExportRequest, match="registered sinks:"):
        project.export(sinks=["nowhere"])
    assert len(exported.client.get_tasks()) == before
    assert isinstance(exported.client, rowport.Client)
