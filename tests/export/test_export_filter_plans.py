"""Filtered exports walk the indexes meant for them: a page of rows is a seek, never a sort.

Each case plans a request on the timed catalog (see ``test_export_filters``) and reads SQLite's
``EXPLAIN QUERY PLAN`` of the plan read and of a page read. Without ``ANALYZE`` statistics the
planner's choice does not depend on the table sizes, so the small catalog shows the plan a
200,000-row one gets. What the filters select is checked in ``test_export_filters``; how fast
they run is measured in ``benchmarks/filters.py``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from export_support import BATCHES, TIMED_DATASET, TIMED_PROJECT, TimedCatalog, timed_row_id

import rowport
from rowport.catalog import _export_reads
from rowport.catalog._export_reads import ExportPlan
from rowport.request import ExportKind, PlanLayout, build_request

#: SQLite's query plans (``EXPLAIN QUERY PLAN``): PostgreSQL plans differently.
pytestmark = pytest.mark.sqlite_only

PROJECT_ORDER = "project_data_rows_order (project_id=?)"
DATASET_ORDER = "data_rows_dataset (dataset_id=?)"
PROJECT_RANGE = "project_data_rows_order (project_id=? AND data_row_rid>? AND data_row_rid<?)"
DATASET_RANGE = "data_rows_dataset (dataset_id=? AND rid>? AND rid<?)"
KEY_SEEK = "USING INTEGER PRIMARY KEY (rowid=?)"
LABEL_PROBE = "labels_row_created (data_row_id=?"
SINCE = ["2024-02-01", None]


def explain(
    timed: TimedCatalog, kind: ExportKind, filters: dict[str, Any], scope: str | None = None
) -> dict[str, list[str]]:
    """The plan and page query plans of an export of ``kind`` with ``filters``."""
    return reads_and_plan(timed, kind, filters, scope)[1]


def reads_and_plan(
    timed: TimedCatalog, kind: ExportKind, filters: dict[str, Any], scope: str | None = None
) -> tuple[ExportPlan, dict[str, list[str]]]:
    """The plan of an export of ``kind`` with ``filters`` and its query plans."""
    default = TIMED_PROJECT if kind is ExportKind.PROJECT else TIMED_DATASET
    scope_ids = () if kind is ExportKind.CATALOG else (scope or default,)
    request = build_request(kind, scope_ids=scope_ids, filters=filters)
    reads = timed.client.catalog.reads
    plan = reads.plan(request)
    return plan, reads.explain_plan(plan)


def joined(lines: list[str]) -> str:
    return "\n".join(lines)


def assert_pages_seek_listed_keys(plan: ExportPlan, plans: dict[str, list[str]]) -> None:
    """A filtered plan listed its keys (so it counted them): its pages seek those keys and
    never evaluate the filter again."""
    assert plan.keys is not None and len(plan.keys) == plan.total
    page = joined(plans["page"])
    assert KEY_SEEK in page
    assert "TEMP B-TREE" not in page and "SCAN " not in page and "SUBQUERY" not in page


@pytest.mark.parametrize("kind", [ExportKind.PROJECT, ExportKind.DATASET])
def test_label_created_at_probes_each_rows_own_labels_not_the_projects_by_date(
    timed: TimedCatalog, kind: ExportKind
) -> None:
    plan, plans = reads_and_plan(timed, kind, {"label_created_at": SINCE})
    listed = joined(plans["plan"])
    assert LABEL_PROBE in listed
    assert "labels_created" not in listed
    order = PROJECT_ORDER if kind is ExportKind.PROJECT else DATASET_ORDER
    assert order in listed and "TEMP B-TREE" not in listed
    # one pass: the probe runs when the plan lists the keys, not again for the pages
    assert LABEL_PROBE not in joined(plans["page"])
    assert_pages_seek_listed_keys(plan, plans)


def test_project_label_probe_runs_before_the_data_row_is_read(timed: TimedCatalog) -> None:
    # the queue entry names the row, so a row without a label in the window costs no row read
    both = {"label_created_at": SINCE, "last_activity_at": SINCE}
    listed = explain(timed, ExportKind.PROJECT, both)["plan"]
    probe = next(i for i, line in enumerate(listed) if LABEL_PROBE in line)
    row_read = next(i for i, line in enumerate(listed) if line.startswith("SEARCH d "))
    assert probe < row_read


@pytest.mark.parametrize(
    "filters",
    [
        {"label_created_at": SINCE},
        {"label_created_at": SINCE, "workflow_status": "Done", "batch_ids": [BATCHES["B1"]]},
        {"data_row_ids": [timed_row_id(1)], "workflow_status": "InReview"},
    ],
    ids=["label_created_at", "label+status+batch", "ids+status"],
)
def test_a_project_plan_reads_no_data_row_for_filters_on_the_queue_and_labels(
    timed: TimedCatalog, filters: dict[str, Any]
) -> None:
    # each queue entry names an existing data row: the pass that lists the keys reads none,
    # only each key's state (for a resume), in the rows' state index
    plan, plans = reads_and_plan(timed, ExportKind.PROJECT, filters)
    rows = [line for line in plans["plan"] if line.startswith("SEARCH d ")]
    assert rows == ["SEARCH d USING COVERING INDEX data_rows_state (rid=?)"], plans["plan"]
    assert_pages_seek_listed_keys(plan, plans)


@pytest.mark.parametrize(
    ("kind", "order"),
    [(ExportKind.PROJECT, PROJECT_RANGE), (ExportKind.DATASET, DATASET_RANGE)],
)
def test_last_activity_at_keeps_the_rid_ordered_scope_index(
    timed: TimedCatalog, kind: ExportKind, order: str
) -> None:
    page = joined(explain(timed, kind, {"last_activity_at": SINCE})["page"])
    assert order in page
    assert "data_rows_activity" not in page


def test_workflow_status_seeks_its_own_rid_ordered_index(timed: TimedCatalog) -> None:
    plans = explain(timed, ExportKind.PROJECT, {"workflow_status": "Done"})
    page = joined(plans["page"])
    assert "project_data_rows_status (project_id=? AND workflow_status=? AND data_row_rid>?" in page
    # counted (up to the plan's last key) on the index alone: every queue entry names an
    # existing data row
    counted = joined(plans["plan"])
    assert "COVERING INDEX project_data_rows_status (project_id=? AND workflow_status=?" in counted
    assert not any(line.startswith("SEARCH d ") for line in plans["plan"])


def test_one_batch_seeks_its_own_rid_ordered_index(timed: TimedCatalog) -> None:
    page = joined(explain(timed, ExportKind.PROJECT, {"batch_ids": [BATCHES["B2"]]})["page"])
    assert "project_data_rows_batch (project_id=? AND batch_id=? AND data_row_rid>?" in page


@pytest.mark.parametrize(
    "filters",
    [
        {"workflow_status": "InReview", "batch_ids": [BATCHES["B1"]]},
        {"workflow_status": "ToLabel", "batch_ids": [BATCHES["B2"], BATCHES["B3"]]},
    ],
    ids=["status+batch", "status+batches"],
)
def test_a_status_and_batches_are_checked_in_the_index_the_page_walks(
    timed: TimedCatalog, filters: dict[str, Any]
) -> None:
    # migration 13: each queue index holds the other column after the key, so the queue
    # entry (a wide record) is never read to check it: the walk, its count and its state
    # read the index and (for the page and state) the data row alone
    plans = explain(timed, ExportKind.PROJECT, filters)
    walked = "COVERING INDEX project_data_rows_"
    for read in ("plan", "page", "state"):
        steps = plans[read]
        assert walked in steps[0], (read, steps)
        assert all(line.startswith(("SEARCH p ", "SEARCH d ")) for line in steps), (read, steps)


def test_several_batches_walk_the_project_in_rid_order(timed: TimedCatalog) -> None:
    batches = {"batch_ids": [BATCHES["B1"], BATCHES["B3"]]}
    page = joined(explain(timed, ExportKind.PROJECT, batches)["page"])
    assert PROJECT_RANGE in page


def test_an_unfiltered_export_counts_and_pages_by_key_ranges(timed: TimedCatalog) -> None:
    plan, plans = reads_and_plan(timed, ExportKind.PROJECT, {})
    # no filter to evaluate: nothing counted before the first page (the count walks the
    # index beside the pages, up to the plan's last key), and pages need no key list
    assert plan.keys is None and plan.total is None
    assert "project_data_rows_order (project_id=? AND data_row_rid<?)" in joined(plans["plan"])
    reads = timed.client.catalog.reads
    queued = reads.db.conn.execute(
        "SELECT COUNT(*) FROM project_data_rows WHERE project_id = ?", (TIMED_PROJECT,)
    ).fetchone()[0]
    assert queued > 0 and reads.count(plan, lambda: False) == queued
    assert reads.count(plan, lambda: True) is None  # stopped before its first range
    assert PROJECT_RANGE in joined(plans["page"])


@pytest.mark.parametrize("kind", [ExportKind.PROJECT, ExportKind.DATASET])
@pytest.mark.parametrize(
    "filters",
    [
        {"data_row_ids": [timed_row_id(0), timed_row_id(3)]},
        {"global_keys": ["t-0", "t-3"]},
        {"global_keys": ["t-0", "t-3"], "last_activity_at": SINCE, "label_created_at": SINCE},
    ],
    ids=["data_row_ids", "global_keys", "global_keys+dates"],
)
def test_id_lists_are_resolved_once_and_pages_seek_their_keys(
    timed: TimedCatalog, kind: ExportKind, filters: dict[str, Any]
) -> None:
    request = build_request(
        kind,
        scope_ids=(TIMED_PROJECT if kind is ExportKind.PROJECT else TIMED_DATASET,),
        filters=filters,
    )
    reads = timed.client.catalog.reads
    plan = reads.plan(request)
    assert plan.keys is not None and len(plan.keys) == plan.total
    page = joined(reads.explain_plan(plan)["page"])
    # the keys were listed from the scope: a page seeks the data rows alone, by key
    assert "SEARCH d USING INTEGER PRIMARY KEY (rowid=?)" in page
    assert "project_data_rows" not in page and "data_rows_dataset" not in page
    # with queue columns, a project's page reads each key's entry in the project
    if kind is ExportKind.PROJECT:
        layout = PlanLayout(queue=True)
        page = joined(reads.explain_plan(plan, layout=layout)["page"])
        assert "project_data_rows" in page and KEY_SEEK in page


@pytest.mark.parametrize(
    "filters", [{}, {"data_row_ids": [timed_row_id(0), timed_row_id(3)]}], ids=["none", "ids"]
)
def test_a_project_page_reads_queue_entries_only_for_project_details(
    timed: TimedCatalog, filters: dict[str, Any]
) -> None:
    reads = timed.client.catalog.reads
    for details, reads_entries in ((False, False), (True, True)):
        params = {"project_details": details}
        request = build_request(
            ExportKind.PROJECT, scope_ids=(TIMED_PROJECT,), filters=filters, params=params
        )
        plan = reads.plan(request)
        page = joined(reads.explain_plan(plan, layout=PlanLayout.for_request(request))["page"])
        # without project_details nothing of the entry is written: the page stays in the
        # project's ordered index (and the data rows), no entry or batch record is read; the
        # listed keys of an id list were found in the project: its page reads the data rows
        if filters and not details:
            assert "project_data_rows" not in page and KEY_SEEK in page
        else:
            assert ("COVERING INDEX project_data_rows_order" not in page) is reads_entries
        assert ("batches" in page) is reads_entries


@pytest.mark.parametrize("kind", [ExportKind.PROJECT, ExportKind.DATASET])
@pytest.mark.parametrize(
    "filters",
    [{"data_row_ids": [timed_row_id(0), timed_row_id(3)]}, {"label_created_at": SINCE}],
    ids=["ids", "label_created_at"],
)
def test_the_state_of_a_listed_plan_reads_the_rows_state_index_alone(
    timed: TimedCatalog, kind: ExportKind, filters: dict[str, Any]
) -> None:
    plan, plans = reads_and_plan(timed, kind, filters)
    assert plan.keys is not None and plan.keys_in_scope
    state = joined(plans["state"])
    # many rows a page, not a table page per row; the keys were listed from the scope
    assert "COVERING INDEX data_rows_state (rid=?)" in state
    assert "project_data_rows" not in state and "PRIMARY KEY" not in state


def test_a_plan_restricted_to_given_keys_checks_its_scope_in_its_state_and_pages(
    timed: TimedCatalog,
) -> None:
    reads = timed.client.catalog.reads
    request = build_request(ExportKind.PROJECT, scope_ids=(TIMED_PROJECT,))
    plan = reads.restrict_plan(reads.plan(request), [1, 2])
    assert not plan.keys_in_scope  # a retry's keys: they may have left the project since
    plans = reads.explain_plan(plan)
    assert "project_data_rows_order" in joined(plans["state"])
    assert "project_data_rows_order" in joined(plans["page"])  # its pages check it too


COMBINATIONS: list[tuple[ExportKind, dict[str, Any]]] = [
    (ExportKind.PROJECT, {}),
    (ExportKind.PROJECT, {"workflow_status": "InReview", "batch_ids": [BATCHES["B1"]]}),
    (ExportKind.PROJECT, {"last_activity_at": SINCE, "label_created_at": SINCE}),
    (
        ExportKind.PROJECT,
        {
            "label_created_at": SINCE,
            "workflow_status": "ToLabel",
            "batch_ids": [BATCHES["B2"], BATCHES["B3"]],
        },
    ),
    (ExportKind.PROJECT, {"data_row_ids": [timed_row_id(1)], "workflow_status": "InReview"}),
    (ExportKind.DATASET, {}),
    (ExportKind.DATASET, {"last_activity_at": SINCE, "label_created_at": SINCE}),
    (ExportKind.DATASET, {"global_keys": ["t-1"], "label_created_at": SINCE}),
    (ExportKind.CATALOG, {}),
]


@pytest.mark.parametrize(("kind", "filters"), COMBINATIONS)
def test_no_filter_or_combination_sorts_or_scans_a_table_per_page(
    timed: TimedCatalog, kind: ExportKind, filters: dict[str, Any]
) -> None:
    plans = explain(timed, kind, filters)
    page = joined(plans["page"])
    assert "TEMP B-TREE" not in page
    assert "SCAN " not in page
    if filters:  # the plan lists the keys in one pass on the same indexes
        listed = joined(plans["plan"])
        assert "SCAN " not in listed
        if not ({"data_row_ids", "global_keys"} & filters.keys()):
            # (an id list's keys, a few thousand at most, are sorted once)
            assert "TEMP B-TREE" not in listed


def test_catalog_export_walks_data_rows_in_rid_order(timed: TimedCatalog) -> None:
    # the (organization_id, global_key) index would need the whole catalog sorted per page
    page = joined(explain(timed, ExportKind.CATALOG, {})["page"])
    assert "sqlite_autoindex" not in page
    assert "rowid>? AND rowid<?" in page


def test_slice_export_walks_data_rows_in_rid_order(timed: TimedCatalog) -> None:
    client = timed.client
    saved = client.create_slice(
        "plan check",
        {"dataset_ids": [TIMED_DATASET], "global_keys": ["t-0", "t-2"], "has_labels": True},
    )
    request = build_request(ExportKind.SLICE, scope_ids=(saved.uid,))
    reads = client.catalog.reads
    page = joined(reads.explain_plan(reads.plan(request))["page"])
    assert "TEMP B-TREE" not in page
    assert "rowid>? AND rowid<?" in page


def test_data_rows_export_of_many_ids_reads_them_page_by_page_in_order(
    timed: TimedCatalog,
) -> None:
    reads = timed.client.catalog.reads
    ids = [timed_row_id(n) for n in (4, 0, 2)]
    request = build_request(ExportKind.DATA_ROWS, scope_ids=tuple(ids))
    plan = reads.plan(request)
    layout = PlanLayout.for_request(request)
    at = layout.positions["id"]
    pages = [[r[at] for r in rows] for rows in reads.iter_batches(plan, 2, layout)]
    assert pages == [[timed_row_id(0), timed_row_id(2)], [timed_row_id(4)]]
    page = joined(reads.explain_plan(plan)["page"])
    assert "USING INTEGER PRIMARY KEY (rowid=?)" in page and "sqlite_autoindex" not in page


@pytest.mark.parametrize("kind", [ExportKind.PROJECT, ExportKind.DATASET])
def test_a_filter_matching_more_keys_than_a_plan_lists_pages_by_key_ranges(
    timed: TimedCatalog, kind: ExportKind, monkeypatch: pytest.MonkeyPatch
) -> None:
    filters = {"last_activity_at": SINCE, "label_created_at": SINCE}
    listed, _ = reads_and_plan(timed, kind, filters)
    assert listed.keys is not None and len(listed.keys) >= 2
    monkeypatch.setattr(_export_reads, "KEY_LIST_LIMIT", 1)
    ranged, plans = reads_and_plan(timed, kind, filters)
    # past the limit the pass still counts every row, but keeps no keys: pages filter again
    assert ranged.keys is None
    assert (ranged.total, ranged.max_rid) == (listed.total, listed.max_rid)
    assert LABEL_PROBE in joined(plans["page"]) and "TEMP B-TREE" not in joined(plans["page"])
    default = TIMED_PROJECT if kind is ExportKind.PROJECT else TIMED_DATASET
    layout = PlanLayout.for_request(build_request(kind, scope_ids=(default,), filters=filters))
    reads = timed.client.catalog.reads
    pages = [list(reads.iter_batches(plan, 2, layout)) for plan in (listed, ranged)]
    assert pages[0] == pages[1]
    assert sum(len(rows) for rows in pages[0]) == listed.total


def test_a_catalog_export_lists_no_row_of_another_organization(tmp_path: Path) -> None:
    # id lists resolve without an organization check: the catalog scope must apply its own
    with rowport.Client(tmp_path / "home") as client:
        dataset = client.create_dataset("mixed")
        conn = sqlite3.connect(tmp_path / "home" / "catalog.db")
        with conn:
            conn.execute(
                "INSERT INTO data_rows (id, dataset_id, organization_id, row_data, media_type,"
                " created_at, updated_at, last_activity_at, last_activity_ts)"
                " VALUES ('cforeignrow00000000000001', ?, 'another-organization',"
                " 'https://example.com/x.jpeg', 'image', '2024-01-01T00:00:00.000+00:00',"
                " '2024-01-01T00:00:00.000+00:00', '2024-01-01T00:00:00.000+00:00', 1704067200)",
                (dataset.uid,),
            )
        conn.close()
        reads = client.catalog.reads
        for filters in (
            {"data_row_ids": ["cforeignrow00000000000001"]},
            {"data_row_ids": ["cforeignrow00000000000001"], "last_activity_at": SINCE},
        ):
            request = build_request(ExportKind.CATALOG, filters=filters)
            plan = reads.plan(request)
            assert plan.total == 0 and not plan.keys
            layout = PlanLayout.for_request(request)
            assert list(reads.iter_batches(plan, 100, layout)) == []


@pytest.mark.parametrize("kind", [ExportKind.DATASET, ExportKind.PROJECT])
def test_starting_an_export_does_not_count_its_scope(timed: TimedCatalog, kind: ExportKind) -> None:
    # a dataset's record counts its rows: checking that the scope exists must not read it
    scope = TIMED_PROJECT if kind is ExportKind.PROJECT else TIMED_DATASET
    request = build_request(kind, scope_ids=(scope,))
    reads = timed.client.catalog.reads
    statements: list[str] = []
    conn = reads.db.conn
    conn.set_trace_callback(statements.append)
    try:
        reads.require_scope(request)
    finally:
        conn.set_trace_callback(None)
    assert statements and not [s for s in statements if "COUNT(" in s.upper()]
