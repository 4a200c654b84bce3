"""Fixtures for the catalog API tests: a client on a fresh home in ``tmp_path``."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rowport import testing
from rowport.client import Client
from rowport.entities import DataRow, Dataset, Ontology, Project

REFERENCE = Path(__file__).parents[2].parent / "shared" / "reference"
SAMPLES = REFERENCE / "labelbox-samples"

ONTOLOGY_TOOLS: list[dict[str, Any]] = [
    {
        "tool": "bbox",
        "name": "box",
        "classifications": [
            {"type": "radio", "name": "occluded", "options": [{"name": "yes"}, {"name": "no"}]}
        ],
    },
    {"tool": "polygon", "name": "outline"},
]
ONTOLOGY_CLASSIFICATIONS: list[dict[str, Any]] = [
    {"type": "radio", "name": "quality", "options": [{"name": "good"}, {"name": "bad"}]},
    {"type": "checklist", "name": "tags", "options": ["day", "night"]},
    {"type": "text", "name": "note"},
]


def table_counts(client: Client) -> dict[str, int]:
    """The row count of every table of the client's catalog, read over a separate connection."""
    conn = sqlite3.connect(client.home / "catalog.db")
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        conn.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    """A client on an empty home."""
    with Client(home=tmp_path / "home") as c:
        yield c


@pytest.fixture
def dataset(client: Client) -> Dataset:
    """An empty dataset."""
    return client.create_dataset("street scenes", description="test images")


@pytest.fixture
def rows(dataset: Dataset) -> list[DataRow]:
    """Three image rows with global keys ``img-0`` .. ``img-2``."""
    return dataset.create_data_rows(
        [{"row_data": f"https://example.com/{i}.jpg", "global_key": f"img-{i}"} for i in range(3)]
    )


@pytest.fixture
def ontology(client: Client) -> Ontology:
    """An image ontology with two tools and three classifications."""
    return client.create_ontology(
        "street ontology",
        tools=ONTOLOGY_TOOLS,
        classifications=ONTOLOGY_CLASSIFICATIONS,
        media_type="image",
    )


@pytest.fixture
def project(client: Client, ontology: Ontology) -> Project:
    """An image project labelled with :func:`ontology`."""
    return client.create_project("street project", "image", ontology=ontology)


@pytest.fixture
def queued(project: Project, rows: list[DataRow]) -> Project:
    """:func:`project` with the first two rows queued in one batch."""
    project.create_batch("first", data_rows=rows[:2])
    return project


@pytest.fixture
def counts(client: Client) -> Callable[[], dict[str, int]]:
    """Call it for the row count of every table, to show a refused change left no trace."""
    return lambda: table_counts(client)


@pytest.fixture
def box_label() -> Callable[..., dict[str, Any]]:
    """Build a label spec for a row: one box and a ``quality`` answer, by feature name."""
    return testing.box_label


@pytest.fixture
def samples() -> Path:
    """The reference's sample rows; the test is skipped when they are not beside the repo."""
    if not SAMPLES.is_dir():
        pytest.skip(f"needs: the reference samples at {SAMPLES}")
    return SAMPLES


@pytest.fixture(autouse=True)
def _catalog_backend(catalog_backend: str) -> str:
    """Every test of this suite runs on each catalog backend (``catalog_backends``)."""
    return catalog_backend
