"""Fixtures for the stream store tests: small real streams on local disk and on S3."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest

from rowport.streams import StreamManifest, StreamWriter
from rowport.streams._storage import StreamPlace, join_place


def make_rows(count: int, start: int = 0) -> list[bytes]:
    """``count`` JSON rows of varying length, numbered from ``start``."""
    return [
        orjson.dumps({"id": f"row-{i}", "n": i, "text": "x" * (i % 37), "tags": ["é", "字"]})
        for i in range(start, start + count)
    ]


def write_stream(
    directory: StreamPlace, rows: list[bytes], *, part_max_bytes: int = 512, batch: int = 3
) -> StreamManifest:
    """Write ``rows`` in batches of ``batch`` and close the stream."""
    writer = StreamWriter(directory, part_max_bytes=part_max_bytes)
    for i in range(0, len(rows), batch):
        writer.write_lines(rows[i : i + batch])
    return writer.close()


RowsFactory = Callable[..., list[bytes]]
StreamFactory = Callable[..., tuple[StreamPlace, list[bytes]]]


@pytest.fixture(name="make_rows")
def make_rows_fixture() -> RowsFactory:
    """The :func:`make_rows` helper, for tests."""
    return make_rows


@pytest.fixture
def place(stream_place: StreamPlace) -> StreamPlace:
    """A stream folder on local disk or a prefix on SeaweedFS (see ``stream_place``)."""
    return stream_place


@pytest.fixture
def stream(place: StreamPlace) -> StreamFactory:
    """Build a closed multi-part stream of ``count`` rows (on local disk and on S3); returns
    its place and rows."""

    def build(count: int = 100, **kwargs: int) -> tuple[StreamPlace, list[bytes]]:
        directory = join_place(place, "result")
        rows = make_rows(count)
        write_stream(directory, rows, **kwargs)
        return directory, rows

    return build
