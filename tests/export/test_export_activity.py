"""The ``last_activity_at`` filter sees the events the reference counts as activity.

Each event happens to one of two rows after a cut; a project export filtered on
``[cut, None]`` then selects that row alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import attrs
import pytest
from export_support import IMAGE_ATTRIBUTES, box_label, keys_of, result_rows

import rowport
from rowport import DataRow


@attrs.frozen(kw_only=True)
class Scene:
    client: rowport.Client
    rows: list[DataRow]
    project: rowport.Project
    label: rowport.Label
    events: dict[str, Callable[[], object]]


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    with rowport.Client(tmp_path / "home") as client:
        dataset = client.create_dataset("d")
        rows = dataset.create_data_rows(
            [
                {
                    "row_data": f"https://example.com/{k}.jpg",
                    "global_key": k,
                    "media_attributes": IMAGE_ATTRIBUTES,
                }
                for k in ("a", "b")
            ]
        )
        ontology = client.create_ontology(
            "o",
            tools=[{"tool": "bbox", "name": "box", "classifications": []}],
            classifications=[
                {"type": "radio", "name": "quality", "options": ["good", "bad"]},
                {"type": "checklist", "name": "tags", "options": ["day", "night"]},
                {"type": "text", "name": "note"},
            ],
        )
        project = client.create_project("p", "image", ontology)
        project.create_batch("b", data_rows=rows)
        spec = box_label(rows[0])
        spec["annotations"]["objects"][0]["classifications"] = []
        (label,) = project.import_labels([spec])
        client.create_metadata_schema("camera", "string")
        emb = client.create_embedding("clip", 2)
        row = rows[0]
        run = client.create_model("m").create_model_run("r")
        relabel = {**spec, "id": None}
        events: dict[str, Callable[[], object]] = {
            "update": lambda: row.update(external_id="x"),
            "metadata": lambda: row.set_metadata([{"name": "camera", "value": "front"}]),
            "attachments": lambda: row.add_attachments([{"type": "RAW_TEXT", "value": "hi"}]),
            "embeddings": lambda: row.add_embeddings(
                [{"embedding_id": emb["id"], "vector": [1, 2]}]
            ),
            "batch": lambda: client.create_project("other", "image").create_batch("b2", [row]),
            "workflow move": lambda: project.move_data_rows_to_status([row], "InReview"),
            "label": lambda: project.import_labels([relabel]),
            "review": lambda: label.add_review("Approve"),
            "model run": lambda: run.upsert_data_rows(data_rows=[row]),
        }
        yield Scene(client=client, rows=rows, project=project, label=label, events=events)


def _cut() -> datetime:
    time.sleep(0.005)  # catalog timestamps have millisecond resolution
    cut = datetime.now(timezone.utc)
    time.sleep(0.005)
    return cut


@pytest.mark.parametrize(
    "event",
    [
        "update",
        "metadata",
        "attachments",
        "embeddings",
        "batch",
        "workflow move",
        "label",
        "review",
        "model run",
    ],
)
def test_last_activity_at_filter_selects_the_row_an_event_touched(scene: Scene, event: str) -> None:
    cut = _cut()
    scene.events[event]()
    rows = result_rows(scene.project.export(filters={"last_activity_at": [cut, None]}))
    assert keys_of(rows) == ["a"]


def test_reading_and_exporting_do_not_count_as_activity(scene: Scene) -> None:
    cut = _cut()
    scene.rows[0].metadata_fields()
    result_rows(scene.project.export(params={"metadata_fields": True}))
    assert result_rows(scene.project.export(filters={"last_activity_at": [cut, None]})) == []


def test_label_created_at_filter_selects_a_label_made_after_the_cut(scene: Scene) -> None:
    cut = _cut()
    spec = box_label(scene.rows[1])
    spec["annotations"]["objects"][0]["classifications"] = []
    scene.project.import_labels([spec])
    rows = result_rows(scene.project.export(filters={"label_created_at": [cut, None]}))
    assert keys_of(rows) == ["b"]
