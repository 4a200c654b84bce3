"""Fixtures of the liveness, cancel and full-disk tests (helpers in ``liveness_support.py``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from liveness_support import ROWS

from rowport.testing import build_catalog, make_client


@pytest.fixture(scope="session")
def live_built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A home with an image project of ROWS labelled rows, built once."""
    base = tmp_path_factory.mktemp("liveness-catalog")
    client = make_client(base)
    ids = build_catalog(client, rows=ROWS)
    client.close()
    return {"home": base / "home", "project": ids["project"]}


@pytest.fixture
def live_home(live_built: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """A fresh copy of the built home for one test."""
    shutil.copytree(live_built["home"], tmp_path / "home")
    return {**live_built, "home": tmp_path / "home"}
