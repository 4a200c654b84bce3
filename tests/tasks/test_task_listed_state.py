"""A plan that lists its keys (an id list or a label date filter) takes its state in the pass
that lists them (from the data rows where the pass reads them, else from their state index):
the state is the one the aggregate would read, no snapshot connection is opened for it, a
resume of such an export still tells an unchanged catalog from a changed one, and a plan
narrowed or resumed reads its own state again."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

import rowport
from rowport.catalog import PlanState, TaskStatus
from rowport.catalog._plan_state import KnownPlanState, SnapshotPlanState, listed_state
from rowport.request import ExportKind, build_request
from rowport.tasks._checkpoint import Checkpoint

TIMEOUT = 60.0


def _requests(home: dict[str, Any], client: rowport.Client) -> dict[str, Any]:
    dataset = home["ids"]["dataset"]
    ids = home["ids"]["data_rows"]
    spread = ids[::7]
    return {
        "dataset ids": build_request(
            ExportKind.DATASET, scope_ids=(dataset,), filters={"data_row_ids": spread}
        ),
        "dataset label date": build_request(
            ExportKind.DATASET,
            scope_ids=(dataset,),
            filters={"label_created_at": ["2000-01-01", None]},
        ),
        "project label date and activity": build_request(
            ExportKind.PROJECT,
            scope_ids=(home["project"],),
            filters={
                "label_created_at": ["2000-01-01", None],
                "last_activity_at": ["2000-01-01", None],
            },
        ),
        "project ids (the state index read)": build_request(
            ExportKind.PROJECT, scope_ids=(home["project"],), filters={"data_row_ids": spread}
        ),
        "project label date (the state index read)": build_request(
            ExportKind.PROJECT,
            scope_ids=(home["project"],),
            filters={"label_created_at": ["2000-01-01", None]},
        ),
        "catalog keys": build_request(
            ExportKind.CATALOG,
            filters={"global_keys": [client.get_data_row(i).global_key for i in spread[:5]]},
        ),
    }


def _aggregated(client: rowport.Client, plan: Any) -> Any:
    """The state the aggregate reads for ``plan`` (its listed state set aside)."""
    return client.catalog.reads.plan_state(attrs.evolve(plan, listed_state=None))


def test_a_listing_pass_gives_the_aggregates_state(
    client: rowport.Client, home: dict[str, Any]
) -> None:
    reads = client.catalog.reads
    for name, request in _requests(home, client).items():
        plan = reads.plan(request)
        assert plan.keys is not None and len(plan.keys) > 0, name
        known = listed_state(plan)
        assert known is not None, name
        assert known == _aggregated(client, plan), name
        assert known.rows == len(plan.keys) and known.bound == plan.max_rid, name
        later = reads.plan_state_later(plan)
        assert isinstance(later, KnownPlanState), name  # no snapshot connection
        assert later(lambda: False) == known
        assert later(lambda: True) is None  # stopped first: nothing, as a snapshot's


def test_a_plan_that_lists_no_keys_leaves_the_state_to_the_snapshot(
    client: rowport.Client, home: dict[str, Any]
) -> None:
    reads = client.catalog.reads
    for filters in ({}, {"workflow_status": "ToLabel"}):
        request = build_request(ExportKind.PROJECT, scope_ids=(home["project"],), filters=filters)
        plan = reads.plan(request)
        assert plan.keys is None and listed_state(plan) is None
        later = reads.plan_state_later(plan)
        assert isinstance(later, SnapshotPlanState)
        assert later(lambda: False) == reads.plan_state(plan)


def _listed_plan(client: rowport.Client, home: dict[str, Any]) -> tuple[Any, PlanState]:
    """The plan of the dataset id list, and its listed state."""
    plan = client.catalog.reads.plan(_requests(home, client)["dataset ids"])
    known = listed_state(plan)
    assert known is not None
    return plan, known


def test_a_narrowed_or_resumed_plan_reads_its_own_state(
    client: rowport.Client, home: dict[str, Any]
) -> None:
    reads = client.catalog.reads
    plan, known = _listed_plan(client, home)
    narrowed = reads.restrict_plan(plan, list(plan.keys[:3]))
    assert listed_state(narrowed) is None
    assert reads.plan_state(narrowed).rows == 3
    resumed = reads.resume_plan(plan, known, int(plan.keys[2]))
    assert listed_state(resumed) is None
    assert reads.plan_state(resumed).rows == len(plan.keys) - 3
    # the same keys from the first: the state read again is the one listed
    again = reads.resume_plan(plan, known, None)
    assert listed_state(again) is None and reads.plan_state(again) == known


def test_the_state_is_the_catalogs_as_it_was_planned(
    client: rowport.Client, home: dict[str, Any]
) -> None:
    reads = client.catalog.reads
    plan, known = _listed_plan(client, home)
    with client.catalog.db.transaction() as conn:  # either backend
        conn.execute(
            "UPDATE data_rows SET updated_at = '2999-01-01T00:00:00.000+00:00' WHERE rid = ?",
            (int(plan.keys[-1]),),
        )
    assert reads.plan_state(plan) == known  # as planned, whatever changed since
    assert _aggregated(client, plan) != known  # what a resume compares it with


@pytest.mark.parametrize("change", [False, True])
def test_a_resume_of_a_listed_export_tells_a_changed_catalog(
    client: rowport.Client, home: dict[str, Any], change: bool
) -> None:
    ids = home["ids"]["data_rows"]
    dataset = client.get_dataset(home["ids"]["dataset"])
    task = dataset.export(filters={"data_row_ids": ids[::3]})
    task.wait_till_done(timeout_seconds=TIMEOUT)
    assert task.status is TaskStatus.COMPLETE
    checkpoint = Checkpoint.read(client._tasks.task_dir(task.uid))
    assert checkpoint is not None and checkpoint.plan is not None
    request = build_request(
        ExportKind.DATASET, scope_ids=(dataset.uid,), filters={"data_row_ids": ids[::3]}
    )
    plan = client.catalog.reads.plan(request)
    assert checkpoint.plan == listed_state(plan) == _aggregated(client, plan)
    if change:
        client.get_data_row(ids[3]).update(external_id="changed")
    now = client.catalog.reads.plan_state(client.catalog.reads.plan(request))
    assert (now != checkpoint.plan) is change
