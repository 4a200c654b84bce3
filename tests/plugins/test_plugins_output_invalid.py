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
