"""Fixtures of the geospatial plugin tests: a client with the geospatial plugin."""

from __future__ import annotations

import pytest

import rowport_plugins.geospatial


@pytest.fixture
def media_plugins() -> list[object]:
    return [rowport_plugins.geospatial]
