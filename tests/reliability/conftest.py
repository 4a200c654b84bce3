"""Fixtures of the reliability tests: the liveness, cancel and full-disk tests (helpers in
``liveness_support.py``), and the resume tests (helpers in ``reliability_support.py``): a
catalog and the streams of an uninterrupted export of it, which every resumed export must equal
byte for byte."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import reliability_support as resume
from liveness_support import ROWS

import rowport
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


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("reliability-catalog")
    client = make_client(base)
    ids = build_catalog(client, rows=resume.ROWS)
    client.close()
    home = base / "home"
    reference = base / "reference"
    shutil.copytree(home, reference)
    with rowport.Client(reference, plugins=resume.quiet_plugins()) as client:
        client._tasks.steps = [resume.FlagSome()]
        task = client.get_project(ids["project"]).export()
        task.wait_till_done(timeout_seconds=resume.WAIT_LIMIT)
        assert task.status == "COMPLETE"
        folder = reference / "tasks" / task.uid
        result, errors = (
            resume.stream_bytes(folder / "result"),
            resume.stream_bytes(folder / "errors"),
        )
    assert result.count(b"\n") == resume.ROWS and errors
    return {"home": home, "ids": ids, "project": ids["project"], "result": result, "errors": errors}


@pytest.fixture
def home(built: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """A fresh copy of the catalog (no tasks in it yet)."""
    shutil.copytree(built["home"], tmp_path / "home")
    return {**built, "home": tmp_path / "home"}


@pytest.fixture
def client(home: dict[str, Any]) -> Iterator[rowport.Client]:
    c = rowport.Client(home["home"], plugins=resume.quiet_plugins())
    c._tasks.steps = [resume.FlagSome()]
    yield c
    c.close()
