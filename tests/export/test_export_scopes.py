"""Which rows each kind of export covers: data rows by id or key, the catalog, slices."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from export_support import (
    IMAGE_ATTRIBUTES,
    ExportCache,
    RichCatalog,
    error_rows,
    ids_of,
    keys_of,
    result_rows,
)

import rowport
from rowport import DataRow

ERROR_KEYS = ["data_row", "stage", "plugin", "code", "message", "details"]
UNKNOWN_ID = "cunknown00000000000000000"


# -- data rows --------------------------------------------------------------------------------


def test_data_rows_export_by_ids_gives_those_rows(rich: RichCatalog) -> None:
    task = DataRow.export(rich.client, data_rows=[rich.texts[1], rich.rows[2].uid])
    assert ids_of(result_rows(task)) == [rich.rows[2].uid, rich.texts[1].uid]


def test_data_rows_export_by_global_keys_gives_those_rows(rich: RichCatalog) -> None:
    task = DataRow.export(rich.client, global_keys=["beta-0", "alpha-1"])
    assert keys_of(result_rows(task)) == ["alpha-1", "beta-0"]


def test_data_rows_export_of_an_unknown_id_reports_data_row_not_found(rich: RichCatalog) -> None:
    task = DataRow.export(rich.client, data_rows=[rich.rows[0].uid, UNKNOWN_ID])
    assert ids_of(result_rows(task)) == [rich.rows[0].uid]
    (error,) = error_rows(task)
    assert list(error) == ERROR_KEYS
    assert error["code"] == "DATA_ROW_NOT_FOUND"
    assert UNKNOWN_ID in error["message"]
    assert error["details"] == {"data_row_id": UNKNOWN_ID}


def test_data_rows_export_of_an_unknown_global_key_reports_data_row_not_found(
    rich: RichCatalog,
) -> None:
    task = DataRow.export(rich.client, global_keys=["nope", "alpha-0", "also-nope"])
    assert keys_of(result_rows(task)) == ["alpha-0"]
    errors = error_rows(task)
    assert [(e["code"], e["details"]) for e in errors] == [
        ("DATA_ROW_NOT_FOUND", {"global_key": "nope"}),
        ("DATA_ROW_NOT_FOUND", {"global_key": "also-nope"}),
    ]
    assert task.has_errors()


def test_data_rows_export_of_only_unknown_ids_has_no_result(rich: RichCatalog) -> None:
    task = DataRow.export(rich.client, data_rows=[UNKNOWN_ID])
    assert result_rows(task) == []
    assert not task.has_result()
    assert [e["code"] for e in error_rows(task)] == ["DATA_ROW_NOT_FOUND"]


def test_data_rows_export_takes_catalog_params(rich: RichCatalog) -> None:
    task = DataRow.export(
        rich.client, data_rows=[rich.rows[1]], params={"all_projects": True, "attachments": True}
    )
    (row,) = result_rows(task)
    assert list(row) == ["data_row", "media_attributes", "attachments", "projects"]
    assert list(row["projects"]) == sorted([rich.project.uid, rich.project2.uid])


# -- datasets and the catalog -----------------------------------------------------------------


def test_dataset_export_covers_only_its_dataset(rich: RichCatalog, exported: ExportCache) -> None:
    assert ids_of(exported("dataset")) == [r.uid for r in rich.rows]


def test_catalog_export_covers_every_dataset(rich: RichCatalog, exported: ExportCache) -> None:
    rows = exported("catalog", {"data_row_details": True})
    assert ids_of(rows) == [r.uid for r in (*rich.rows, *rich.texts)]
    assert {row["data_row"]["details"]["dataset_name"] for row in rows} == {"alpha", "beta"}


def test_project_export_covers_the_rows_queued_in_it(
    rich: RichCatalog, exported: ExportCache
) -> None:
    assert ids_of(exported("project")) == [r.uid for r in rich.rows]
    assert ids_of(result_rows(rich.project2.export())) == [r.uid for r in rich.rows[1:3]]


def test_model_run_export_covers_the_rows_of_the_run(
    rich: RichCatalog, exported: ExportCache
) -> None:
    assert ids_of(exported("model_run")) == [r.uid for r in rich.rows[:3]]
    assert ids_of(result_rows(rich.run2.export())) == [rich.rows[0].uid, rich.rows[3].uid]


def test_text_rows_keep_inline_row_data(rich: RichCatalog) -> None:
    (row,) = result_rows(DataRow.export(rich.client, global_keys=["beta-1"]))
    assert row["data_row"]["row_data"] == "text number 1"
    assert row["media_attributes"] == {"asset_type": "text", "mime_type": "text/plain"}


# -- slices -----------------------------------------------------------------------------------


def test_slice_export_gives_the_rows_its_filters_select(
    rich: RichCatalog, exported: ExportCache
) -> None:
    # dataset alpha AND labelled in some project: alpha-0, alpha-1 (street), alpha-2 (street again)
    assert ids_of(exported("slice")) == [r.uid for r in rich.rows[:3]]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[rowport.Client]:
    with rowport.Client(tmp_path / "home") as client:
        yield client


def _images(dataset: rowport.Dataset, *keys: str) -> list[DataRow]:
    return dataset.create_data_rows(
        [
            {
                "row_data": f"https://example.com/{k}.jpg",
                "global_key": k,
                "media_attributes": IMAGE_ATTRIBUTES,
            }
            for k in keys
        ]
    )


def test_slice_export_selects_its_rows_when_exported_not_when_saved(
    client: rowport.Client,
) -> None:
    dataset = client.create_dataset("d")
    _images(dataset, "a")
    saved = client.create_slice("all of d", {"dataset_ids": [dataset.uid]})
    _images(dataset, "b")
    assert keys_of(result_rows(saved.export())) == ["a", "b"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"global_keys": ["b", "c"]}, ["b", "c"]),
        ({"media_types": ["text"]}, ["t"]),
        ({"has_labels": False}, ["b", "c", "t"]),
        ({"has_labels": True}, ["a"]),
        ({"project_ids": ["PROJECT"]}, ["a", "b"]),
        ({"dataset_ids": ["OTHER"]}, ["c"]),
        ({"dataset_ids": ["FIRST"], "has_labels": False}, ["b", "t"]),
    ],
    ids=["keys", "media", "unlabelled", "labelled", "project", "dataset", "and"],
)
def test_slice_export_follows_the_saved_filters(
    client: rowport.Client, filters: dict[str, object], expected: list[str]
) -> None:
    first = client.create_dataset("first")
    other = client.create_dataset("other")
    a, b = _images(first, "a", "b")
    _images(other, "c")
    first.create_data_row(row_data="words", media_type="text", global_key="t")
    ontology = client.create_ontology("o", tools=[{"tool": "bbox", "name": "box"}])
    project = client.create_project("p", "image", ontology)
    project.create_batch("batch", data_rows=[a, b])
    project.import_labels([{"data_row_id": a.uid}])
    names = {"PROJECT": project.uid, "FIRST": first.uid, "OTHER": other.uid}
    resolved = {
        k: [names.get(v, v) for v in value] if isinstance(value, list) else value
        for k, value in filters.items()
    }
    saved = client.create_slice("s", resolved)
    assert keys_of(result_rows(saved.export())) == expected


def test_export_v2_gives_the_same_rows_as_a_list(rich: RichCatalog, exported: ExportCache) -> None:
    task = rich.project.export_v2(params={"label_details": True})
    task.wait_till_done(timeout_seconds=120)
    with pytest.warns(DeprecationWarning):
        rows = task.result
    assert rows == exported("project", {"label_details": True})
