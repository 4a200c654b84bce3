"""Fixtures for the video plugin tests: a client with the video plugin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import rowport
import rowport_plugins.video
from rowport.testing import make_client


@pytest.fixture
def client(tmp_path: Path) -> Iterator[rowport.Client]:
    with make_client(tmp_path, plugins=[rowport_plugins.video]) as made:
        yield made
