"""An import collects garbage less often while it runs, and leaves the collector as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from ingest_rows import labelled_row

from rowport import Client
from rowport._gc import EXPORT_THRESHOLD, IMPORT_THRESHOLD, fewer_collections
from rowport.catalog._ingest._report import IngestProgress


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*before)


def test_an_import_raises_the_threshold_and_restores_it(
    tmp_path: Path, thresholds: tuple[int, int, int]
) -> None:
    seen: list[tuple[int, int, int]] = []

    def progress(_: IngestProgress) -> None:
        seen.append(gc.get_threshold())

    with Client(tmp_path / "home") as client:
        report = client.import_rows([labelled_row(1), labelled_row(2)], progress=progress)
        assert report.loaded == 2
        assert seen and all(t == (IMPORT_THRESHOLD, 10, 10) for t in seen)
        assert gc.get_threshold() == thresholds
        bad = client.import_rows([{"data_row": 3}], progress=progress)
        assert bad.failed == 1
        assert gc.get_threshold() == thresholds


def test_nested_uses_restore_only_when_the_last_ends(thresholds: tuple[int, int, int]) -> None:
    with fewer_collections(IMPORT_THRESHOLD):
        with fewer_collections(IMPORT_THRESHOLD):
            assert gc.get_threshold()[0] == IMPORT_THRESHOLD
        assert gc.get_threshold()[0] == IMPORT_THRESHOLD
    assert gc.get_threshold() == thresholds


def test_a_collector_turned_off_stays_off() -> None:
    before = gc.get_threshold()
    gc.set_threshold(0)
    try:
        with fewer_collections(IMPORT_THRESHOLD):
            assert gc.get_threshold()[0] == 0
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)


def test_an_import_and_an_export_that_overlap_share_one_count(
    thresholds: tuple[int, int, int],
) -> None:
    # an export that starts during an import and ends after it must not restore the import's
    # raised threshold as if it were the process's own
    importing = fewer_collections(IMPORT_THRESHOLD)
    importing.__enter__()
    with fewer_collections(EXPORT_THRESHOLD):
        assert gc.get_threshold()[0] == max(EXPORT_THRESHOLD, IMPORT_THRESHOLD)
        importing.__exit__(None, None, None)
        assert gc.get_threshold()[0] == EXPORT_THRESHOLD
    assert gc.get_threshold() == thresholds
