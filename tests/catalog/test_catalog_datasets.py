"""Datasets and data rows through the public API, and the input they refuse."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rowport.client import Client
from rowport.entities import DataRow, Dataset
from rowport.errors import CatalogError, InvalidInput


def test_dataset_reads_back(client: Client) -> None:
    created = client.create_dataset("street scenes", description="cars")
    got = client.get_dataset(created.uid)
    assert (got.name, got.description, got.row_count) == ("street scenes", "cars", 0)
    assert got.created_at == created.created_at


def test_get_datasets_lists_oldest_first(client: Client) -> None:
    a = client.create_dataset("a")
    b = client.create_dataset("b")
    assert client.get_datasets() == [a, b]


def test_dataset_refuses_empty_name(client: Client, counts: Callable[[], dict[str, int]]) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="dataset name"):
        client.create_dataset("  ")
    assert counts() == before


def test_data_rows_read_back_with_every_field(client: Client, dataset: Dataset) -> None:
    (row,) = dataset.create_data_rows(
        [
            {
                "row_data": "https://example.com/a.jpg",
                "global_key": "a",
                "external_id": "a.jpg",
                "media_attributes": {"width": 10, "height": 20},
            }
        ]
    )
    got = client.get_data_row(row.uid)
    assert got.global_key == "a"
    assert got.external_id == "a.jpg"
    assert got.row_data == "https://example.com/a.jpg"
    assert got.media_type == "image"
    assert got.media_attributes == {"width": 10, "height": 20}
    assert got.dataset_id == dataset.uid
    assert got.created_by == "admin@rowport.local"
    assert got.created_at == got.updated_at == got.last_activity_at


def test_data_rows_accept_bare_row_data_strings(dataset: Dataset) -> None:
    rows = dataset.create_data_rows(["https://example.com/a.png", "https://example.com/b.mp4"])
    assert [r.media_type for r in rows] == ["image", "video"]


def test_dataset_lists_its_rows_in_order(client: Client, dataset: Dataset) -> None:
    rows = dataset.create_data_rows([f"https://example.com/{i}.jpg" for i in range(4)])
    assert dataset.data_rows() == rows
    assert client.get_dataset(dataset.uid).row_count == 4


def test_create_data_row_takes_keyword_fields(dataset: Dataset) -> None:
    row = dataset.create_data_row(row_data="hello", media_type="text", global_key="t")
    assert (row.media_type, row.global_key) == ("text", "t")


def test_data_row_found_by_global_key(client: Client, rows: list[DataRow]) -> None:
    assert client.get_data_row_by_global_key("img-1") == rows[1]


def test_global_keys_map_to_ids(client: Client, rows: list[DataRow]) -> None:
    found = client.get_data_row_ids_for_global_keys(["img-0", "nope"])
    assert found == {"img-0": rows[0].uid}


def test_unknown_media_type_is_refused_and_changes_nothing(
    dataset: Dataset, counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="unknown media type 'hologram'"):
        dataset.create_data_rows(
            [
                {"row_data": "https://example.com/ok.jpg"},
                {"row_data": "x", "media_type": "hologram"},
            ]
        )
    assert counts() == before


def test_unguessable_media_type_asks_for_one(
    dataset: Dataset, counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="pass media_type"):
        dataset.create_data_rows(["https://example.com/blob"])
    assert counts() == before


def test_duplicate_global_keys_in_one_request_are_refused(
    dataset: Dataset, counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(CatalogError, match="duplicate global keys in the request: k"):
        dataset.create_data_rows(
            [
                {"row_data": "https://example.com/1.jpg", "global_key": "k"},
                {"row_data": "https://example.com/2.jpg", "global_key": "k"},
            ]
        )
    assert counts() == before


def test_global_key_of_an_existing_row_is_refused(
    dataset: Dataset, rows: list[DataRow], counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(CatalogError, match="global keys already in use: img-1"):
        dataset.create_data_rows(
            [
                {"row_data": "https://example.com/new.jpg", "global_key": "fresh"},
                {"row_data": "https://example.com/dup.jpg", "global_key": "img-1"},
            ]
        )
    assert counts() == before


def test_unknown_row_key_is_refused(dataset: Dataset, counts: Callable[[], dict[str, int]]) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="unknown keys colour"):
        dataset.create_data_rows([{"row_data": "https://example.com/a.jpg", "colour": "red"}])
    assert counts() == before


def test_update_returns_fresh_handle_and_refreshes_this_one(rows: list[DataRow]) -> None:
    row = rows[0]
    fresh = row.update(external_id="renamed.jpg", media_attributes={"width": 5})
    assert fresh.external_id == row.external_id == "renamed.jpg"
    assert fresh.media_attributes == {"width": 5}
    assert fresh is not row


def test_update_refuses_unknown_fields(
    rows: list[DataRow], counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="cannot update media_type"):
        rows[0].update(media_type="video")
    assert counts() == before


def test_update_refuses_a_global_key_in_use(rows: list[DataRow], client: Client) -> None:
    with pytest.raises(CatalogError, match="global key already in use: img-1"):
        rows[0].update(global_key="img-1")
    assert client.get_data_row(rows[0].uid).global_key == "img-0"


def test_attachments_read_back_in_order(rows: list[DataRow]) -> None:
    rows[0].add_attachments(
        [
            {"type": "RAW_TEXT", "value": "a note", "name": "note"},
            {"type": "IMAGE_OVERLAY", "value": "https://example.com/mask.png"},
        ]
    )
    got = rows[0].attachments()
    assert [(a["type"], a["value"], a["name"]) for a in got] == [
        ("RAW_TEXT", "a note", "note"),
        ("IMAGE_OVERLAY", "https://example.com/mask.png", None),
    ]


def test_unknown_attachment_type_is_refused(
    rows: list[DataRow], counts: Callable[[], dict[str, int]]
) -> None:
    before = counts()
    with pytest.raises(InvalidInput, match="unknown attachment type 'GIF'"):
        rows[0].add_attachments([{"type": "GIF", "value": "x"}])
    assert counts() == before
