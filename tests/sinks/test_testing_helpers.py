"""rowport.testing: the helpers plugin authors get."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rowport import hookimpl
from rowport.plugins import Problem, per_row
from rowport.testing import build_catalog, make_client, make_context, make_row, run_plugin


class VideoOnly:
    @hookimpl
    def rowport_declare_media_types(self) -> list[str]:
        return ["video"]

    @hookimpl
    def rowport_validate_rows(self, rows: list[dict[str, Any]], context: Any) -> list[Problem]:
        return [
            Problem(index=i, code="NO_KEY", message="no key")
            for i, r in enumerate(rows)
            if not r["data_row"].get("global_key")
        ]

    @hookimpl
    def rowport_transform_rows(self, rows: list[dict[str, Any]], context: Any) -> None:
        for row in rows:
            row["data_row"]["seen"] = context.options.get("tag", True)


def test_run_plugin_dispatches_by_media_type_and_reports_indexes_in_the_input():
    rows = [make_row("image"), make_row("video", global_key=None), make_row("video")]
    run = run_plugin(VideoOnly(), rows, context=make_context(tag="t"))
    assert "seen" not in run.rows[0]["data_row"]
    assert run.rows[1]["data_row"]["seen"] == "t" and run.rows[2]["data_row"]["seen"] == "t"
    assert run.codes == ["NO_KEY"] and run.problems[0].problem.index == 1
    assert run.problems[0].stage == "validate"


def test_run_plugin_can_limit_media_types_and_names_raising_rows():
    class Raises:
        @hookimpl
        def rowport_transform_rows(self, rows: list[dict[str, Any]], context: Any) -> None:
            for row in rows:
                if row["data_row"]["global_key"] == "bad":
                    raise ValueError("nope")

    rows = [make_row("text", global_key="ok"), make_row("text", global_key="bad"), make_row()]
    run = run_plugin(Raises(), rows, media_types=["text"])
    assert run.codes == ["PLUGIN_RAISED"] and run.problems[0].problem.index == 1


def test_per_row_plugins_run_through_run_plugin():
    @per_row
    def check(row: dict[str, Any], context: Any) -> Any:
        yield ("ALWAYS", "always")

    class Plugin:
        rowport_validate_rows = staticmethod(hookimpl(check))

    assert run_plugin(Plugin(), [make_row(), make_row()]).codes == ["ALWAYS", "ALWAYS"]


def test_make_row_applies_overrides():
    row = make_row("pdf", global_key="k", media_attributes={"pages": 2})
    assert row["_media_type"] == "document"
    assert row["data_row"]["global_key"] == "k" and row["media_attributes"] == {"pages": 2}
    assert len(row["data_row"]["id"]) == 25


def test_build_catalog_makes_an_exportable_project(tmp_path: Path):
    with make_client(tmp_path) as client:
        built = build_catalog(client, media_type="text", rows=2)
        task = client.get_project(built["project"]).export(params={"label_details": True})
        task.wait_till_done(timeout_seconds=60, check_frequency=0.01)
        rows = [o.json for o in task.get_buffered_stream()]
    assert [r["data_row"]["global_key"] for r in rows] == built["global_keys"]
    labels = [len(r["projects"][built["project"]]["labels"]) for r in rows]
    assert labels == [1, 0]
