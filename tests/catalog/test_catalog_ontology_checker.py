"""The compiled ontology check finds exactly what the walk it replaced found: the same problems,
in the same order, with the same paths, on the reference samples and on random corruptions of
them (unknown and misplaced features, wrong classification types, malformed nodes)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ontology_walk_reference import walk

from rowport.catalog import OntologyIndex, OntologyStore
from rowport.catalog._ontology import Feature

FRAMES = {
    "frames": {
        "3": {
            "objects": {
                "f1": {
                    "name": "bounding_box",
                    "classifications": [
                        {"name": "radio_question", "radio_answer": {"name": "first_radio_answer"}}
                    ],
                },
                "f2": "not an object",
            },
            "classifications": [{"name": "free_text", "text_answer": {"content": "x"}}],
        },
        "4": [],
    }
}
#: what may replace a value of an annotation (besides names and ids of the ontology)
ODD_VALUES: list[Any] = [None, 1, "text", [], {}, [1], {"content": 2}, {"content": "c"}]
KEYS = (
    "name",
    "feature_schema_id",
    "radio_answer",
    "checklist_answers",
    "text_answer",
    "classifications",
    "objects",
    "conversational_radio_answer",
)


def _samples(samples: Path) -> list[Any]:
    found = [
        json.loads(path.read_text())
        for path in sorted((samples / "partial").glob("*.annotations_expected_by_sdk_test.json"))
    ]
    image = json.loads((samples / "image.json").read_text())
    for project in image["projects"].values():
        found.extend(label["annotations"] for label in project["labels"])
    return [*found, FRAMES]


def _index(annotations: list[Any]) -> OntologyIndex:
    """An ontology with every feature the annotations name (what ingest would create)."""
    index = OntologyIndex(ontology_id="o")
    for one in annotations:
        OntologyStore.check_annotations(copy.deepcopy(one), index, create_missing=True)
    return index


def _without(index: OntologyIndex, dropped: set[str]) -> OntologyIndex:
    out = OntologyIndex(ontology_id="o", version="v")
    for feature in index.by_id.values():
        if feature.id not in dropped:
            out.add(feature)
    return out


def _compiled(annotations: Any, index: OntologyIndex) -> list[Any]:
    return OntologyStore.check_annotations(annotations, index, fill=False)[1]


def _places(node: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every ``(container, key)`` of a JSON tree, depth first."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in list(items):
        out.append((node, key))
        if isinstance(value, (dict, list)):
            _places(value, out)
    return out


@pytest.fixture
def reference(samples: Path) -> tuple[list[Any], OntologyIndex]:
    """The samples' annotations and an ontology of every feature they name."""
    annotations = _samples(samples)
    return annotations, _index(annotations)


def test_the_samples_check_clean_against_their_own_ontology(
    reference: tuple[list[Any], OntologyIndex],
) -> None:
    annotations, index = reference
    for one in annotations[:-1]:  # the frames case is malformed on purpose
        assert _compiled(one, index) == walk(one, index) == []
    assert [(p.path, p.message) for p in _compiled(FRAMES, index)] == [
        ("annotations.frames.3.objects.f2", "an object must be a dict"),
        ("annotations.frames.4", "a frame must be a dict"),
    ]


def test_every_problem_kind_is_found_as_the_walk_found_it(
    reference: tuple[list[Any], OntologyIndex],
) -> None:
    annotations, index = reference
    tool = next(f for f in index.by_id.values() if f.kind == "tool")
    option = next(f for f in index.by_id.values() if f.kind == "option")
    radio = next(f for f in index.by_id.values() if f.type == "radio" and f.parent_id is None)
    cases: list[Any] = [
        [],
        {"objects": {}},
        {"objects": [1, {"name": "nope"}, {"feature_schema_id": option.id}]},
        {"objects": [{"feature_schema_id": tool.id, "classifications": "x"}]},
        {"classifications": [{"name": radio.name, "checklist_answers": "x"}]},
        {"classifications": [{"name": radio.name, "radio_answer": 3}]},
        {"classifications": [{"feature_schema_id": tool.id, "text_answer": {}}]},
        {"classifications": [{"name": radio.name, "text_answer": {"content": 1}}]},
        {"relationships": [{"name": "nope"}, None]},
        {"frames": {"1": 2, "2": {"objects": {"a": {"name": "nope"}}, "classifications": 1}}},
    ]
    for case in cases:
        assert walk(case, index), case
        assert _compiled(case, index) == walk(case, index), case
    assert all(_compiled(one, index) == walk(one, index) for one in annotations)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_corrupted_sample_gives_the_walks_problems(
    reference: tuple[list[Any], OntologyIndex], data: st.DataObject
) -> None:
    annotations, index = reference
    one = copy.deepcopy(data.draw(st.sampled_from(annotations)))
    features: list[Feature] = list(index.by_id.values())
    dropped = data.draw(st.sets(st.sampled_from([f.id for f in features]), max_size=4))
    names = [f.name for f in features] + ["nope"]
    ids = [f.id for f in features] + ["unknown-id"]
    places = _places(one, [])
    for _ in range(data.draw(st.integers(0, 4))):
        if not places:
            break
        container, key = data.draw(st.sampled_from(places))
        choice = data.draw(st.sampled_from(["name", "id", "odd", "key", "drop", "node id"]))
        if choice == "node id" and isinstance(container, dict):
            container["feature_schema_id"] = data.draw(st.sampled_from(ids))
        elif choice == "name":
            container[key] = data.draw(st.sampled_from(names))
        elif choice == "id":
            container[key] = data.draw(st.sampled_from(ids))
        elif choice == "odd":
            container[key] = copy.deepcopy(data.draw(st.sampled_from(ODD_VALUES)))
        elif choice == "key" and isinstance(container, dict):
            container[data.draw(st.sampled_from(KEYS))] = container.pop(key)
        elif isinstance(container, dict):
            container.pop(key)
        places = _places(one, [])
    checked = _without(index, dropped)
    assert _compiled(one, checked) == walk(one, checked)


def test_a_feature_added_to_an_index_is_seen_by_its_compiled_check() -> None:
    index = OntologyIndex(ontology_id="o")
    box = {"objects": [{"name": "car"}]}
    assert [p.code for p in _compiled(box, index)] == ["UNKNOWN_FEATURE"]
    index.add(Feature(id="c", parent_id=None, kind="tool", type="bbox", name="car", value="car"))
    assert _compiled(box, index) == []
