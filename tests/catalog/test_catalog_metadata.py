"""Metadata fields and embeddings: schemas, values, and values of the wrong kind."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rowport.client import Client
from rowport.entities import DataRow, Dataset
from rowport.errors import CatalogError, InvalidInput


@pytest.fixture
def schemas(client: Client) -> dict[str, dict[str, object]]:
    """One metadata field of each kind."""
    return {
        "camera": client.create_metadata_schema("camera", "string"),
        "speed": client.create_metadata_schema("speed", "number"),
        "taken": client.create_metadata_schema("taken", "datetime"),
        "weather": client.create_metadata_schema("weather", "enum", ["sunny", "rain"]),
    }


def test_metadata_schemas_read_back(client: Client, schemas: dict[str, dict[str, object]]) -> None:
    listed = client.get_metadata_schemas()
    assert [(s["name"], s["kind"]) for s in listed] == [
        ("camera", "string"),
        ("speed", "number"),
        ("taken", "datetime"),
        ("weather", "enum"),
    ]
    assert [o["name"] for o in listed[3]["options"]] == ["sunny", "rain"]


def test_metadata_kind_must_be_known(client: Client, counts: Callable[[], dict[str, int]]) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="unknown metadata kind 'colour'"):
        client.create_metadata_schema("c", "colour")
    assert counts() == before


def test_metadata_schema_names_are_unique(
    client: Client, schemas: dict[str, dict[str, object]], counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(CatalogError, match="'camera' already exists"):
        client.create_metadata_schema("camera", "string")
    assert counts() == before


def test_metadata_values_read_back(
    rows: list[DataRow], schemas: dict[str, dict[str, object]]
) -> None:
    rows[0].set_metadata(
        [
            {"name": "camera", "value": "front"},
            {"schema_id": schemas["speed"]["id"], "value": 12.5},
            {"name": "taken", "value": "2024-01-02T03:04:05Z"},
            {"name": "weather", "value": "rain"},
        ]
    )
    got = {f["schema_name"]: f["value"] for f in rows[0].metadata_fields()}
    assert got["camera"] == "front"
    assert got["speed"] == 12.5
    assert got["taken"] == "2024-01-02T03:04:05Z"
    assert got["weather"]["schema_name"] == "rain"


def test_metadata_on_new_rows_is_stored(
    dataset: Dataset, schemas: dict[str, dict[str, object]]
) -> None:
    (row,) = dataset.create_data_rows(
        [
            {
                "row_data": "https://example.com/a.jpg",
                "metadata_fields": [{"name": "camera", "value": "rear"}],
            }
        ]
    )
    assert [f["value"] for f in row.metadata_fields()] == ["rear"]


def test_setting_a_field_again_replaces_its_value(
    rows: list[DataRow], schemas: dict[str, dict[str, object]]
) -> None:
    rows[0].set_metadata([{"name": "camera", "value": "front"}, {"name": "speed", "value": 1}])
    rows[0].set_metadata([{"name": "camera", "value": "rear"}])
    got = {f["schema_name"]: f["value"] for f in rows[0].metadata_fields()}
    assert got == {"camera": "rear", "speed": 1}


def test_replace_drops_other_fields(
    rows: list[DataRow], schemas: dict[str, dict[str, object]]
) -> None:
    rows[0].set_metadata([{"name": "camera", "value": "front"}, {"name": "speed", "value": 1}])
    rows[0].set_metadata([{"name": "speed", "value": 2}], replace=True)
    assert [(f["schema_name"], f["value"]) for f in rows[0].metadata_fields()] == [("speed", 2)]


def test_string_field_refuses_a_number(
    rows: list[DataRow], schemas: dict[str, dict[str, object]], counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="field 'camera' is a string field, got 42"):
        rows[0].set_metadata([{"name": "camera", "value": 42}])
    assert counts() == before
    assert rows[0].metadata_fields() == []


def test_new_row_with_a_number_in_a_string_field_is_refused(
    dataset: Dataset, schemas: dict[str, dict[str, object]], counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match=r"data row 0: metadata_fields\[0\].*string field"):
        dataset.create_data_rows(
            [
                {
                    "row_data": "https://example.com/a.jpg",
                    "metadata_fields": [{"name": "camera", "value": 1}],
                }
            ]
        )
    assert counts() == before


def test_enum_field_refuses_an_unknown_option(
    rows: list[DataRow], schemas: dict[str, dict[str, object]], counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(
        InvalidInput, match="'snow' is not an option of enum field 'weather': sunny, rain"
    ):
        rows[0].set_metadata([{"name": "weather", "value": "snow"}])
    assert counts() == before


def test_number_field_refuses_a_string(
    rows: list[DataRow], schemas: dict[str, dict[str, object]], counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="'speed' is a number field"):
        rows[0].set_metadata([{"name": "speed", "value": "fast"}])
    assert counts() == before


def test_datetime_field_refuses_a_non_date(
    rows: list[DataRow], schemas: dict[str, dict[str, object]], counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="'taken' is a datetime field"):
        rows[0].set_metadata([{"name": "taken", "value": "yesterday"}])
    assert counts() == before


def test_unknown_metadata_field_is_refused(
    rows: list[DataRow], counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="unknown metadata field 'lens'"):
        rows[0].set_metadata([{"name": "lens", "value": "wide"}])
    assert counts() == before


def test_embedding_reads_back(client: Client) -> None:
    created = client.create_embedding("clip", 3)
    assert client.get_embedding("clip") == created
    assert (created["dimensions"], created["is_custom"]) == (3, True)


def test_embedding_vectors_read_back(client: Client, rows: list[DataRow]) -> None:
    emb = client.create_embedding("clip", 3)
    rows[0].add_embeddings([{"embedding_id": emb["id"], "vector": [0.5, 1, 2]}])
    assert rows[0].embeddings() == [
        {"embedding_id": emb["id"], "name": "clip", "vector": [0.5, 1.0, 2.0]}
    ]


def test_vector_of_the_wrong_length_is_refused(
    client: Client, rows: list[DataRow], counts: Callable[[], dict[str, int]]
) -> None:
    client.create_embedding("clip", 3)
    before = counts()
    with pytest.raises(InvalidInput, match="has 2 values; embedding 'clip' has 3 dimensions"):
        rows[0].add_embeddings([{"name": "clip", "vector": [1, 2]}])
    assert counts() == before
