"""Fixtures of the conversational plugin tests: a client with the plugin, an HTTP server."""

from __future__ import annotations

import pytest

import rowport_plugins.conversational


@pytest.fixture
def media_plugins() -> list[object]:
    return [rowport_plugins.conversational]
