"""Params per export kind, as in the reference's table (plus run sections for catalog kinds)."""

from __future__ import annotations

from typing import Any

import pytest

from rowport.errors import InvalidExportRequest
from rowport.request import ExportKind, ExportParams, build_request
from rowport.testing import ALL_SECTIONS

ALL_PARAMS = (
    "attachments",
    "metadata_fields",
    "embeddings",
    "data_row_details",
    "project_details",
    "label_details",
    "performance_details",
    "interpolated_frames",
    "predictions",
    "model_run_details",
    "model_run_ids",
    "project_ids",
    "all_projects",
    "all_model_runs",
    "media_type_override",
)
_CATALOG = set(ALL_PARAMS)
ALLOWED = {
    ExportKind.PROJECT: {
        "attachments",
        "metadata_fields",
        "embeddings",
        "data_row_details",
        "project_details",
        "label_details",
        "performance_details",
        "interpolated_frames",
        "media_type_override",
    },
    ExportKind.MODEL_RUN: {
        "attachments",
        "metadata_fields",
        "embeddings",
        "data_row_details",
        "interpolated_frames",
        "predictions",
        "model_run_details",
        "media_type_override",
    },
    ExportKind.DATASET: _CATALOG,
    ExportKind.SLICE: _CATALOG,
    ExportKind.CATALOG: _CATALOG,
    ExportKind.DATA_ROWS: _CATALOG,
}
SCOPE = {
    ExportKind.PROJECT: ["p1"],
    ExportKind.MODEL_RUN: ["mr1"],
    ExportKind.DATASET: ["ds1"],
    ExportKind.SLICE: ["sl1"],
    ExportKind.CATALOG: [],
    ExportKind.DATA_ROWS: ["dr1", "dr2"],
}
SAMPLE_VALUE: dict[str, Any] = {
    "model_run_ids": ["mr1"],
    "project_ids": ["p1"],
    "media_type_override": "IMAGE",
}


def _build(kind: ExportKind, **params: Any) -> ExportParams:
    return build_request(kind, scope_ids=SCOPE[kind], params=params).params


def _value(name: str) -> Any:
    return SAMPLE_VALUE.get(name, True)


ACCEPTED = [(kind, name) for kind in ExportKind for name in sorted(ALLOWED[kind])]
REJECTED = [(kind, name) for kind in ExportKind for name in ALL_PARAMS if name not in ALLOWED[kind]]


@pytest.mark.parametrize(("kind", "name"), ACCEPTED)
def test_param_is_accepted_for_kind(kind: ExportKind, name: str) -> None:
    params = _build(kind, **{name: _value(name)})
    expected = _value(name)
    assert getattr(params, name) == (tuple(expected) if isinstance(expected, list) else expected)


@pytest.mark.parametrize(("kind", "name"), REJECTED)
def test_param_is_rejected_as_not_supported_for_kind(kind: ExportKind, name: str) -> None:
    with pytest.raises(InvalidExportRequest, match="is not supported for a") as info:
        _build(kind, **{name: _value(name)})
    message = str(info.value)
    assert f"'{name}'" in message
    assert "supported by:" in message
    assert "allowed: " + ", ".join(sorted(ALLOWED[kind])) in message


def test_unknown_param_names_key_allowed_values_and_close_match() -> None:
    with pytest.raises(InvalidExportRequest) as info:
        _build(ExportKind.PROJECT, atachments=True)
    assert str(info.value).startswith(
        "unknown param 'atachments' for a project export; allowed: attachments, data_row_details,"
    )
    assert "did you mean 'attachments'?" in str(info.value)


def test_unknown_param_differs_from_unsupported_param() -> None:
    with pytest.raises(InvalidExportRequest, match=r"^unknown param 'colour'"):
        _build(ExportKind.MODEL_RUN, colour=True)
    with pytest.raises(InvalidExportRequest, match=r"^param 'project_details' is not supported"):
        _build(ExportKind.MODEL_RUN, project_details=True)


@pytest.mark.parametrize("params", [["attachments"], "attachments", 1, ("attachments", True)])
def test_params_must_be_a_mapping(params: Any) -> None:
    with pytest.raises(InvalidExportRequest, match=r"^params must be a mapping"):
        build_request(ExportKind.PROJECT, scope_ids=["p1"], params=params)


@pytest.mark.parametrize("value", [1, 0, "yes", "true", 1.0, []])
def test_boolean_param_must_be_a_bool(value: Any) -> None:
    with pytest.raises(InvalidExportRequest, match="param 'attachments' must be a bool"):
        _build(ExportKind.PROJECT, attachments=value)


@pytest.mark.parametrize("value", ["p1", [""], ["p1", 2], [None], {"p1": 1}])
def test_id_list_param_must_be_a_list_of_non_empty_strings(value: Any) -> None:
    with pytest.raises(
        InvalidExportRequest, match="param 'project_ids' must be a list of non-empty"
    ):
        _build(ExportKind.DATASET, project_ids=value)


@pytest.mark.parametrize("name", ["project_ids", "model_run_ids"])
def test_id_list_param_takes_at_most_30_ids(name: str) -> None:
    assert (
        len(getattr(_build(ExportKind.DATASET, **{name: [f"i{n}" for n in range(30)]}), name)) == 30
    )
    with pytest.raises(
        InvalidExportRequest, match=f"param '{name}' takes at most 30 values, got 31"
    ):
        _build(ExportKind.DATASET, **{name: [f"i{n}" for n in range(31)]})


def test_id_list_param_is_deduplicated_in_order() -> None:
    params = _build(ExportKind.SLICE, project_ids=("b", "a", "b", "c", "a"))
    assert params.project_ids == ("b", "a", "c")


def test_empty_id_list_param_is_allowed() -> None:
    assert _build(ExportKind.DATASET, model_run_ids=[]).model_run_ids == ()


@pytest.mark.parametrize("value", ["", 3, True])
def test_media_type_override_must_be_a_name(value: Any) -> None:
    with pytest.raises(InvalidExportRequest, match="param 'media_type_override'"):
        _build(ExportKind.PROJECT, media_type_override=value)


def test_none_param_takes_the_default() -> None:
    params = _build(
        ExportKind.DATASET, attachments=None, project_ids=None, media_type_override=None
    )
    assert params == ExportParams()


def test_none_param_still_must_be_supported_by_the_kind() -> None:
    with pytest.raises(InvalidExportRequest, match="'predictions' is not supported"):
        _build(ExportKind.PROJECT, predictions=None)


def test_no_params_gives_defaults() -> None:
    assert build_request(ExportKind.CATALOG).params == ExportParams()


def test_enabled_lists_true_booleans_in_declaration_order() -> None:
    params = _build(ExportKind.PROJECT, label_details=True, attachments=True, embeddings=False)
    assert params.enabled() == ["attachments", "label_details"]
    assert ExportParams().enabled() == []


def test_all_sections_turns_on_every_section_of_a_project_export_but_video_frames() -> None:
    request = build_request(ExportKind.PROJECT, scope_ids=["p"], params=ALL_SECTIONS)
    sections = {name for name in ALLOWED[ExportKind.PROJECT] if name != "media_type_override"}
    assert set(request.params.enabled()) == sections - {"interpolated_frames"} == set(ALL_SECTIONS)
    with pytest.raises(TypeError):
        ALL_SECTIONS["attachments"] = False  # type: ignore[index]
