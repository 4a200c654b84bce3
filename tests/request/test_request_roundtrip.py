"""Requests persist as JSON through the converter and come back equal and re-validated."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import attrs
import orjson
import pytest

from rowport.errors import InvalidExportRequest
from rowport.request import ExportKind, ExportRequest, WorkflowStatus, build_request


def _full_request() -> ExportRequest:
    return build_request(
        ExportKind.PROJECT,
        scope_ids=["p1"],
        params={"attachments": True, "label_details": True, "media_type_override": "VIDEO"},
        filters={
            "last_activity_at": ["2024-01-01", "2024-02-01T10:00:00.5+0530"],
            "label_created_at": [None, "2024-03-01 08:00:00"],
            "workflow_status": "InReview",
            "batch_ids": ["b1", "b2"],
            "data_row_ids": ["dr1"],
        },
        task_name="export p1",
        timezone="America/New_York",
    )


def _through_json(request: ExportRequest) -> ExportRequest:
    return ExportRequest.from_dict(orjson.loads(orjson.dumps(request.to_dict())))


@pytest.mark.parametrize(
    "request_",
    [
        _full_request(),
        build_request(ExportKind.CATALOG),
        build_request(
            ExportKind.DATA_ROWS,
            scope_ids=["gk1", "gk2"],
            scope_by="global_key",
            params={"project_ids": ["p1"], "all_model_runs": True, "predictions": True},
        ),
        build_request(ExportKind.MODEL_RUN, scope_ids=["mr1"], params={"model_run_details": True}),
    ],
)
def test_round_trip_through_json_is_equal(request_: ExportRequest) -> None:
    assert _through_json(request_) == request_


def test_to_dict_writes_dates_as_utc_iso_and_omits_defaults() -> None:
    data = _full_request().to_dict()
    assert data["kind"] == "project"
    assert data["params"] == {
        "attachments": True,
        "label_details": True,
        "media_type_override": "VIDEO",
    }
    assert data["filters"]["last_activity_at"] == {
        "start": "2024-01-01T05:00:00+00:00",
        "end": "2024-02-01T04:30:00.500000+00:00",
    }
    assert data["filters"]["label_created_at"] == {
        "start": None,
        "end": "2024-03-01T13:00:00+00:00",
    }
    assert data["filters"]["workflow_status"] == "InReview"
    assert "global_keys" not in data["filters"]


def test_from_dict_restores_types() -> None:
    restored = _through_json(_full_request())
    assert restored.filters.workflow_status is WorkflowStatus.IN_REVIEW
    assert restored.filters.batch_ids == ("b1", "b2")
    window = restored.filters.last_activity_at
    assert window is not None and window.start == datetime(2024, 1, 1, 5, tzinfo=timezone.utc)


def test_options_round_trip_and_are_read_only() -> None:
    request = attrs.evolve(build_request(ExportKind.CATALOG), options={"shards": 4, "x": [1]})
    assert _through_json(request).options == {"shards": 4, "x": [1]}
    with pytest.raises(TypeError):
        request.options["shards"] = 5  # type: ignore[index]


def test_request_is_hashable_and_frozen() -> None:
    request = _full_request()
    assert hash(request) == hash(_through_json(request))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        request.task_name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (
            {"kind": "project", "scope_ids": ["p1"], "params": {"attachments": "false"}},
            "$.params.attachments",
        ),
        (
            {"kind": "project", "scope_ids": ["p1"], "filters": {"batch_ids": 3}},
            "$.filters.batch_ids",
        ),
        ({"kind": "nope"}, "$.kind"),
    ],
)
def test_from_dict_reports_bad_fields_by_path(data: dict[str, Any], path: str) -> None:
    with pytest.raises(
        InvalidExportRequest, match=f"invalid export request: .*{path.replace('$', '[$]')}"
    ):
        ExportRequest.from_dict(data)


def test_from_dict_validates_params_for_the_kind_again() -> None:
    data = build_request(
        ExportKind.DATASET, scope_ids=["d1"], params={"predictions": True}
    ).to_dict()
    data["kind"] = "project"
    with pytest.raises(InvalidExportRequest, match="'predictions' is not supported for a project"):
        ExportRequest.from_dict(data)


def test_from_dict_refuses_a_non_mapping() -> None:
    with pytest.raises(InvalidExportRequest, match="must be a mapping"):
        ExportRequest.from_dict(["project"])  # type: ignore[arg-type]
