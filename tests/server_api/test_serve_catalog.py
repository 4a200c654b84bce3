"""Building a catalog through the public API, embedded and over ``rowport serve``: the same
calls, the same handles, the same answers and the same errors."""

from __future__ import annotations

from typing import Any

import pytest

from rowport import DataRow, Dataset, Label, Project
from rowport.client import Client
from rowport.errors import CatalogError, InvalidInput, NotFound
from rowport.testing import box_label

TOOLS: list[dict[str, Any]] = [{"tool": "bbox", "name": "box"}]
QUALITY: list[dict[str, Any]] = [
    {"type": "radio", "name": "quality", "options": [{"name": "good"}, {"name": "bad"}]}
]


def _rows(dataset: Dataset, n: int = 3) -> list[DataRow]:
    return dataset.create_data_rows(
        [{"row_data": f"https://example.com/{i}.jpg", "global_key": f"img-{i}"} for i in range(n)]
    )


def _project(client: Client) -> Project:
    ontology = client.create_ontology("o", tools=TOOLS, classifications=QUALITY)
    return client.create_project("street", "image", ontology=ontology)


def test_datasets_and_rows_are_created_listed_and_read(client: Client) -> None:
    dataset = client.create_dataset("street scenes", description="test images")
    rows = _rows(dataset)
    rows.append(dataset.create_data_row(row_data="https://example.com/x.jpg"))
    assert [d.name for d in client.get_datasets()] == ["street scenes"]
    assert client.get_dataset(dataset.uid).row_count == 4
    assert [r.global_key for r in dataset.data_rows()] == ["img-0", "img-1", "img-2", None]
    assert client.get_data_row(rows[1].uid) == rows[1]
    assert client.get_data_row_by_global_key("img-2").uid == rows[2].uid
    assert [r.uid for r in client.get_data_rows([rows[2].uid, rows[0].uid])] == [
        rows[2].uid,
        rows[0].uid,
    ]
    assert client.get_data_row_ids_for_global_keys(["img-0", "nope"]) == {"img-0": rows[0].uid}


def test_a_row_update_returns_and_keeps_the_new_values(client: Client) -> None:
    row = _rows(client.create_dataset("d"), 1)[0]
    fresh = row.update(external_id="frame-1.jpg", media_attributes={"width": 4})
    assert fresh.external_id == row.external_id == "frame-1.jpg"
    assert client.get_data_row(row.uid).media_attributes == {"width": 4}


def test_metadata_attachments_and_embeddings_are_stored_on_a_row(client: Client) -> None:
    row = _rows(client.create_dataset("d"), 1)[0]
    schema = client.create_metadata_schema("weather", "enum", ["sunny", "rain"])
    client.create_metadata_schema("score", "number")
    row.set_metadata([{"name": "score", "value": 0.5}, {"name": "weather", "value": "rain"}])
    row.add_attachments([{"type": "RAW_TEXT", "value": "a note", "name": "n"}])
    embedding = client.create_embedding("clip", 3)
    row.add_embeddings([{"embedding_id": embedding["id"], "vector": [0.1, 0.2, 0.3]}])
    fields = {f["schema_name"]: f["value"] for f in row.metadata_fields()}
    assert fields["score"] == 0.5
    assert fields["weather"]["schema_name"] == "rain"
    assert [a["value"] for a in row.attachments()] == ["a note"]
    assert row.embeddings()[0]["vector"] == [0.1, 0.2, 0.3]
    assert {s["name"] for s in client.get_metadata_schemas()} >= {"weather", "score"}
    assert schema["kind"] == "enum"
    assert client.get_embedding("clip")["dimensions"] == 3


def test_projects_batches_labels_reviews_and_workflow_moves(client: Client) -> None:
    rows = _rows(client.create_dataset("d"))
    project = _project(client)
    batch = project.create_batch("first", global_keys=["img-0", "img-1"], priority=2)
    assert (batch.size, batch.priority) == (2, 2)
    assert [b.name for b in project.batches()] == ["first"]
    labels = project.import_labels([box_label(rows[0])])
    assert isinstance(labels[0], Label)
    review = labels[0].add_review("Approve")
    assert review in labels[0].reviews
    project.move_data_rows_to_status([rows[0]], "Done")
    state = project.workflow_state(rows[0])
    assert state["workflow_status"] == "DONE"
    assert state["workflow_history"][0]["action"] == "CREATED"
    assert [label.data_row_id for label in project.labels()] == [rows[0].uid]
    project.add_tags(["night", {"text": "urgent", "color": "#ff0000"}])
    assert [t["text"] for t in project.tags()] == ["night", "urgent"]
    assert [p.name for p in client.get_projects()] == ["street"]
    assert project.ontology() is not None


def test_models_runs_predictions_and_splits(client: Client) -> None:
    rows = _rows(client.create_dataset("d"))
    project = _project(client)
    project.create_batch("b", data_rows=rows)
    label = project.import_labels([box_label(rows[0])])[0]
    model = client.create_model("detector", ontology=project.ontology_id)
    run = model.create_model_run("run 1")
    run.upsert_data_rows(global_keys=["img-0", "img-1"])
    run.add_labels([label])
    ids = run.add_predictions([{**box_label(rows[1]), "data_row_id": rows[1].uid}])
    run.assign_split([rows[0]], "training")
    assert len(ids) == 1
    assert [m.name for m in client.get_models()] == ["detector"]
    assert [r.name for r in model.model_runs()] == ["run 1"]
    assert client.get_model_run(run.uid).size == 2
    assert [a["data_row_id"] for a in run.labels()] == [rows[0].uid]
    assert [a["data_row_id"] for a in run.predictions()] == [rows[1].uid]


def test_slices_are_saved_and_found_by_name(client: Client) -> None:
    dataset = client.create_dataset("d")
    saved = client.create_slice("mine", {"dataset_ids": [dataset.uid]})
    assert client.get_slice(saved.uid).filters == {"dataset_ids": [dataset.uid]}
    assert client.get_catalog_slice(slice_name="mine") == saved
    assert [s.name for s in client.get_slices()] == ["mine"]


def test_the_organization_and_user_are_the_clients(client: Client) -> None:
    organization = client.get_organization()
    user = client.get_user()
    assert user.organization_id == organization.uid
    assert [u.email for u in organization.users()] == [user.email]


@pytest.mark.parametrize(
    ("call", "kind"),
    [
        (lambda c: c.get_dataset("nope"), "dataset"),
        (lambda c: c.get_project("nope"), "project"),
        (lambda c: c.get_model_run("nope"), "model run"),
        (lambda c: c.get_slice("nope"), "slice"),
        (lambda c: c.get_task("nope"), "task"),
    ],
)
def test_an_unknown_id_is_not_found_naming_it(client: Client, call: Any, kind: str) -> None:
    with pytest.raises(NotFound) as caught:
        call(client)
    assert (caught.value.kind, caught.value.id) == (kind, "nope")


def test_bad_input_is_refused_with_the_embedded_message(client: Client) -> None:
    dataset = client.create_dataset("d")
    with pytest.raises(
        InvalidInput, match="data row 0: row_data must be a non-empty string, got None"
    ):
        dataset.create_data_rows([{"global_key": "k"}])
    _rows(dataset, 1)
    with pytest.raises(CatalogError, match="img-0"):
        _rows(dataset, 1)
    with pytest.raises(InvalidInput, match="unknown tool 'rectangle'"):
        client.create_ontology("o", tools=[{"tool": "rectangle", "name": "r"}])
    assert client.get_dataset(dataset.uid).row_count == 1
