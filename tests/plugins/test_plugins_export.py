"""Plugins inside real exports: problems as ERRORS lines, error policies, raising plugins,
lifecycle events."""

from __future__ import annotations

from typing import Any

import pytest

from rowport import StreamType, hookimpl
from rowport.errors import InvalidExportRequest
from rowport.plugins import Problem, per_row


def _errors(task: Any) -> list[dict[str, Any]]:
    return (
        [o.json for o in task.get_buffered_stream(StreamType.ERRORS)] if task.has_errors() else []
    )


def _rows(task: Any) -> list[dict[str, Any]]:
    return [o.json for o in task.get_buffered_stream()] if task.has_result() else []


class FlagOddRows:
    """Reports a problem for image rows whose global key ends in an odd digit."""

    @hookimpl
    def rowport_declare_media_types(self):
        return ["image"]

    @hookimpl
    def rowport_validate_rows(self, rows, context):
        return [
            Problem(
                index=i,
                code="ODD_ROW",
                message=f"row {r['data_row']['global_key']} is odd",
                details={"key": r["data_row"]["global_key"]},
            )
            for i, r in enumerate(rows)
            if int(r["data_row"]["global_key"][-1]) % 2
        ]


def _export(client: Any, project: str, **options: Any) -> Any:
    task = client.get_project(project).export(**options)
    task.wait_till_done(timeout_seconds=120)
    return task


def test_validate_problem_becomes_an_errors_line_naming_the_plugin(
    make_host, client_with, catalog_home
):
    client = client_with(make_host(FlagOddRows()))
    task = _export(client, catalog_home["image_project"])
    assert task.status == "COMPLETE"
    errors = _errors(task)
    assert len(errors) == 3
    line = errors[0]
    assert list(line) == ["data_row", "stage", "plugin", "code", "message", "details"]
    assert line["stage"] == "validate" and line["code"] == "ODD_ROW"
    assert line["plugin"] == "FlagOddRows"
    assert line["data_row"]["global_key"] == "img-1"
    assert line["details"] == {"key": "img-1"}
    assert len(_rows(task)) == 6  # keep is the default policy


def test_skip_policy_drops_rows_with_problems(make_host, client_with, catalog_home):
    client = client_with(make_host(FlagOddRows()))
    task = _export(client, catalog_home["image_project"], on_row_error="skip")
    keys = [r["data_row"]["global_key"] for r in _rows(task)]
    assert keys == ["img-0", "img-2", "img-4"]
    assert len(_errors(task)) == 3


def test_fail_policy_fails_the_task_at_the_first_problem(make_host, client_with, catalog_home):
    client = client_with(make_host(FlagOddRows()))
    task = _export(client, catalog_home["image_project"], on_row_error="fail")
    assert task.status == "FAILED"
    assert "ODD_ROW" in (task.errors_message or "") and "img-1" in (task.errors_message or "")


def test_max_error_ratio_fails_a_task_with_too_many_problems(make_host, client_with, catalog_home):
    client = client_with(make_host(FlagOddRows()))
    task = _export(client, catalog_home["image_project"], max_error_ratio=0.25)
    assert task.status == "FAILED"
    assert "max_error_ratio" in (task.errors_message or "")


def test_max_error_ratio_above_the_share_completes(make_host, client_with, catalog_home):
    client = client_with(make_host(FlagOddRows()))
    assert _export(client, catalog_home["image_project"], max_error_ratio=0.6).status == "COMPLETE"


@pytest.mark.parametrize(
    "options",
    [{"on_row_error": "ignore"}, {"max_error_ratio": 2}, {"max_error_ratio": "half"}],
)
def test_bad_error_policy_is_refused_before_a_task_exists(
    make_host, client_with, catalog_home, options
):
    client = client_with(make_host())
    with pytest.raises(InvalidExportRequest, match=r"on_row_error|max_error_ratio"):
        client.get_project(catalog_home["image_project"]).export(**options)
    assert client.get_tasks() == []


