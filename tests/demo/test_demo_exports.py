"""Exporting the demo: every project with every param completes clean; run_demo runs twice."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from demo_support import finished, rows_of

from rowport.client import Client
from rowport.demo import DemoCatalog, run_demo
from rowport.demo._run import CATALOG_PARAMS, PROJECT_PARAMS, RUN_PARAMS
from rowport.media_types import MediaType
from rowport.tasks import StreamType

MEDIA_TYPES = [m.value for m in MediaType]
Built = tuple[Client, DemoCatalog]


def test_every_project_export_with_all_params_completes_without_errors(built: Built) -> None:
    client, demo = built
    assert set(PROJECT_PARAMS) == {
        "attachments",
        "metadata_fields",
        "embeddings",
        "data_row_details",
        "project_details",
        "label_details",
        "performance_details",
        "interpolated_frames",
    }
    assert all(PROJECT_PARAMS.values())
    for media_type in MEDIA_TYPES:
        task = finished(
            client.get_project(demo.project_ids[media_type]).export(params=PROJECT_PARAMS)
        )
        assert task.status == "COMPLETE", media_type
        assert task.get_total_lines(StreamType.ERRORS) is None, media_type
        assert not task.has_errors()
        assert (task.get_total_lines(StreamType.RESULT) or 0) >= 5


def test_project_exports_show_every_workflow_status(built: Built) -> None:
    client, demo = built
    for media_type in MEDIA_TYPES:
        project_id = demo.project_ids[media_type]
        rows = rows_of(client.get_project(project_id).export(params=PROJECT_PARAMS))
        statuses = {r["projects"][project_id]["project_details"]["workflow_status"] for r in rows}
        assert statuses == {"TO_LABEL", "IN_REVIEW", "IN_REWORK", "DONE"}, media_type
        kinds = {lab["label_kind"] for r in rows for lab in r["projects"][project_id]["labels"]}
        assert kinds == ({"Video"} if media_type == "video" else {"Default"})


def test_dataset_model_run_and_slice_exports_complete_without_errors(built: Built) -> None:
    client, demo = built
    tasks = {
        "dataset": client.get_dataset(demo.dataset_ids["bulk_images"]).export(
            params=CATALOG_PARAMS
        ),
        "model run": client.get_model_run(demo.model_run_id).export(params=RUN_PARAMS),
        "slice": client.get_slice(demo.slice_id).export(params=CATALOG_PARAMS),
    }
    for name, task in tasks.items():
        finished(task)
        assert task.status == "COMPLETE", name
        assert not task.has_errors(), name
    first = next(iter(tasks["dataset"].get_buffered_stream())).json
    assert demo.project_ids["image"] in first["projects"]
    assert demo.model_id in first["experiments"]


def test_run_demo_builds_exports_and_runs_twice(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    for _ in range(2):
        lines: list[str] = []
        demo = run_demo(home, echo=lines.append, show_progress=False, bulk_rows=30)
        text = "\n".join(lines)
        assert "Summary:" in text
        assert "FAILED" not in text
        exports = sorted(p.stem for p in (home / "exports").glob("*.ndjson"))
        assert exports == sorted(
            [f"project-{m}" for m in MEDIA_TYPES] + ["dataset-bulk-images", "model-run", "slice"]
        )
        image_rows = (home / "exports" / "project-image.ndjson").read_bytes().splitlines()
        assert len(image_rows) == demo.row_counts["image"] + 30
        assert orjson.loads(image_rows[0])["projects"]
        with Client(home) as client:
            assert len(client.get_projects()) == len(demo.project_ids) + len(
                demo.broken_project_ids
            )


def test_run_demo_shows_a_progress_bar_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines: list[str] = []
    run_demo(tmp_path / "demo", echo=lines.append, show_progress=True, bulk_rows=10)
    err = capsys.readouterr().err
    assert "project-image" in err
