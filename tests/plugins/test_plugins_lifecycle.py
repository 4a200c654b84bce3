"""Lifecycle hooks: one that raises is an ERRORS line naming the plugin and the hook (and a
warning in the CLI summary), never silence; wrappers on hooks the host calls one
implementation at a time are refused at load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from rowport import StreamType, hookimpl
from rowport.cli import main
from rowport.errors import PluginLoadError
from rowport.plugins import PluginHost, load
from rowport.testing import build_catalog, make_client

RAISING_PLUGIN = """
from rowport import hookimpl


@hookimpl
def rowport_export_started(context):
    raise RuntimeError("started went wrong")


@hookimpl
def rowport_export_completed(context, summary):
    raise ValueError("completed went wrong")
"""


class Raising:
    @hookimpl
    def rowport_export_started(self, context: Any) -> None:
        raise RuntimeError("started went wrong")

    @hookimpl
    def rowport_export_progress(self, context: Any, rows_done: int, rows_planned: int) -> None:
        raise RuntimeError("progress went wrong")

    @hookimpl
    def rowport_export_completed(self, context: Any, summary: dict[str, Any]) -> None:
        raise ValueError("completed went wrong")


def _errors(task: Any) -> list[dict[str, Any]]:
    return (
        [o.json for o in task.get_buffered_stream(StreamType.ERRORS)] if task.has_errors() else []
    )


def test_a_raising_lifecycle_hook_is_an_errors_line(make_host, client_with, catalog_home) -> None:
    client = client_with(make_host(Raising()))
    task = client.get_project(catalog_home["image_project"]).export()
    task.wait_till_done(timeout_seconds=120)
    assert task.status == "COMPLETE"
    lines = {line["details"]["hook"]: line for line in _errors(task)}
    assert set(lines) >= {"rowport_export_started", "rowport_export_completed"}
    started = lines["rowport_export_started"]
    assert started["code"] == "PLUGIN_HOOK_FAILED"
    assert started["plugin"] == "Raising"
    assert started["stage"] == "lifecycle"
    assert (
        "'Raising' raised in rowport_export_started: RuntimeError: started went wrong"
        in (started["message"])
    )
    assert "completed went wrong" in lines["rowport_export_completed"]["message"]


def test_a_raising_failed_hook_is_an_errors_line_too(make_host, client_with, catalog_home) -> None:
    from rowport.plugins import Problem

    class FailsTheTask:
        @hookimpl
        def rowport_validate_rows(self, rows: list[dict[str, Any]]) -> Any:
            return [Problem(index=0, code="X", message="bad")]

        @hookimpl
        def rowport_export_failed(self, context: Any, error: str) -> None:
            raise RuntimeError("failed hook went wrong")

    client = client_with(make_host(FailsTheTask()))
    task = client.get_project(catalog_home["image_project"]).export(on_row_error="fail")
    task.wait_till_done(timeout_seconds=120)
    assert task.status == "FAILED"
    lines = [orjson.loads(line.json_str) for line in task.stream(StreamType.ERRORS, follow=False)]
    (hook,) = [line for line in lines if line["code"] == "PLUGIN_HOOK_FAILED"]
    assert "failed hook went wrong" in hook["message"]
    assert hook["details"]["hook"] == "rowport_export_failed"
    assert "TASK_FAILED" in [line["code"] for line in lines]


def test_the_cli_summary_warns_of_a_raising_hook(fake_distribution, tmp_path: Path) -> None:
    fake_distribution("raising-rowport", "raising", "raising_rowport_plugin", RAISING_PLUGIN)
    client = make_client(tmp_path)
    project = build_catalog(client, rows=3)["project"]
    client.close()
    out = tmp_path / "out.ndjson"
    result = CliRunner().invoke(
        main,
        ["--home", str(tmp_path / "home"), "export", "project", project, "-o", str(out)],
        env={"ROWPORT_DISABLE_PLUGIN_AUTOLOAD": "0"},
    )
    assert result.exit_code == 0, result.output
    assert len(out.read_bytes().splitlines()) == 3
    assert (
        "warning: plugin 'raising' raised in rowport_export_started: RuntimeError:"
        " started went wrong" in result.output
    )
    assert "raised in rowport_export_completed: ValueError" in result.output


@pytest.mark.parametrize("marker", [{"wrapper": True}, {"hookwrapper": True}])
def test_a_wrapper_on_a_lifecycle_hook_is_refused_at_load(marker: dict[str, bool]) -> None:
    class Wrapping:
        @hookimpl(**marker)
        def rowport_export_started(self, context: Any) -> Any:
            yield

    loaded = load(builtins=False, autoload=False, block=())
    loaded.pm.register(Wrapping(), name="wrapping")
    with pytest.raises(PluginLoadError) as refused:
        PluginHost(loaded)
    message = str(refused.value)
    assert "'wrapping'" in message and "rowport_export_started" in message
    assert "is not supported" in message and "drop the wrapper" in message


def test_a_wrapper_on_register_commands_still_works() -> None:
    calls: list[str] = []

    class Wrapping:
        @hookimpl(wrapper=True)
        def rowport_register_commands(self, cli: Any) -> Any:
            calls.append("before")
            result = yield
            calls.append("after")
            return result

    loaded = load(builtins=False, autoload=False, block=())
    loaded.pm.register(Wrapping(), name="wrapping")
    PluginHost(loaded).register_commands(cli=object())
    assert calls == ["before", "after"]
