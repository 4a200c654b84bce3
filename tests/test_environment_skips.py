"""A ``needs:`` skip is a skip on a user's machine and a failure where CI requires the
environment (``ROWPORT_REQUIRE_ENVIRONMENT=1``); other skips stay skips."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TESTS = """
import pytest

def test_needs_a_package():
    pytest.skip("needs: chromium (apt-get install chromium)")

@pytest.mark.skipif(True, reason="needs: the reference samples")
def test_needs_samples():
    pass

def test_skips_for_another_reason():
    pytest.skip("nothing to run on this page")
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text())
    pytester.makepyfile(test_skips=TESTS)
    return pytester


def test_needs_skips_are_skips_on_a_users_machine(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROWPORT_REQUIRE_ENVIRONMENT", raising=False)
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(skipped=3)


def test_needs_skips_fail_where_the_environment_is_required(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROWPORT_REQUIRE_ENVIRONMENT", "1")
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, errors=1, skipped=1)
    result.stdout.fnmatch_lines(["*ROWPORT_REQUIRE_ENVIRONMENT=1 does not allow*chromium*"])
