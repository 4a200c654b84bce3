"""The import's feature walk resolves and creates what the catalog's annotation walk does.

``_ingest._features.resolve_features`` replaced, for speed, the catalog's walk in its
create-missing mode; any annotation tree (valid or not) must give the same created features, in
the same order, and the same first problem.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rowport.catalog import _ontology
from rowport.catalog._ingest import _features
from rowport.catalog._ingest._features import resolve_features
from rowport.catalog._ontology import Feature, OntologyIndex, OntologyStore

NAMES = st.sampled_from(["a", "b", "c"])
IDS = st.sampled_from(["cid0", "cid1", "cid2", "cid9"])
OPTIONAL_NAME = st.one_of(st.none(), NAMES, st.just(7))
OPTIONAL_ID = st.one_of(st.none(), IDS)


def _node(extra: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    def build(name: Any, schema_id: Any, value: Any, more: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if name is not None:
            out["name"] = name
        if schema_id is not None:
            out["feature_schema_id"] = schema_id
        if value is not None:
            out["value"] = value
        return {**out, **more}

    return st.builds(
        build,
        OPTIONAL_NAME,
        OPTIONAL_ID,
        st.one_of(st.none(), st.just("v")),
        st.fixed_dictionaries({}, optional=extra),
    )


def _classifications(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return st.one_of(st.just([]), st.none())
    answer = _node({"classifications": _classifications(depth - 1)})
    classification = _node(
        {
            "radio_answer": st.one_of(answer, st.none(), st.just("x")),
            "checklist_answers": st.one_of(st.lists(answer, max_size=2), st.none()),
            "text_answer": st.one_of(st.just({"content": "t"}), st.none(), st.just({})),
            "conversational_radio_answer": answer,
        }
    )
    return st.one_of(st.lists(classification, max_size=3), st.none(), st.just("nope"))


OBJECT = _node(
    {
        "annotation_kind": st.sampled_from(["ImageBoundingBox", "ImagePolygon", "TextEntity"]),
        "classifications": _classifications(2),
    }
)
ANNOTATIONS = st.fixed_dictionaries(
    {},
    optional={
        "objects": st.one_of(st.lists(OBJECT, max_size=3), st.none()),
        "classifications": _classifications(2),
        "relationships": st.one_of(st.lists(OBJECT, max_size=2), st.none()),
        "frames": st.dictionaries(
            st.sampled_from(["1", "2"]),
            st.one_of(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "objects": st.dictionaries(st.sampled_from(["f1", "f2"]), OBJECT),
                        "classifications": _classifications(1),
                    },
                ),
                st.just(3),
            ),
            max_size=2,
        ),
    },
)


def _index() -> OntologyIndex:
    index = OntologyIndex(ontology_id="onto")
    index.add(Feature(id="cid0", parent_id=None, kind="tool", type="bbox", name="a", value="a"))
    index.add(
        Feature(id="cid1", parent_id=None, kind="classification", type="radio", name="b", value="b")
    )
    index.add(
        Feature(id="cid2", parent_id="cid1", kind="option", type="option", name="c", value="c")
    )
    return index


@pytest.fixture
def counted_ids(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """New feature ids from a counter, restarted by each walk, so both walks can be compared."""
    counter = itertools.count()

    def new_id() -> str:
        return f"new{next(counter)}"

    monkeypatch.setattr(_ontology, "new_id", new_id)
    monkeypatch.setattr(_features, "new_id", new_id)
    yield


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(annotations=ANNOTATIONS)
def test_the_lean_walk_matches_the_catalog_walk(counted_ids: None, annotations: Any) -> None:
    ours, theirs = _index(), _index()
    problem = resolve_features(annotations, ours)
    renumber = {f.id: f"new{i}" for i, f in enumerate(ours.created) if f.id.startswith("new")}
    _, problems = OntologyStore.check_annotations(annotations, theirs, create_missing=True)
    renumber_theirs = {
        f.id: f"new{i}" for i, f in enumerate(theirs.created) if f.id.startswith("new")
    }

    def shown(index: OntologyIndex, ids: dict[str, str]) -> list[tuple[Any, ...]]:
        out = []
        for f in index.created:
            parent = ids.get(f.parent_id or "", f.parent_id)
            out.append((ids.get(f.id, f.id), parent, f.kind, f.type, f.name, f.value))
        return out

    assert shown(ours, renumber) == shown(theirs, renumber_theirs)
    expected = (problems[0].path, problems[0].message) if problems else None
    assert problem == expected


def test_a_null_section_is_refused_with_its_path() -> None:
    index = _index()
    assert resolve_features({"objects": None}, index) == (
        "annotations.objects",
        "objects must be a list",
    )
    assert resolve_features({"classifications": [{"name": "b", "radio_answer": None}]}, index) == (
        "annotations.classifications[0].radio_answer",
        "an answer must be a dict",
    )


def test_known_features_are_found_by_id_then_by_name_and_the_rest_created() -> None:
    index = _index()
    annotations = {
        "objects": [
            {"feature_schema_id": "cid0", "name": "other", "annotation_kind": "ImagePoint"}
        ],
        "classifications": [
            {"name": "b", "radio_answer": {"name": "c"}},
            {"name": "b", "radio_answer": {"name": "d", "value": "dv"}},
        ],
    }
    assert resolve_features(annotations, index) is None
    assert [(f.parent_id, f.kind, f.name, f.value) for f in index.created] == [
        ("cid1", "option", "d", "dv")
    ]
