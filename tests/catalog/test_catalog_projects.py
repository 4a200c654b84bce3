"""Ontologies, projects, batches, workflow, labels, reviews and tags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rowport.client import Client
from rowport.entities import DataRow, Ontology, Project
from rowport.errors import CatalogError, InvalidInput, NotFound

LabelFactory = Callable[..., dict[str, Any]]
Counts = Callable[[], dict[str, int]]


def test_ontology_reads_back_nested_with_ids(client: Client, ontology: Ontology) -> None:
    got = client.get_ontology(ontology.uid)
    assert got.name == "street ontology"
    assert got.media_type == "image"
    box = got.tools[0]
    assert (box["tool"], box["name"], box["value"]) == ("bbox", "box", "box")
    assert box["classifications"][0]["name"] == "occluded"
    assert [o["name"] for o in box["classifications"][0]["options"]] == ["yes", "no"]
    assert [c["type"] for c in got.classifications] == ["radio", "checklist", "text"]
    assert all(len(fid) == 25 for fid in got.features())


def test_ontology_keeps_given_feature_ids(client: Client) -> None:
    fid = "c" + "1" * 24
    ontology = client.create_ontology(
        "o", tools=[{"tool": "point", "name": "Nose Tip", "feature_schema_id": fid}]
    )
    assert ontology.features() == {fid: "Nose Tip"}
    assert ontology.tools[0]["value"] == "nose_tip"


def test_ontology_refuses_unknown_tool(client: Client, counts: Counts) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match=r"tools\[0\]: unknown tool 'cube'; allowed: bbox"):
        client.create_ontology("o", tools=[{"tool": "cube", "name": "c"}])
    assert counts() == before


def test_ontology_refuses_radio_without_options(client: Client, counts: Counts) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="a radio classification needs options"):
        client.create_ontology("o", classifications=[{"type": "radio", "name": "q"}])
    assert counts() == before


def test_ontology_refuses_unknown_media_type(client: Client, counts: Counts) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="unknown media type 'hologram'"):
        client.create_ontology("o", media_type="hologram")
    assert counts() == before


def test_project_reads_back(client: Client, ontology: Ontology) -> None:
    created = client.create_project("p", "IMAGE", ontology=ontology.uid, description="d")
    got = client.get_project(created.uid)
    assert (got.name, got.media_type, got.ontology_id, got.description) == (
        "p",
        "image",
        ontology.uid,
        "d",
    )
    assert client.get_projects() == [created]


def test_project_refuses_unknown_media_type(client: Client, counts: Counts) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="unknown media type 'hologram'"):
        client.create_project("p", "hologram")
    assert counts() == before


def test_project_refuses_missing_ontology(client: Client, counts: Counts) -> None:
    before = counts()
    with pytest.raises(NotFound, match="ontology not found: 'nope'"):
        client.create_project("p", "image", ontology="nope")
    assert counts() == before


def test_connect_ontology_attaches_it(client: Client, ontology: Ontology) -> None:
    project = client.create_project("p", "image")
    assert project.ontology() is None
    project.connect_ontology(ontology)
    assert project.ontology_id == ontology.uid
    assert project.ontology() == ontology
    assert client.get_project(project.uid).ontology_id == ontology.uid


def test_batch_reads_back(project: Project, rows: list[DataRow]) -> None:
    batch = project.create_batch("first", data_rows=[rows[0], rows[1].uid], priority=2)
    assert (batch.name, batch.priority, batch.size, batch.project_id) == (
        "first",
        2,
        2,
        project.uid,
    )
    assert project.batches() == [batch]


def test_batch_by_global_keys(project: Project, rows: list[DataRow]) -> None:
    batch = project.create_batch("by keys", global_keys=["img-2", "img-0"])
    assert batch.size == 2
    assert project.workflow_state(rows[2])["batch_id"] == batch.uid


def test_batch_needs_exactly_one_of_rows_and_keys(
    project: Project, rows: list[DataRow], counts: Counts
) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="exactly one of data_rows and global_keys"):
        project.create_batch("b", data_rows=[rows[0]], global_keys=["img-1"])
    with pytest.raises(InvalidInput, match="exactly one of data_rows and global_keys"):
        project.create_batch("b")
    assert counts() == before


def test_batch_refuses_unknown_global_key(
    project: Project, rows: list[DataRow], counts: Counts
) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="no data row has global key 'ghost'"):
        project.create_batch("b", global_keys=["img-0", "ghost"])
    assert counts() == before


def test_batch_refuses_rows_of_another_media_type(
    client: Client, rows: list[DataRow], counts: Counts
) -> None:
    project = client.create_project("texts", "text")
    before = counts()
    with pytest.raises(InvalidInput, match="are not text rows"):
        project.create_batch("b", data_rows=rows)
    assert counts() == before


def test_batch_refuses_rows_already_queued(
    queued: Project, rows: list[DataRow], counts: Counts
) -> None:
    before = counts()
    with pytest.raises(CatalogError, match=f"already in project {queued.uid}"):
        queued.create_batch("again", data_rows=[rows[1], rows[2]])
    assert counts() == before


def test_batch_starts_rows_in_to_label(queued: Project, rows: list[DataRow]) -> None:
    state = queued.workflow_state(rows[0])
    assert state["workflow_status"] == "TO_LABEL"
    assert [h["action"] for h in state["workflow_history"]] == ["CREATED"]


def test_workflow_moves_record_history(queued: Project, rows: list[DataRow]) -> None:
    queued.move_data_rows_to_status([rows[0]], "InReview")
    queued.move_data_rows_to_status([rows[0].uid], "DONE")
    state = queued.workflow_state(rows[0].uid)
    assert state["workflow_status"] == "DONE"
    history = state["workflow_history"]
    assert [h["action"] for h in history] == ["CREATED", "MOVE_TO_IN_REVIEW", "MOVE_TO_DONE"]
    assert history[1]["previous_task_name"] == "Initial labeling task"
    assert history[1]["next_task_name"] == history[2]["previous_task_name"]
    assert all(h["created_by"] == "admin@rowport.local" for h in history)


def test_workflow_move_refuses_unknown_status(
    queued: Project, rows: list[DataRow], counts: Counts
) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="unknown workflow status 'Shipped'"):
        queued.move_data_rows_to_status([rows[0]], "Shipped")
    assert counts() == before


def test_workflow_move_refuses_rows_outside_the_project(
    queued: Project, rows: list[DataRow], counts: Counts
) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match=f"not in project {queued.uid}: {rows[2].uid}"):
        queued.move_data_rows_to_status([rows[0], rows[2]], "Done")
    assert counts() == before


def test_workflow_state_of_a_row_outside_the_project_is_not_found(
    queued: Project, rows: list[DataRow]
) -> None:
    with pytest.raises(NotFound, match=rows[2].uid):
        queued.workflow_state(rows[2])


def test_labels_read_back_with_features_filled_in(
    queued: Project, rows: list[DataRow], ontology: Ontology, box_label: LabelFactory
) -> None:
    (label,) = queued.import_labels([box_label(rows[0], seconds_to_create=3)])
    (got,) = queued.labels()
    assert got == label
    assert (got.data_row_id, got.project_id, got.label_kind) == (rows[0].uid, queued.uid, "Default")
    assert got.created_by == "admin@rowport.local"
    box = got.annotations["objects"][0]
    assert box["feature_schema_id"] == ontology.tools[0]["feature_schema_id"]
    assert len(box["feature_id"]) == 25
    answer = got.annotations["classifications"][0]["radio_answer"]
    assert answer["value"] == "good"
    assert got.performance_details is not None
    assert got.performance_details["seconds_to_create"] == 3
    assert got.reviews == []


def test_label_by_global_key(queued: Project, rows: list[DataRow], box_label: LabelFactory) -> None:
    spec = box_label(rows[1])
    del spec["data_row_id"]
    (label,) = queued.import_labels([{**spec, "global_key": "img-1"}])
    assert label.data_row_id == rows[1].uid


def test_label_keeps_a_given_id(
    queued: Project, rows: list[DataRow], box_label: LabelFactory
) -> None:
    label_id = "c" + "2" * 24
    (label,) = queued.import_labels([box_label(rows[0], id=label_id)])
    assert label.uid == label_id


def test_first_label_of_a_row_is_selected(
    queued: Project, rows: list[DataRow], box_label: LabelFactory
) -> None:
    first, _ = queued.import_labels([box_label(rows[0]), box_label(rows[0])])
    assert queued.workflow_state(rows[0])["selected_label_id"] == first.uid


def test_label_on_a_row_outside_the_project_is_refused(
    queued: Project, rows: list[DataRow], box_label: LabelFactory, counts: Counts
) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match=f"data rows not in project {queued.uid}: {rows[2].uid}"):
        queued.import_labels([box_label(rows[0]), box_label(rows[2])])
    assert counts() == before


def test_annotation_naming_an_unknown_feature_is_refused(
    queued: Project, rows: list[DataRow], box_label: LabelFactory, counts: Counts
) -> None:
    spec = box_label(rows[0])
    spec["annotations"]["objects"][0]["name"] = "unicorn"
    before = counts()
    with pytest.raises(
        InvalidInput,
        match=r"labels\[0\]: annotations\.objects\[0\]: object 'unicorn' is not a feature",
    ):
        queued.import_labels([spec])
    assert counts() == before


def test_answer_naming_an_unknown_option_is_refused(
    queued: Project, rows: list[DataRow], box_label: LabelFactory, counts: Counts
) -> None:
    spec = box_label(rows[0])
    spec["annotations"]["classifications"][0]["radio_answer"]["name"] = "meh"
    before = counts()
    with pytest.raises(InvalidInput, match="answer 'meh' is not a feature of the ontology"):
        queued.import_labels([spec])
    assert counts() == before


def test_labels_need_an_ontology(
    client: Client, rows: list[DataRow], box_label: LabelFactory, counts: Counts
) -> None:
    project = client.create_project("bare", "image")
    project.create_batch("b", data_rows=rows[:1])
    before = counts()
    with pytest.raises(InvalidInput, match="has no ontology"):
        project.import_labels([box_label(rows[0])])
    assert counts() == before


def test_review_reads_back(
    client: Client, queued: Project, rows: list[DataRow], box_label: LabelFactory
) -> None:
    (label,) = queued.import_labels([box_label(rows[0])])
    review = label.add_review("Approve")
    assert review["action"] == "Approve"
    assert label.reviews == [review]
    assert queued.labels()[0].reviews == [review]


def test_review_refuses_unknown_action(
    queued: Project, rows: list[DataRow], box_label: LabelFactory, counts: Counts
) -> None:
    (label,) = queued.import_labels([box_label(rows[0])])
    before = counts()
    with pytest.raises(InvalidInput, match="'Approve' or 'Reject', got 'Maybe'"):
        label.add_review("Maybe")
    assert counts() == before


def test_tags_read_back(project: Project) -> None:
    project.add_tags(["urgent", {"text": "night", "color": "#000000"}])
    assert [(t["text"], t["color"]) for t in project.tags()] == [
        ("urgent", None),
        ("night", "#000000"),
    ]


def test_tags_must_be_a_list(project: Project, counts: Counts) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="tags must be a list"):
        project.add_tags("urgent")
    assert counts() == before
