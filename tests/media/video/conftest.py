"""Fixtures of the video plugin tests: a client with the video plugin."""

from __future__ import annotations

import pytest

import rowport_plugins.video


@pytest.fixture
def media_plugins() -> list[object]:
    return [rowport_plugins.video]
