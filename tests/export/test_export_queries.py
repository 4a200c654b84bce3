"""Assembly reads the catalog a constant number of times per batch of rows, never per row.

The runner assembles rows 100 at a time, so exports of 101 and 200 rows (two batches each) must
make the same number of reads, and each further batch the same number again.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from export_support import cuid, finish, generated_row

import rowport
from rowport import DataRow, ExportTask
from rowport.catalog import _db
from rowport.testing import ALL_SECTIONS

PROJECT = cuid("cgenproject", 1)
RUNS = [cuid("cgenrun", 1), cuid("cgenrun", 2)]
ROWS = 300
SIZES = (100, 101, 200, 300)  # rows exported: 1, 2, 2 and 3 batches

# Every ExportSource method an export calls for its rows (catalog.reads).
READS = (
    "iter_batches",
    "read_queue",
    "read_history",
    "read_labels",
    "read_run_rows",
    "read_run_annotations",
    "project_names_and_tags",
    "project_ontology",
    "dataset_names",
)


@attrs.define
class Counts:
    """Catalog method calls and SQL statements made by export runner threads."""

    calls: Counter[str] = attrs.field(factory=Counter)
    statements: int = 0
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.statements = 0

    def statement(self, sql: str) -> None:
        """Count the catalog reads of export threads. Writes (progress, checkpoints, heartbeats)
        and reads of the task tables are left out: how many of those a run makes depends on the
        clock (progress is written by time), which a loaded machine stretches."""
        if not threading.current_thread().name.startswith("rowport-export"):
            return
        if not _READ.match(sql) or _TASK_TABLES.search(sql):
            return
        with self.lock:
            self.statements += 1


_READ = re.compile(r"\s*(SELECT|WITH)\b", re.IGNORECASE)
_TASK_TABLES = re.compile(r"\b(FROM|JOIN)\s+task", re.IGNORECASE)


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[rowport.Client, Counts]]:
    """A client on 300 generated rows whose reads are counted."""
    counts = Counts()
    real_open = _db.Database._open

    def traced_open(self: _db.Database) -> sqlite3.Connection:
        conn = real_open(self)
        conn.set_trace_callback(counts.statement)
        return conn

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_db.Database, "_open", traced_open)
        with rowport.Client(tmp_path_factory.mktemp("counted") / "home") as client:
            rows = [generated_row(n, project_id=PROJECT, run_ids=RUNS) for n in range(ROWS)]
            report = client.import_rows(rows, strict=True)
            assert report.ok, report.errors[:3]
            catalog = client.catalog.reads
            for name in READS:
                real = getattr(catalog, name)
                patch.setattr(catalog, name, _counting(real, name, counts))
            yield client, counts


def _counting(real: Callable[..., Any], name: str, counts: Counts) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with counts.lock:
            counts.calls[name] += 1
        return real(*args, **kwargs)

    return wrapper


EXPORTS: dict[str, Callable[[rowport.Client, list[str]], ExportTask]] = {
    "project": lambda c, ids: c.get_project(PROJECT).export(
        params=ALL_SECTIONS,
        filters={"data_row_ids": ids},
    ),
    "data_rows": lambda c, ids: DataRow.export(
        c,
        data_rows=ids,
        params={
            **ALL_SECTIONS,
            "predictions": True,
            "model_run_details": True,
            "all_projects": True,
            "all_model_runs": True,
        },
    ),
    "dataset": lambda c, ids: c.get_dataset(cuid("cgendataset", 1)).export(
        params={
            "attachments": True,
            "metadata_fields": True,
            "embeddings": True,
            "data_row_details": True,
            "all_projects": True,
            "all_model_runs": True,
            "predictions": True,
        },
        filters={"data_row_ids": ids},
    ),
}


def _measure(
    client: rowport.Client, counts: Counts, kind: str
) -> dict[int, tuple[Counter[str], int]]:
    out = {}
    for size in SIZES:
        counts.reset()
        task = finish(EXPORTS[kind](client, [cuid("cgenrow", n) for n in range(size)]))
        assert task.get_total_lines(rowport.StreamType.RESULT) == size
        with counts.lock:
            out[size] = (Counter(counts.calls), counts.statements)
    return out


@pytest.mark.parametrize("kind", EXPORTS)
def test_catalog_reads_are_the_same_for_the_same_number_of_batches(
    counted: tuple[rowport.Client, Counts], kind: str
) -> None:
    measured = _measure(*counted, kind)
    assert measured[101][0] == measured[200][0]


@pytest.mark.parametrize("kind", EXPORTS)
def test_catalog_reads_grow_by_a_constant_per_batch(
    counted: tuple[rowport.Client, Counts], kind: str
) -> None:
    measured = _measure(*counted, kind)
    one, two, three = measured[100][0], measured[200][0], measured[300][0]
    assert two - one == three - two
    assert sum((three - two).values()) <= len(READS)


@pytest.mark.parametrize("kind", EXPORTS)
def test_sql_statements_grow_with_batches_not_rows(
    counted: tuple[rowport.Client, Counts], kind: str
) -> None:
    measured = _measure(*counted, kind)
    one, two_small, two, three = (measured[n][1] for n in SIZES)
    # the same reads for the same number of batches; a per-row query would add ~100
    assert two == two_small
    assert three - two == two - one
    assert three < 3 * 40, f"{three} statements for 3 batches"
