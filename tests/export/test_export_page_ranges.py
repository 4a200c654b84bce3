"""A page of a project's or a model run's export reads the data rows of its own key range.

Such a plan walks the scope table's ordered index (``project_data_rows_order``...) and joins
each entry's data row by key. PostgreSQL carries the join's equality, not the page's range,
over to ``data_rows``: a merge join (what its planner picks once the tables hold some 100,000
rows with statistics) walked ``data_rows`` from its first key to the page, on every page, so
a page's cost grew with its offset (a 200,000-row export took 9.8x SQLite's time). The page's
range bounds the data row's key too. On PostgreSQL the page is run as a merge join (the other
joins turned off, as a small catalog's planner would pick a nested loop) and the data rows it
reads are counted; on SQLite the page still seeks each data row by key, the added bound a
mere check (its unary ``+``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from catalog_backends import database_env
from export_support import cuid, generated_row

import rowport
from rowport.catalog import _export_reads
from rowport.catalog._db import Connection
from rowport.catalog._export_reads import ExportPlan
from rowport.request import ExportKind, build_request

PROJECT = cuid("cgenproject", 1)
RUN = cuid("cgenrun", 1)
ROWS = 60
PAGE = 5
SCOPES = {ExportKind.PROJECT: PROJECT, ExportKind.MODEL_RUN: RUN}


@pytest.fixture(scope="module")
def client(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, backend: str
) -> Iterator[rowport.Client]:
    """A catalog of :data:`ROWS` rows on ``backend``, each in the project and the run."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in database_env(request, backend).items():
            patch.setenv(name, value)
        client = rowport.Client(tmp_path_factory.mktemp("pages") / "home")
    with client:
        rows = [generated_row(n, project_id=PROJECT, run_ids=[RUN]) for n in range(ROWS)]
        report = client.import_rows(rows, strict=True)
        assert report.ok, report.errors[:3]
        yield client


def _page(plan: ExportPlan, after: int) -> tuple[str, list[Any]]:
    """The read of the page after key ``after`` (its keys and ids)."""
    select = f"SELECT d.rid, d.id FROM {plan.from_sql}"
    sql = _export_reads._keyset_page(plan, select)
    return sql, [*plan.params, *plan.range_args(plan.from_sql, after, plan.max_rid), PAGE]


def _data_rows_read(node: dict[str, Any]) -> int:
    """The rows PostgreSQL's plan ``node`` (``EXPLAIN (ANALYZE, FORMAT JSON)``) read of
    ``data_rows``, in it and below (those a filter then dropped too)."""
    own = 0
    if node.get("Relation Name") == "data_rows":
        own = int(node["Actual Rows"]) + int(node.get("Rows Removed by Filter", 0))
    return own + sum(_data_rows_read(child) for child in node.get("Plans", []))


#: The planner's choices turned off for the page to run as the merge join of two ordered
#: index scans (the plan of a large catalog; a small one's planner picks a nested loop).
_MERGE_ONLY = ("enable_nestloop", "enable_hashjoin", "enable_seqscan", "enable_bitmapscan")


def _merge_join_reads(conn: Connection, sql: str, params: list[Any]) -> tuple[int, list[str]]:
    """The data rows a merge join of the page reads, and the plan's joins."""
    for setting in _MERGE_ONLY:
        conn.execute(f"SET {setting} = off")
    try:
        (explained,) = conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params).fetchone()
    finally:
        for setting in _MERGE_ONLY:
            conn.execute(f"RESET {setting}")
    top = explained[0]["Plan"]
    joins, stack = [], [top]
    while stack:
        node = stack.pop()
        joins += [node["Node Type"]] if "Join" in node["Node Type"] else []
        stack += node.get("Plans", [])
    return _data_rows_read(top), joins


@pytest.mark.parametrize("kind", list(SCOPES))
def test_a_page_reads_the_data_rows_of_its_key_range(
    client: rowport.Client, backend: str, kind: ExportKind
) -> None:
    reads = client.catalog.reads
    plan = reads.plan(build_request(kind, scope_ids=(SCOPES[kind],)))
    assert plan.keys is None  # an unfiltered scope pages by key ranges
    after = plan.max_rid - 2 * PAGE  # a page near the end: the rows before it are many
    sql, params = _page(plan, after)
    got = [row[0] for row in reads.db.conn.execute(sql, params).fetchall()]
    assert len(got) == PAGE and got == sorted(got) and got[0] > after
    if backend == "postgres":
        read, joins = _merge_join_reads(reads.db.conn, sql, params)
        assert joins == ["Merge Join"]
        # the page and at most the one row that ends the merge, not the rows before it
        assert read <= PAGE + 1, f"a page after key {after} read {read} data rows"
    else:
        page = "\n".join(reads.explain_plan(plan)["page"])
        assert "SEARCH d USING INTEGER PRIMARY KEY (rowid=?)" in page
        assert "rowid>?" not in page
