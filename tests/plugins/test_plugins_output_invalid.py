"""A plugin that puts a value JSON cannot hold into a row (a set, bytes, a huge int) gives
that row a PLUGIN_OUTPUT_INVALID problem naming the plugin and the key; the export completes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from rowport import hookimpl
from rowport.streams import StreamReader
from rowport.testing import build_catalog, make_client


class Unserialisable:
    """Sets one bad value per row, by row position: a set, bytes, a huge int, then nothing."""

    @hookimpl
    def rowport_transform_rows(self, rows: list[dict[str, Any]], context: Any) -> None:
        bad = [{"tags": {"a"}}, {"raw": b"\x00"}, {"count": 2**70}, {}]
        for row in rows:
            position = int(row["data_row"]["external_id"].rsplit("-", 1)[1])
            extra = bad[position % 4]
            row.setdefault("media_attributes", {}).update(extra)
            row["kept"] = {"nested": [1, {"deep": extra.get("tags", "fine")}]}


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line.data) for line in StreamReader(path).iter_lines()]


def test_unserialisable_plugin_output_is_a_problem_of_its_row(tmp_path: Path) -> None:
    client = make_client(tmp_path, plugins=[Unserialisable()])
    try:
        ids = build_catalog(client, rows=8)
        task = client.get_project(ids["project"]).export()
        task.wait_till_done(timeout_seconds=120)
        assert task.status == "COMPLETE", task.errors_message
        home = client.home / "tasks" / task.uid
        rows = _lines(home / "result")
        errors = _lines(home / "errors")
    finally:
        client.close()
    assert len(rows) == 8  # every row is exported, without the values JSON cannot hold
    for row in rows:
        assert not {"tags", "raw", "count"} & set(row["media_attributes"])
    found = sorted((e["details"]["key"], e["details"]["type"]) for e in errors)
    assert found == sorted(
        [("media_attributes.tags", "set")] * 2
        + [("kept.nested[1].deep", "set")] * 2
        + [("media_attributes.raw", "bytes")] * 2
        + [("media_attributes.count", "int")] * 2
    )
    for error in errors:
        assert error["code"] == "PLUGIN_OUTPUT_INVALID"
        assert error["stage"] == "transform"
        assert error["plugin"] == "Unserialisable"
        assert "plugin 'Unserialisable' set " in error["message"]
        assert error["data_row"]["id"]


def _position(row: dict[str, Any]) -> int:
    return int(row["data_row"]["external_id"].rsplit("-", 1)[1])


class First:
    """Runs first (tryfirst): leaves a set in the second row."""

    @hookimpl(tryfirst=True)
    def rowport_transform_rows(self, rows: list[dict[str, Any]], context: Any) -> None:
        for row in rows:
            if _position(row) == 1:
                row["media_attributes"]["first"] = {"a"}


class Last:
    """Runs last: leaves bytes in the even rows, and marks every row."""

    @hookimpl(trylast=True)
    def rowport_transform_rows(self, rows: list[dict[str, Any]], context: Any) -> None:
        for row in rows:
            row["media_attributes"]["last"] = True
            if _position(row) % 2 == 0:
                row["media_attributes"]["raw"] = b"\x00"


def _export(tmp_path: Path, **options: Any) -> tuple[list[Any], list[Any], str]:
    client = make_client(tmp_path, plugins=[First(), Last()])
    try:
        ids = build_catalog(client, rows=4)
        task = client.get_project(ids["project"]).export(**options)
        task.wait_till_done(timeout_seconds=120)
        home = client.home / "tasks" / task.uid
        return _lines(home / "result"), _lines(home / "errors"), task.status
    finally:
        client.close()


def test_each_transform_is_checked_and_the_last_one_is_what_is_written(tmp_path: Path) -> None:
    """The rows are encoded once, by the check that follows the last transform: what every
    plugin left is in them, and each bad value is named with the plugin that set it."""
    rows, errors, status = _export(tmp_path / "keep")
    assert status == "COMPLETE"
    assert len(rows) == 4
    for row in rows:
        assert row["media_attributes"]["last"] is True
        assert not {"first", "raw"} & set(row["media_attributes"])
        assert "_media_type" not in row
    found = sorted((e["plugin"], e["details"]["key"]) for e in errors)
    assert found == [("First", "media_attributes.first")] + [("Last", "media_attributes.raw")] * 2
    # with on_row_error=skip, a row either plugin left unwritable is not written at all
    rows, errors, status = _export(tmp_path / "skip", on_row_error="skip")
    assert status == "COMPLETE"
    assert len(errors) == 3
    assert [_position(row) for row in rows] == [3]
