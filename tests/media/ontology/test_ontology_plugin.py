"""The built-in ontology plugin: labels must name features of their project's ontology."""

from __future__ import annotations

from typing import Any

import pytest

import rowport_plugins.ontology
from rowport import StreamType
from rowport.catalog import OntologyIndex
from rowport.testing import make_client

TOOLS = [{"tool": "bbox", "name": "car"}]
CLASSIFICATIONS = [
    {
        "type": "radio",
        "name": "weather",
        "options": [
            {"name": "sunny"},
            {"name": "rainy", "classifications": [{"type": "text", "name": "how_much"}]},
        ],
    },
    {"type": "checklist", "name": "tags", "options": ["night", "blurry"]},
]


def _annotations() -> dict[str, Any]:
    return {
        "objects": [
            {
                "name": "car",
                "annotation_kind": "ImageBoundingBox",
                "bounding_box": {"top": 1, "left": 1, "height": 2, "width": 2},
            }
        ],
        "classifications": [
            {
                "name": "weather",
                "radio_answer": {
                    "name": "rainy",
                    "classifications": [{"name": "how_much", "text_answer": {"content": "a lot"}}],
                },
            },
            {"name": "tags", "checklist_answers": [{"name": "night"}]},
        ],
        "relationships": [],
    }


@pytest.fixture
def labelled(tmp_path):
    client = make_client(tmp_path, plugins=[rowport_plugins.ontology])
    ontology = client.create_ontology("o", tools=TOOLS, classifications=CLASSIFICATIONS)
    rows = client.create_dataset("d").create_data_rows(
        [{"row_data": f"https://example.com/{i}.jpg", "global_key": f"k{i}"} for i in range(3)]
    )
    project = client.create_project("p", "image", ontology)
    project.create_batch("b", data_rows=rows)
    project.import_labels([{"data_row_id": r.uid, "annotations": _annotations()} for r in rows])
    yield client, project
    client.close()


def _errors(task: Any) -> list[dict[str, Any]]:
    task.wait_till_done(timeout_seconds=120)
    assert task.status == "COMPLETE"
    if not task.has_errors():
        return []
    return [o.json for o in task.get_buffered_stream(StreamType.ERRORS)]


def test_labels_that_match_their_ontology_pass(labelled):
    _client, project = labelled
    assert _errors(project.export()) == []


def test_a_feature_missing_from_the_ontology_is_one_error_per_annotation(labelled):
    client, project = labelled
    other = client.create_ontology(
        "other", tools=[{"tool": "bbox", "name": "truck"}], classifications=CLASSIFICATIONS
    )
    project.connect_ontology(other)
    errors = _errors(project.export())
    assert len(errors) == 3  # one car box on each of three rows
    line = errors[0]
    assert line["plugin"] == "rowport_plugins.ontology"
    assert line["stage"] == "validate"
    assert line["code"] == "UNKNOWN_FEATURE"
    assert "car" in line["message"] and "objects[0]" in line["message"]
    assert line["data_row"]["global_key"] == "k0"
    assert line["details"]["ontology_id"] == other.uid
    assert line["details"]["project_id"] == project.uid


def test_a_classification_of_the_wrong_kind_is_reported(labelled):
    client, project = labelled
    swapped = [
        {"type": "checklist", "name": "weather", "options": ["sunny", "rainy"]},
        {"type": "checklist", "name": "tags", "options": ["night", "blurry"]},
    ]
    other = client.create_ontology("swapped", tools=TOOLS, classifications=swapped)
    project.connect_ontology(other)
    codes = {e["code"] for e in _errors(project.export())}
    assert "WRONG_CLASSIFICATION_TYPE" in codes


def test_a_nested_classification_under_the_wrong_parent_is_reported(labelled):
    client, _project = labelled
    ontology = client.create_ontology("o2", tools=TOOLS, classifications=CLASSIFICATIONS)
    index: OntologyIndex = client.catalog.ontologies.ontology_index(ontology.uid)
    how_much = next(f for f in index.by_id.values() if f.name == "how_much")
    annotations = {
        "objects": [],
        "classifications": [
            {
                "name": "weather",
                "radio_answer": {
                    "name": "sunny",
                    "classifications": [
                        {"feature_schema_id": how_much.id, "text_answer": {"content": "x"}}
                    ],
                },
            }
        ],
        "relationships": [],
    }
    _filled, problems = client.catalog.ontologies.check_annotations(annotations, index)
    assert [p.code for p in problems] == ["FEATURE_IN_WRONG_PLACE"]


def test_a_checklist_given_a_single_answer_is_malformed(labelled):
    client, _project = labelled
    ontology = client.create_ontology("o3", tools=TOOLS, classifications=CLASSIFICATIONS)
    index = client.catalog.ontologies.ontology_index(ontology.uid)
    annotations = {"classifications": [{"name": "tags", "checklist_answers": {"name": "night"}}]}
    _filled, problems = client.catalog.ontologies.check_annotations(annotations, index)
    assert [p.code for p in problems] == ["MALFORMED_ANNOTATION"]
    assert "list" in problems[0].message


def test_a_text_answer_needs_content(labelled):
    client, _project = labelled
    ontology = client.create_ontology("o4", tools=TOOLS, classifications=CLASSIFICATIONS)
    index = client.catalog.ontologies.ontology_index(ontology.uid)
    annotations = {
        "classifications": [
            {
                "name": "weather",
                "radio_answer": {
                    "name": "rainy",
                    "classifications": [{"name": "how_much", "text_answer": {"text": "x"}}],
                },
            }
        ]
    }
    _filled, problems = client.catalog.ontologies.check_annotations(annotations, index)
    assert [p.code for p in problems] == ["MALFORMED_ANNOTATION"]


BROKEN: list[Any] = [
    _annotations(),
    {"objects": "not a list"},
    {"objects": [5, {"name": "truck"}, {"name": "car", "classifications": "x"}]},
    {"classifications": [1, {"name": "tags", "checklist_answers": {"name": "night"}}]},
    {"classifications": [{"name": "weather", "radio_answer": {"name": "snowy"}}]},
    {"classifications": [{"name": "tags", "radio_answer": {"name": "night"}}]},
    {"classifications": [{"name": "weather", "radio_answer": 3}]},
    {
        "classifications": [
            {
                "name": "weather",
                "radio_answer": {
                    "name": "rainy",
                    "classifications": [{"name": "how_much", "text_answer": {"x": 1}}],
                },
            }
        ]
    },
    "not a dict",
    {"relationships": [{"name": "nope"}]},
    {"frames": {"1": 3, "2": {"objects": {"f1": {"name": "nope"}}, "classifications": "x"}}},
]


@pytest.mark.parametrize("annotations", BROKEN)
def test_the_checking_walk_finds_what_the_filling_walk_finds(labelled, annotations):
    client, project = labelled
    index = client.catalog.ontologies.ontology_index(project.ontology().uid)
    check = client.catalog.ontologies.check_annotations
    _, filled = check(annotations, index, fill=True)
    same, checked = check(annotations, index, fill=False)
    assert checked == filled
    assert same is annotations  # checking copies nothing