def test_a_raising_transform_is_a_problem_of_the_row_it_fails_on(
    make_host, client_with, catalog_home
):
    class Fragile:
        @hookimpl
        def rowport_transform_rows(self, rows, context):
            for row in rows:
                if row["data_row"]["global_key"] == "img-3":
                    raise RuntimeError("cannot read img-3")
                row["data_row"]["seen"] = True

    client = client_with(make_host(Fragile()))
    task = _export(client, catalog_home["image_project"])
    assert task.status == "COMPLETE"
    (line,) = _errors(task)
    assert line["code"] == "PLUGIN_RAISED" and line["stage"] == "transform"
    assert line["data_row"]["global_key"] == "img-3" and "cannot read img-3" in line["message"]
    seen = {r["data_row"]["global_key"]: r["data_row"].get("seen") for r in _rows(task)}
    assert seen["img-0"] is True and seen["img-3"] is None


def test_transform_changes_reach_the_result_stream(make_host, client_with, catalog_home):
    class AddMime:
        @hookimpl
        def rowport_declare_media_types(self):
            return ["image"]

        @hookimpl
        def rowport_transform_rows(self, rows, context):
            for row in rows:
                row["media_attributes"]["mime_type"] = "image/jpeg"

    client = client_with(make_host(AddMime()))
    rows = _rows(_export(client, catalog_home["image_project"]))
    assert {r["media_attributes"]["mime_type"] for r in rows} == {"image/jpeg"}
    assert rows[0]["media_attributes"]["width"] == 100


def test_media_plugin_never_sees_rows_of_other_types(make_host, client_with, catalog_home):
    seen: list[str] = []

    class ImageOnly:
        @hookimpl
        def rowport_declare_media_types(self):
            return ["image"]

        @hookimpl
        def rowport_validate_rows(self, rows):
            seen.extend(r["_media_type"] for r in rows)

    client = client_with(make_host(ImageOnly()))
    _export(client, catalog_home["text_project"])
    _export(client, catalog_home["image_project"])
    assert seen == ["image"] * 6


def test_per_row_helper_turns_tuples_into_problems(make_host, client_with, catalog_home):
    @per_row
    def check(row, context):
        if row["data_row"]["global_key"] == "img-2":
            yield ("TWO", "row two", {"n": 2})

    class UsesPerRow:
        @hookimpl
        def rowport_validate_rows(self, rows, context):
            return check(rows, context)

    client = client_with(make_host(UsesPerRow()))
    (line,) = _errors(_export(client, catalog_home["image_project"]))
    assert (line["code"], line["message"], line["details"]) == ("TWO", "row two", {"n": 2})


def test_a_plugin_returning_garbage_is_named(make_host, client_with, catalog_home):
    class Garbage:
        @hookimpl
        def rowport_validate_rows(self, rows):
            return ["not a problem"]

    client = client_with(make_host(Garbage()))
    task = _export(client, catalog_home["image_project"])
    assert task.status == "COMPLETE"
    lines = _errors(task)
    assert lines and all(line["code"] == "PLUGIN_RAISED" for line in lines)
    assert "expected Problem" in lines[0]["message"]


def test_lifecycle_events_arrive_in_order(make_host, client_with, catalog_home):
    events: list[str] = []

    class Listener:
        @hookimpl
        def rowport_export_started(self, context):
            events.append("started")

        @hookimpl
        def rowport_part_ready(self, context, stream, part):
            events.append(f"part:{stream}:{part['lines']['start']}-{part['lines']['end']}")

        @hookimpl
        def rowport_export_completed(self, context, summary):
            events.append(f"completed:{summary['rows']}")

    client = client_with(make_host(Listener()))
    _export(client, catalog_home["image_project"])
    assert events[0] == "started"
    assert "part:result:0-5" in events
    assert events[-1] == "completed:6"


def test_failed_event_carries_the_message(make_host, client_with, catalog_home):
    got: list[str] = []

    class Boom:
        @hookimpl
        def rowport_validate_rows(self, rows):
            return [Problem(index=0, code="X", message="bad")]

        @hookimpl
        def rowport_export_failed(self, context, error):
            got.append(error)

    client = client_with(make_host(Boom()))
    _export(client, catalog_home["image_project"], on_row_error="fail")
    assert got and "bad" in got[0]


def test_plugin_options_reach_the_context(make_host, client_with, catalog_home):
    seen: list[Any] = []

    class Reader:
        @hookimpl
        def rowport_validate_rows(self, rows, context):
            seen.append(context.options.get("threshold"))

    client = client_with(make_host(Reader()))
    _export(client, catalog_home["image_project"], plugin_options={"threshold": 3})
    assert seen == [3]
