"""Fixtures for task tests: a real catalog with enough rows for several batches and parts."""

from __future__ import annotations

import functools
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tasks_support import ROWS, Gate

import rowport
from rowport.streams import StreamWriter
from rowport.testing import build_catalog, make_client


@pytest.fixture(scope="session")
def _built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("tasks-catalog")
    client = make_client(base)
    ids = build_catalog(client, rows=ROWS)
    client.close()
    return {"home": base / "home", "project": ids["project"], "ids": ids}


@pytest.fixture
def home(_built: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """A home with an image project of ROWS labelled rows (a fresh copy per test)."""
    shutil.copytree(_built["home"], tmp_path / "home")
    return {**_built, "home": tmp_path / "home"}


@pytest.fixture
def client(home: dict[str, Any]) -> Iterator[rowport.Client]:
    c = rowport.Client(home["home"])
    yield c
    c.close()


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streams rotate parts every 8 KiB, so a few hundred rows make many parts."""
    import rowport.tasks._runner as runner

    monkeypatch.setattr(
        runner, "StreamWriter", functools.partial(StreamWriter, part_max_bytes=8192)
    )


@pytest.fixture
def gate(client: rowport.Client) -> Iterator[Gate]:
    """Install a :class:`Gate` in the client's pipeline (opened at teardown)."""
    g = Gate()
    client._tasks.steps = [g]
    yield g
    g.open_all()


@pytest.fixture(autouse=True)
def _catalog_backend(catalog_backend: str) -> str:
    """Every test of this suite runs on each catalog backend (``catalog_backends``)."""
    return catalog_backend
