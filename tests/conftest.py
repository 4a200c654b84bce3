"""Suite-wide settings: no media is fetched from the internet (tests use loopback servers)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROWPORT_OFFLINE", "1")
