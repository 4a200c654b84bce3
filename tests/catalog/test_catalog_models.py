"""Models, model runs, and slices through the public API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rowport.client import Client
from rowport.entities import DataRow, Ontology, Project
from rowport.errors import InvalidInput

Counts = Callable[[], dict[str, int]]


def test_model_reads_back(client: Client, ontology: Ontology) -> None:
    model = client.create_model("detector", ontology=ontology)
    got = client.get_model(model.uid)
    assert (got.name, got.ontology_id) == ("detector", ontology.uid)
    assert client.get_models() == [model]


def test_model_runs_read_back(client: Client) -> None:
    model = client.create_model("detector")
    first = model.create_model_run("v1")
    second = model.create_model_run("v2")
    assert model.model_runs() == [first, second]
    got = client.get_model_run(first.uid)
    assert (got.name, got.model_id, got.size) == ("v1", model.uid, 0)


def test_run_rows_by_handles_and_by_global_keys(client: Client, rows: list[DataRow]) -> None:
    run = client.create_model("m").create_model_run("r")
    run.upsert_data_rows(data_rows=[rows[0]])
    run.upsert_data_rows(global_keys=["img-1", "img-0"])
    assert client.get_model_run(run.uid).size == 2


def test_run_rows_need_exactly_one_of_rows_and_keys(
    client: Client, rows: list[DataRow], counts: Counts
) -> None:
    run = client.create_model("m").create_model_run("r")
    before = counts()
    with pytest.raises(InvalidInput, match="exactly one of data_rows and global_keys"):
        run.upsert_data_rows()
    assert counts() == before


def test_run_labels_copy_project_labels(
    client: Client, queued: Project, rows: list[DataRow], box_label: Callable[..., dict[str, Any]]
) -> None:
    first, second = queued.import_labels([box_label(rows[0]), box_label(rows[1])])
    run = client.create_model("m").create_model_run("r")
    run.add_labels([first, second.uid])
    got = run.labels()
    assert [g["id"] for g in got] == [first.uid, second.uid]
    assert got[0]["annotations"] == first.annotations
    assert client.get_model_run(run.uid).size == 2


def test_predictions_read_back(
    client: Client,
    ontology: Ontology,
    rows: list[DataRow],
    box_label: Callable[..., dict[str, Any]],
) -> None:
    run = client.create_model("m", ontology=ontology).create_model_run("r")
    (pred_id,) = run.add_predictions([box_label(rows[0])])
    (got,) = run.predictions()
    assert (got["id"], got["data_row_id"]) == (pred_id, rows[0].uid)
    assert got["annotations"]["objects"][0]["name"] == "box"


def test_prediction_naming_an_unknown_feature_is_refused(
    client: Client,
    ontology: Ontology,
    rows: list[DataRow],
    box_label: Callable[..., dict[str, Any]],
    counts: Counts,
) -> None:
    run = client.create_model("m", ontology=ontology).create_model_run("r")
    spec = box_label(rows[0])
    spec["annotations"]["objects"][0]["name"] = "unicorn"
    before = counts()
    with pytest.raises(InvalidInput, match=r"predictions\[0\].*'unicorn' is not a feature"):
        run.add_predictions([spec])
    assert counts() == before


def test_assign_split_refuses_unknown_split(
    client: Client, rows: list[DataRow], counts: Counts
) -> None:
    run = client.create_model("m").create_model_run("r")
    run.upsert_data_rows(data_rows=rows)
    before = counts()
    with pytest.raises(InvalidInput, match="unknown split 'holdout'; allowed: training"):
        run.assign_split(rows, "holdout")
    assert counts() == before


def test_assign_split_refuses_rows_outside_the_run(
    client: Client, rows: list[DataRow], counts: Counts
) -> None:
    run = client.create_model("m").create_model_run("r")
    run.upsert_data_rows(data_rows=rows[:1])
    before = counts()
    with pytest.raises(InvalidInput, match=f"not in model run {run.uid}: {rows[1].uid}"):
        run.assign_split(rows[:2], "training")
    assert counts() == before


def test_slice_reads_back(client: Client, rows: list[DataRow]) -> None:
    created = client.create_slice("images", {"media_types": ["IMAGE"], "has_labels": False})
    got = client.get_slice(created.uid)
    assert got.name == "images"
    assert got.filters == {"media_types": ["image"], "has_labels": False}
    assert client.get_slices() == [created]


def test_slice_refuses_unknown_filter(client: Client, counts: Counts) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="unknown slice filter 'colour'; allowed: dataset_ids"):
        client.create_slice("s", {"colour": ["red"]})
    assert counts() == before
