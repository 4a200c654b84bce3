"""Filtered exports walk the indexes meant for them: a page of rows is a seek, never a sort.

Each case plans a request on the timed catalog (see ``test_export_filters``) and reads SQLite's
``EXPLAIN QUERY PLAN`` of the plan read and of a page read. Without ``ANALYZE`` statistics the
planner's choice does not depend on the table sizes, so the small catalog shows the plan a
200,000-row one gets. What the filters select is checked in ``test_export_filters``; how fast
they run is measured in ``benchmarks/filters.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from export_support import BATCHES, TIMED_DATASET, TIMED_PROJECT, TimedCatalog, timed_row_id

from rowport.request import ExportKind, PlanLayout, build_request

PROJECT_ORDER = "project_data_rows_order (project_id=? AND data_row_rid>? AND data_row_rid<?)"
DATASET_ORDER = "data_rows_dataset (dataset_id=? AND rid>? AND rid<?)"
LABEL_PROBE = "labels_row_created (data_row_id=?"
SINCE = ["2024-02-01", None]


def explain(
    timed: TimedCatalog, kind: ExportKind, filters: dict[str, Any], scope: str | None = None
) -> dict[str, list[str]]:
    """The plan and page query plans of an export of ``kind`` with ``filters``."""
    default = TIMED_PROJECT if kind is ExportKind.PROJECT else TIMED_DATASET
    scope_ids = () if kind is ExportKind.CATALOG else (scope or default,)
    request = build_request(kind, scope_ids=scope_ids, filters=filters)
    reads = timed.client.catalog.reads
    return reads.explain_plan(reads.plan(request))


def joined(lines: list[str]) -> str:
    return "\n".join(lines)


@pytest.mark.parametrize("kind", [ExportKind.PROJECT, ExportKind.DATASET])
def test_label_created_at_probes_each_rows_own_labels_not_the_projects_by_date(
    timed: TimedCatalog, kind: ExportKind
) -> None:
    plans = explain(timed, kind, {"label_created_at": SINCE})
    for lines in plans.values():
        text = joined(lines)
        assert LABEL_PROBE in text
        assert "labels_created" not in text
    order = PROJECT_ORDER if kind is ExportKind.PROJECT else DATASET_ORDER
    assert order in joined(plans["page"])


def test_project_label_probe_runs_before_the_data_row_is_read(timed: TimedCatalog) -> None:
    # the queue entry names the row, so a row without a label in the window costs no row read
    page = explain(timed, ExportKind.PROJECT, {"label_created_at": SINCE})["page"]
    probe = next(i for i, line in enumerate(page) if LABEL_PROBE in line)
    row_read = next(i for i, line in enumerate(page) if line.startswith("SEARCH d "))
    assert probe < row_read


@pytest.mark.parametrize(
    ("kind", "order"),
    [(ExportKind.PROJECT, PROJECT_ORDER), (ExportKind.DATASET, DATASET_ORDER)],
)
def test_last_activity_at_keeps_the_rid_ordered_scope_index(
    timed: TimedCatalog, kind: ExportKind, order: str
) -> None:
    page = joined(explain(timed, kind, {"last_activity_at": SINCE})["page"])
    assert order in page
    assert "data_rows_activity" not in page


def test_workflow_status_seeks_its_own_rid_ordered_index(timed: TimedCatalog) -> None:
    page = joined(explain(timed, ExportKind.PROJECT, {"workflow_status": "Done"})["page"])
    assert "project_data_rows_status (project_id=? AND workflow_status=? AND data_row_rid>?" in page


def test_one_batch_seeks_its_own_rid_ordered_index(timed: TimedCatalog) -> None:
    page = joined(explain(timed, ExportKind.PROJECT, {"batch_ids": [BATCHES["B2"]]})["page"])
    assert "project_data_rows_batch (project_id=? AND batch_id=? AND data_row_rid>?" in page


def test_several_batches_walk_the_project_in_rid_order(timed: TimedCatalog) -> None:
    batches = {"batch_ids": [BATCHES["B1"], BATCHES["B3"]]}
    page = joined(explain(timed, ExportKind.PROJECT, batches)["page"])
    assert PROJECT_ORDER in page


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
    if kind is ExportKind.PROJECT:
        assert "project_data_rows_order (project_id=? AND data_row_rid=?)" in page
    else:
        assert "SEARCH d USING INTEGER PRIMARY KEY (rowid=?)" in page


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
    page = joined(explain(timed, kind, filters)["page"])
    assert "TEMP B-TREE" not in page
    assert "SCAN " not in page


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
