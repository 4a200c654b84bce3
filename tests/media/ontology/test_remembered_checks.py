"""Checks of labels are remembered in the catalog: the next export of an unchanged label reads
what was found; a changed label, ontology or plugin version checks it again."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

import rowport
import rowport_plugins.image
import rowport_plugins.ontology
from rowport import StreamType
from rowport.catalog import OntologyStore
from rowport.testing import make_client

BOTH = [{"tool": "bbox", "name": "car"}, {"tool": "bbox", "name": "truck"}]
CARS = [{"tool": "bbox", "name": "car"}]


def _box(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "annotation_kind": "ImageBoundingBox",
        "bounding_box": {"top": 1, "left": 1, "height": 2, "width": 2},
    }


@pytest.fixture
def walks(project: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the ontology walks from now on (every call checks one label)."""
    calls: list[int] = []
    real = OntologyStore.check_annotations

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(OntologyStore, "check_annotations", staticmethod(counted))
    return calls


@pytest.fixture
def project(tmp_path: Any) -> Any:
    client = make_client(tmp_path, plugins=[rowport_plugins.ontology])
    both = client.create_ontology("both", tools=BOTH)
    rows = client.create_dataset("d").create_data_rows(
        [{"row_data": f"https://example.com/{i}.jpg", "global_key": f"k{i}"} for i in range(3)]
    )
    project = client.create_project("p", "image", both)
    project.create_batch("b", data_rows=rows)
    project.import_labels(
        [
            {"data_row_id": r.uid, "annotations": {"objects": [_box("truck" if i < 2 else "car")]}}
            for i, r in enumerate(rows)
        ]
    )
    # the project's ontology now lacks the truck the labels of k0 and k1 name
    project.connect_ontology(client.create_ontology("cars", tools=CARS))
    yield project
    client.close()


def _codes(project: Any) -> dict[str, list[str]]:
    task = project.export()
    task.wait_till_done(timeout_seconds=120)
    assert task.status == "COMPLETE", task.errors_message
    found: dict[str, list[str]] = {}
    if task.has_errors():
        for line in task.get_buffered_stream(StreamType.ERRORS):
            item = line.json
            found.setdefault(item["data_row"]["global_key"], []).append(item["code"])
    return found


def test_an_unchanged_label_is_not_walked_again(project: Any, walks: list[int]) -> None:
    first = _codes(project)
    assert first == {"k0": ["UNKNOWN_FEATURE"], "k1": ["UNKNOWN_FEATURE"]}
    assert len(walks) == 3
    assert _codes(project) == first  # the same problems, from the catalog
    assert len(walks) == 3


def test_a_changed_label_is_checked_again(project: Any, walks: list[int]) -> None:
    _codes(project)
    catalog = project.client.catalog
    k2 = project.client.get_data_row_by_global_key("k2")
    with catalog.db.transaction() as conn:  # k2's label now names the truck too
        conn.execute(
            "UPDATE labels SET annotations = replace(annotations, '\"car\"', '\"truck\"')"
            " WHERE data_row_id = ?",
            (k2.uid,),
        )
    assert _codes(project)["k2"] == ["UNKNOWN_FEATURE"]
    assert len(walks) == 4  # the changed label only


def test_a_changed_ontology_checks_every_label_again(project: Any, walks: list[int]) -> None:
    _codes(project)
    client: rowport.Client = project.client
    project.connect_ontology(client.create_ontology("again", tools=BOTH))
    assert _codes(project) == {}
    assert len(walks) == 6


def test_an_ontology_changed_in_place_checks_every_label_again(
    project: Any, walks: list[int]
) -> None:
    _codes(project)
    catalog = project.client.catalog
    with catalog.db.transaction() as conn:  # the feature is renamed: the version changes
        conn.execute(
            "UPDATE features SET name = 'truck' WHERE ontology_id = ? AND name = 'car'",
            (project.ontology().uid,),
        )
    assert _codes(project) == {"k2": ["UNKNOWN_FEATURE"]}
    assert len(walks) == 6


def test_a_new_plugin_version_checks_every_label_again(
    project: Any, walks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _codes(project)
    monkeypatch.setattr(rowport_plugins.ontology, "VERSION", "test-next")
    assert _codes(project) == {"k0": ["UNKNOWN_FEATURE"], "k1": ["UNKNOWN_FEATURE"]}
    assert len(walks) == 6


def test_remembering_can_be_turned_off(project: Any, walks: list[int]) -> None:
    for _ in range(2):
        task = project.export(plugin_options={"checks": {"cache": False}})
        task.wait_till_done(timeout_seconds=120)
    assert len(walks) == 6
    assert project.client.catalog.checks.forget() == 0  # nothing was stored


def _stored(project: Any) -> dict[int, dict[str, Any]]:
    conn = project.client.catalog.db.conn
    return {
        k: orjson.loads(v) for k, v in conn.execute("SELECT label_rid, found FROM label_rid_checks")
    }


def test_plugins_share_one_entry_per_label_and_forget_only_their_own(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(tmp_path, plugins=[rowport_plugins.ontology, rowport_plugins.image])
    boxes = client.create_ontology("cars", tools=CARS)
    rows = client.create_dataset("d").create_data_rows(
        [
            {
                "row_data": f"https://example.com/{i}.jpg",
                "global_key": f"k{i}",
                "media_attributes": {"width": 2, "height": 2},  # the boxes end at 3: outside
            }
            for i in range(2)
        ]
    )
    project = client.create_project("p", "image", boxes)
    project.create_batch("b", data_rows=rows)
    project.import_labels(
        [{"data_row_id": r.uid, "annotations": {"objects": [_box("car")]}} for r in rows]
    )
    geometry: list[int] = []
    real = rowport_plugins.image.check_object

    def counted(*args: Any) -> Any:
        geometry.append(1)
        return real(*args)

    monkeypatch.setattr(rowport_plugins.image, "check_object", counted)
    first = _codes(project)
    assert set(first) == {"k0", "k1"} and all(first.values())
    stored = _stored(project)
    assert len(stored) == 2  # one entry per label, holding both plugins' findings
    assert all(
        set(e) == {"rowport_plugins.ontology", "rowport_plugins.image"} for e in stored.values()
    )
    assert len(geometry) == 2
    assert client.catalog.checks.forget("rowport_plugins.image") == 2
    assert all(set(e) == {"rowport_plugins.ontology"} for e in _stored(project).values())
    assert _codes(project) == first  # the geometry is checked again, the ontology part is read
    assert len(geometry) == 4
    assert len(_stored(project)) == 2
    client.close()
