"""Ids, lookups of missing entities, and the schema's migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from rowport.catalog._schema import MIGRATIONS
from rowport.client import Client
from rowport.entities import DataRow, Dataset
from rowport.errors import NotFound

MISSING = "c" + "z" * 24

GETTERS: dict[str, Callable[[Client, str], object]] = {
    "dataset": Client.get_dataset,
    "data row": Client.get_data_row,
    "data row with global key": Client.get_data_row_by_global_key,
    "ontology": Client.get_ontology,
    "project": Client.get_project,
    "model": Client.get_model,
    "model run": Client.get_model_run,
    "slice": Client.get_slice,
    "embedding": Client.get_embedding,
}


@pytest.mark.parametrize("kind", sorted(GETTERS))
def test_getter_raises_not_found_naming_the_id(client: Client, kind: str) -> None:
    with pytest.raises(NotFound) as caught:
        GETTERS[kind](client, MISSING)
    assert (caught.value.kind, caught.value.id) == (kind, MISSING)
    assert MISSING in str(caught.value)


def test_not_found_is_a_lookup_error(client: Client) -> None:
    with pytest.raises(LookupError):
        client.get_project(MISSING)


def test_ids_are_25_url_safe_characters(
    client: Client, dataset: Dataset, rows: list[DataRow]
) -> None:
    project = client.create_project("p", "image")
    for uid in (dataset.uid, project.uid, *(r.uid for r in rows)):
        assert len(uid) == 25
        assert uid.isalnum() and uid == uid.lower()


def test_ids_sort_by_creation(client: Client) -> None:
    datasets = [client.create_dataset(f"d{i}") for i in range(50)]
    ids = [d.uid for d in datasets]
    assert sorted(ids) == ids
    rows = datasets[0].create_data_rows([f"https://example.com/{i}.jpg" for i in range(50)])
    row_ids = [r.uid for r in rows]
    assert sorted(row_ids) == row_ids
    assert ids[-1] < row_ids[0]


def _user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.sqlite_only
def test_new_catalog_is_at_the_latest_schema_version(tmp_path: Path) -> None:
    Client(tmp_path).close()
    assert _user_version(tmp_path / "catalog.db") == len(MIGRATIONS)


@pytest.mark.sqlite_only
def test_reopening_keeps_schema_version_and_data(tmp_path: Path) -> None:
    with Client(tmp_path) as first:
        dataset_id = first.create_dataset("d").uid
    with Client(tmp_path) as second:
        assert second.catalog.db.schema_version == len(MIGRATIONS)
        assert [d.uid for d in second.get_datasets()] == [dataset_id]
    assert _user_version(tmp_path / "catalog.db") == len(MIGRATIONS)


def test_version_0_file_is_migrated(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "catalog.db")
    conn.execute("CREATE TABLE unrelated (x)")  # a v0 file: a database without our schema
    conn.commit()
    conn.close()
    assert _user_version(tmp_path / "catalog.db") == 0
    with Client(tmp_path) as client:
        assert client.catalog.db.schema_version == len(MIGRATIONS)
        assert client.create_dataset("d").name == "d"


def test_organization_is_created_once(tmp_path: Path) -> None:
    with Client(tmp_path) as first:
        org = first.catalog.organization_id
    with Client(tmp_path, user_email="other@example.com") as second:
        assert second.catalog.organization_id == org
