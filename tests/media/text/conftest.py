"""Fixtures of the text plugin tests: a client with the text plugin, an HTTP server."""

from __future__ import annotations

import pytest

import rowport_plugins.text


@pytest.fixture
def media_plugins() -> list[object]:
    return [rowport_plugins.text]
