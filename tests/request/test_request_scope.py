"""The kind of an export, what it is scoped to, and its task name."""

from __future__ import annotations

from typing import Any

import pytest

from rowport.errors import InvalidExportRequest, InvalidInput
from rowport.request import ExportKind, build_request

SINGLE = [ExportKind.PROJECT, ExportKind.DATASET, ExportKind.SLICE, ExportKind.MODEL_RUN]


def test_kind_values() -> None:
    assert [kind.value for kind in ExportKind] == [
        "project",
        "dataset",
        "slice",
        "model_run",
        "data_rows",
        "catalog",
    ]


@pytest.mark.parametrize("kind", ["project", ExportKind.PROJECT])
def test_kind_may_be_a_member_or_its_value(kind: Any) -> None:
    assert build_request(kind, scope_ids=["p1"]).kind is ExportKind.PROJECT


def test_unknown_kind_lists_the_kinds() -> None:
    with pytest.raises(
        InvalidExportRequest, match="unknown export kind 'projects'; allowed: project, "
    ):
        build_request("projects", scope_ids=["p1"])


def test_invalid_request_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        build_request(ExportKind.PROJECT, scope_ids=["p1"], params={"nope": True})
    assert issubclass(InvalidExportRequest, InvalidInput)


@pytest.mark.parametrize("kind", SINGLE)
def test_single_entity_kinds_take_exactly_one_id(kind: ExportKind) -> None:
    assert build_request(kind, scope_ids=("x1",)).scope_ids == ("x1",)
    for ids in ([], ["a", "b"]):
        with pytest.raises(InvalidExportRequest, match=r"takes exactly one .* id in scope_ids"):
            build_request(kind, scope_ids=ids)


@pytest.mark.parametrize("ids", ["p1", [""], [3], None])
def test_scope_ids_must_be_non_empty_strings(ids: Any) -> None:
    with pytest.raises(InvalidExportRequest, match="scope_ids must be a list of non-empty strings"):
        build_request(ExportKind.PROJECT, scope_ids=ids)


def test_catalog_takes_no_scope_ids() -> None:
    assert build_request(ExportKind.CATALOG).scope_ids == ()
    with pytest.raises(InvalidExportRequest, match=r"catalog export .* takes no scope_ids"):
        build_request(ExportKind.CATALOG, scope_ids=["x"])


@pytest.mark.parametrize("scope_by", ["id", "global_key"])
def test_data_rows_scope_is_deduplicated_in_order(scope_by: Any) -> None:
    request = build_request(ExportKind.DATA_ROWS, scope_ids=["b", "a", "b"], scope_by=scope_by)
    assert request.scope_ids == ("b", "a")
    assert request.scope_by == scope_by


def test_data_rows_scope_must_not_be_empty() -> None:
    with pytest.raises(
        InvalidExportRequest, match=r"data row ids of a data rows export.*1 to 2,000"
    ):
        build_request(ExportKind.DATA_ROWS, scope_ids=[])


def test_data_rows_scope_takes_at_most_2000_items() -> None:
    keys = [f"k{i}" for i in range(2001)]
    assert len(build_request(ExportKind.DATA_ROWS, scope_ids=keys[:2000]).scope_ids) == 2000
    with pytest.raises(
        InvalidExportRequest, match=r"global keys .* at most 2,000 values, got 2,001"
    ):
        build_request(ExportKind.DATA_ROWS, scope_ids=keys, scope_by="global_key")


def test_scope_by_must_be_id_or_global_key() -> None:
    with pytest.raises(InvalidExportRequest, match="scope_by must be 'id' or 'global_key'"):
        build_request(ExportKind.DATA_ROWS, scope_ids=["a"], scope_by="external_id")  # type: ignore[arg-type]


def test_scope_by_global_key_only_for_data_rows() -> None:
    with pytest.raises(InvalidExportRequest, match="applies only to a data rows export"):
        build_request(ExportKind.PROJECT, scope_ids=["p1"], scope_by="global_key")


def test_task_name_must_be_a_string() -> None:
    assert build_request(ExportKind.CATALOG, task_name="nightly").task_name == "nightly"
    with pytest.raises(InvalidExportRequest, match="task_name must be a string or None, got 3"):
        build_request(ExportKind.CATALOG, task_name=3)  # type: ignore[arg-type]
