"""Sinks are checked before an export starts (a file sink's path must be writable), and a
failed sink is reported by its real cause: the webhook's status and reason, not an exception
class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest
from sink_support import FAST, Exported, Receiver

from rowport import hookimpl
from rowport.errors import InvalidExportRequest
from rowport.sinks import BaseSink
from rowport.testing import make_client


def _export(exported: Exported, sinks: list[Any]) -> Any:
    return exported.client.get_project(exported.catalog["project"]).export(sinks=sinks)


@pytest.mark.parametrize("sink", ["ndjson_file", "json_array_file"])
def test_a_file_sink_whose_folder_is_a_file_is_refused_before_any_task(
    exported: Exported, tmp_path: Path, sink: str
) -> None:
    blocker = tmp_path / "plain.txt"
    blocker.write_text("x")
    before = len(exported.client.get_tasks())
    with pytest.raises(InvalidExportRequest, match=rf"sink '{sink}'.*cannot start: {blocker}"):
        _export(exported, [(sink, {"path": blocker / "rows.ndjson"})])
    assert len(exported.client.get_tasks()) == before


def test_a_file_sink_whose_path_is_a_folder_is_refused(exported: Exported, tmp_path: Path) -> None:
    with pytest.raises(InvalidExportRequest, match="is a directory, not a file"):
        _export(exported, [("ndjson_file", {"path": tmp_path})])


def test_a_directory_sink_on_a_file_is_refused(exported: Exported, tmp_path: Path) -> None:
    blocker = tmp_path / "plain.txt"
    blocker.write_text("x")
    with pytest.raises(InvalidExportRequest, match=f"{blocker} is not a directory"):
        _export(exported, [("directory", {"path": blocker})])


def test_a_folder_that_cannot_be_written_is_refused(exported: Exported) -> None:
    with pytest.raises(InvalidExportRequest, match="cannot write in /proc"):
        _export(exported, [("ndjson_file", {"path": "/proc/rowport-nope/rows.ndjson"})])


def test_a_missing_folder_that_can_be_made_is_fine(exported: Exported, tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "rows.ndjson"
    task = _export(exported, [("ndjson_file", {"path": out})])
    task.wait_till_done()
    assert task.status == "COMPLETE" and out.exists()


@attrs.define
class _Checky(BaseSink):
    def check(self) -> None:
        raise RuntimeError("the plugin's check broke")

    def write(self, batch: list[bytes]) -> None:
        pass


class _CheckyPlugin:
    @hookimpl
    def rowport_register_sinks(self, register: Any) -> None:
        register("checky", _Checky)


def test_a_plugin_check_that_raises_is_reported_by_name(tmp_path: Path) -> None:
    with make_client(tmp_path / "home", plugins=[_CheckyPlugin()]) as client:
        dataset = client.create_dataset("d")
        with pytest.raises(
            InvalidExportRequest, match=r"sink 'checky'.*cannot start: RuntimeError: the plugin's"
        ):
            dataset.export(sinks=["checky"])
        assert client.get_tasks() == []


def test_a_webhook_500_names_the_status_and_reason(exported: Exported, receiver: Receiver):
    receiver.always = 500
    _, errors = exported.deliver(
        [{"name": "webhook", "options": {"url": receiver.url, "max_attempts": 2, **FAST}}]
    )
    message = errors[0]["message"]
    assert f"HTTP 500 Internal Server Error from {receiver.url}: ok (POST tried 2 times)" in message
    assert "ConnectionError" not in message


def test_a_webhook_that_cannot_connect_says_what_the_network_said(exported: Exported):
    _, errors = exported.deliver(
        [{"name": "webhook", "options": {"url": "http://127.0.0.1:1/", "max_attempts": 1, **FAST}}]
    )
    assert (
        "cannot reach http://127.0.0.1:1/: connection refused (POST tried once)"
        in (errors[0]["message"])
    )
