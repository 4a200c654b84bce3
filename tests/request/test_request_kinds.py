"""One table of rules per export kind, and the plan row layout declared once."""

from __future__ import annotations

import pytest

from rowport.request import (
    DATA_ROW_COLUMNS,
    FILTERS_BY_KIND,
    KIND_SPECS,
    PARAMS_BY_KIND,
    QUEUE_COLUMNS,
    ExportKind,
    PlanLayout,
    Scope,
    SectionSource,
    build_request,
)


def test_every_kind_has_one_spec_and_the_params_and_filters_tables_come_from_it() -> None:
    assert set(KIND_SPECS) == set(ExportKind)
    for kind, spec in KIND_SPECS.items():
        assert spec.kind is kind
        assert PARAMS_BY_KIND[kind] == spec.params
        assert FILTERS_BY_KIND[kind] == spec.filters


def test_an_entity_scope_names_its_entity_and_the_others_name_none() -> None:
    for spec in KIND_SPECS.values():
        assert (spec.entity is not None) == (spec.scope is Scope.ENTITY)


def test_only_project_exports_carry_queue_columns() -> None:
    assert [k for k, s in KIND_SPECS.items() if s.queue_columns] == [ExportKind.PROJECT]


@pytest.mark.parametrize(
    ("kind", "scope", "projects", "runs"),
    [
        (ExportKind.PROJECT, ("p1",), ["p1"], []),
        (ExportKind.MODEL_RUN, ("r1",), [], ["r1"]),
        (ExportKind.DATASET, ("d1",), ["p2"], None),
    ],
)
def test_sections_come_from_the_scope_or_from_params(
    kind: ExportKind, scope: tuple[str, ...], projects: list[str], runs: list[str] | None
) -> None:
    params = {"project_ids": ["p2"], "all_model_runs": True} if kind is ExportKind.DATASET else {}
    request = build_request(kind, scope_ids=scope, params=params)
    spec = KIND_SPECS[kind]
    assert spec.projects(request) == projects
    assert spec.runs(request) == runs
    assert spec.shows_projects(request.params) == (spec.projects_from is not SectionSource.NONE)


def test_a_plan_layout_names_every_column_once_in_order() -> None:
    request = build_request(
        ExportKind.PROJECT,
        scope_ids=("p1",),
        params={"attachments": True, "embeddings": True, "project_details": True},
    )
    layout = PlanLayout.for_request(request)
    assert layout.columns == (
        DATA_ROW_COLUMNS + QUEUE_COLUMNS + ("attachments", "embeddings", "workflow_history")
    )
    assert [layout.positions[name] for name in layout.columns] == list(range(len(layout.columns)))
    assert layout.list_sections == ("attachments", "embeddings")


def test_a_catalog_side_layout_has_no_queue_columns_or_history() -> None:
    request = build_request(ExportKind.DATASET, scope_ids=("d1",), params={"project_details": True})
    layout = PlanLayout.for_request(request)
    assert not layout.queue and layout.sections == ()
    assert "batch_id" not in layout.positions


def test_history_without_queue_columns_is_refused() -> None:
    with pytest.raises(ValueError, match="workflow_history"):
        PlanLayout(queue=False, sections=("workflow_history",))
