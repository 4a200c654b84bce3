"""``last_activity_at`` moves on the events the reference counts as activity, and only then."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from rowport._time import parse_ts
from rowport.client import Client
from rowport.entities import DataRow, Project


def _later(client: Client, row: DataRow, act: Callable[[], object]) -> tuple[str, str]:
    before = client.get_data_row(row.uid).last_activity_at
    time.sleep(0.005)  # timestamps have millisecond resolution
    act()
    return before, client.get_data_row(row.uid).last_activity_at


def _events(
    client: Client, queued: Project, rows: list[DataRow], box_label: Callable[..., dict[str, Any]]
) -> dict[str, Callable[[], object]]:
    row = rows[0]
    client.create_metadata_schema("camera", "string")
    emb = client.create_embedding("clip", 2)
    (label,) = queued.import_labels([box_label(row)])
    return {
        "update": lambda: row.update(external_id="x"),
        "metadata": lambda: row.set_metadata([{"name": "camera", "value": "front"}]),
        "attachments": lambda: row.add_attachments([{"type": "RAW_TEXT", "value": "hi"}]),
        "embeddings": lambda: row.add_embeddings([{"embedding_id": emb["id"], "vector": [1, 2]}]),
        "workflow move": lambda: queued.move_data_rows_to_status([row], "InReview"),
        "label": lambda: queued.import_labels([box_label(row)]),
        "review": lambda: label.add_review("Reject"),
        "batch": lambda: client.create_project("other", "image").create_batch("b", [row]),
    }


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
    ],
)
def test_last_activity_at_is_bumped_by(
    event: str,
    client: Client,
    queued: Project,
    rows: list[DataRow],
    box_label: Callable[..., dict[str, Any]],
) -> None:
    act = _events(client, queued, rows, box_label)[event]
    before, after = _later(client, rows[0], act)
    assert parse_ts(after) > parse_ts(before)


def test_last_activity_at_is_not_bumped_by_reading(client: Client, rows: list[DataRow]) -> None:
    before, after = _later(client, rows[0], lambda: (rows[0].metadata_fields(), rows[0].refresh()))
    assert after == before


def test_last_activity_at_of_other_rows_stays(client: Client, rows: list[DataRow]) -> None:
    before, after = _later(client, rows[1], lambda: rows[0].update(external_id="x"))
    assert after == before


def test_update_moves_updated_at_too(client: Client, rows: list[DataRow]) -> None:
    time.sleep(0.005)
    fresh = rows[0].update(external_id="x")
    assert parse_ts(fresh.updated_at) > parse_ts(fresh.created_at)
