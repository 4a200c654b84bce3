"""Fixtures for the CLI tests: a small real catalog in ``tmp_path`` and a way to run ``rowport``.

The catalog is built through the Python API and its client closed before a command runs, so
each command opens the home the way a user's shell would.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from clitools import Gate, Run, Sample, build_sample

from rowport import Client
from rowport.cli import main


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty rowport home."""
    return tmp_path / "home"


@pytest.fixture
def sample(home: Path) -> Sample:
    """The sample catalog in :func:`home`."""
    return build_sample(home)


@pytest.fixture
def run(home: Path) -> Run:
    """Run ``rowport --home HOME ARGS...`` in-process; returns click's Result."""

    def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        argv: Sequence[str] = ["--home", str(home), *(str(a) for a in args)]
        return runner.invoke(main, argv, env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def gate() -> Gate:
    """A fresh :class:`Gate`."""
    return Gate()


@pytest.fixture
def owner(sample: Sample, gate: Gate) -> Iterator[Client]:
    """A second client on the sample home, as another process running exports would be."""
    client = Client(sample.home)
    yield client
    gate.release.set()
    client.close()
