"""Suite-wide settings.

- No media is fetched from the internet: tests use loopback servers (``ROWPORT_OFFLINE=1``).
- A test that cannot run here for want of something outside the repository (the reference
  samples beside the checkout, a system package such as chromium or postgresql) skips with a
  reason that starts with ``needs:``. On a user's machine that is a skip; where
  ``ROWPORT_REQUIRE_ENVIRONMENT=1`` is set (``.ci/run`` sets it) such a skip fails the run, so
  CI never passes by silently testing less.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

NEEDS = "needs:"

pytest_plugins = ["catalog_backends"]


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROWPORT_OFFLINE", "1")


def _environment_required() -> bool:
    return os.environ.get("ROWPORT_REQUIRE_ENVIRONMENT", "").strip().lower() in ("1", "true", "yes")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and _environment_required() and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if reason.removeprefix("Skipped: ").startswith(NEEDS):
            report.outcome = "failed"
            report.longrepr = (
                f"{item.nodeid}: skipped for want of the environment, which "
                f"ROWPORT_REQUIRE_ENVIRONMENT=1 does not allow: {reason}"
            )
    return report
