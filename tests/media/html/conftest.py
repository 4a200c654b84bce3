"""Fixtures of the HTML plugin tests: a client with the HTML plugin, files, an HTTP server."""

from __future__ import annotations

import pytest

import rowport_plugins.html


@pytest.fixture
def media_plugins() -> list[object]:
    return [rowport_plugins.html]
