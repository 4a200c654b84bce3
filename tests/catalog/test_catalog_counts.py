"""The counts a listing shows come from one aggregate per kind and match the records."""

from __future__ import annotations

from rowport.client import Client
from rowport.testing import build_catalog


def test_listing_counts_match_the_rows_and_labels_of_each_entity(client: Client) -> None:
    small = build_catalog(client, rows=3)
    large = build_catalog(client, rows=5)
    empty_dataset = client.create_dataset("nothing yet")
    empty_project = client.create_project("nothing queued", "image")
    run = client.create_model("detector").create_model_run("run 1")
    run.upsert_data_rows(large["data_rows"][:4])

    assert client.catalog.rows.dataset_row_counts() == {
        small["dataset"]: 3,
        large["dataset"]: 5,
        empty_dataset.uid: 0,
    }
    assert client.catalog.projects.project_counts() == {
        small["project"]: {"rows": 3, "labels": 2},
        large["project"]: {"rows": 5, "labels": 4},
        empty_project.uid: {"rows": 0, "labels": 0},
    }
    assert client.catalog.models.model_run_row_counts() == {run.uid: 4}
    # the same figures as reading every batch and label through the entities
    for project in client.get_projects():
        counted = client.catalog.projects.project_counts()[project.uid]
        assert counted == {
            "rows": sum(batch.size for batch in project.batches()),
            "labels": len(project.labels()),
        }


def test_a_slice_counts_the_rows_its_filters_match_now(client: Client) -> None:
    built = build_catalog(client, rows=4)
    labelled = client.create_slice("labelled", {"has_labels": True})
    count = client.catalog.models.count_slice_rows
    assert count(labelled.filters) == 3
    assert count({"dataset_ids": [built["dataset"]], "has_labels": False}) == 1
    build_catalog(client, rows=2)
    assert count(labelled.filters) == 4
