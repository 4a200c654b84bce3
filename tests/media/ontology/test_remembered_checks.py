"""Checks of labels are remembered in the catalog: the next export of an unchanged label reads
what was found; a changed label, ontology or plugin version checks it again. A project label's
entry is kept by its rid, read with the label and dropped by the catalog when the label
changes: on SQLite and on PostgreSQL."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

import rowport
import rowport.plugins._checks
import rowport_plugins.image
import rowport_plugins.ontology
from rowport import FileConverter, StreamType
from rowport.catalog import OntologyStore
from rowport.catalog._checks import CheckStore
from rowport.export import CatalogLabel
from rowport.plugins import PluginHost, Problem, remembered
from rowport.testing import host_with, labels_of, make_client

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
def project(tmp_path: Any, catalog_backend: str) -> Any:
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
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, catalog_backend: str
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


def _entries(project: Any) -> dict[str, int]:
    """``{global key: label rid}`` of the labels that have a remembered entry."""
    conn = project.client.catalog.db.conn
    return dict(
        conn.execute(
            "SELECT d.global_key, l.rid FROM label_rid_checks c JOIN labels l"
            " ON l.rid = c.label_rid JOIN data_rows d ON d.id = l.data_row_id"
        ).fetchall()
    )


def test_the_catalog_drops_an_entry_when_its_label_changes_or_goes(
    project: Any, walks: list[int]
) -> None:
    _codes(project)
    assert set(_entries(project)) == {"k0", "k1", "k2"}
    client: rowport.Client = project.client
    k1, k2 = (client.get_data_row_by_global_key(k).uid for k in ("k1", "k2"))
    with client.catalog.db.transaction() as conn:
        conn.execute("UPDATE labels SET created_by = 'someone' WHERE data_row_id = ?", (k1,))
    assert set(_entries(project)) == {"k0", "k1", "k2"}  # not its annotations: kept
    with client.catalog.db.transaction() as conn:
        conn.execute(
            "UPDATE labels SET annotations = replace(annotations, '\"truck\"', '\"car\"')"
            " WHERE data_row_id = ?",
            (k1,),
        )
        conn.execute("DELETE FROM labels WHERE data_row_id = ?", (k2,))
    assert set(_entries(project)) == {"k0"}
    count = project.client.catalog.db.conn.execute("SELECT COUNT(*) FROM label_rid_checks")
    assert count.fetchone()[0] == 1  # the deleted label's entry went with it
    assert _codes(project) == {"k0": ["UNKNOWN_FEATURE"]}  # k1 now names the car
    assert len(walks) == 4  # the changed label only


def test_a_new_label_never_reads_an_entry_left_under_its_rid(
    project: Any, walks: list[int]
) -> None:
    _codes(project)
    catalog = project.client.catalog
    conn = catalog.db.conn
    (last,) = conn.execute("SELECT MAX(rid) FROM labels").fetchone()
    k0 = project.client.get_data_row_by_global_key("k0")
    with catalog.db.transaction() as write:  # k0's entry (a finding) under the next label's rid
        write.execute(
            "INSERT INTO label_rid_checks (label_rid, found, checked_ts) SELECT ?, found, 0"
            " FROM label_rid_checks WHERE label_rid = (SELECT rid FROM labels"
            " WHERE data_row_id = ?)",
            (last + 1, k0.uid),
        )
    project.import_labels([{"data_row_id": k0.uid, "annotations": {"objects": [_box("car")]}}])
    assert conn.execute("SELECT MAX(rid) FROM labels").fetchone()[0] == last + 1
    # the new label (a car) is checked, and has no problem: the entry under its rid was dropped
    assert _codes(project) == {"k0": ["UNKNOWN_FEATURE"], "k1": ["UNKNOWN_FEATURE"]}
    assert len(walks) == 5  # the import's check of the new label, then the export's


def test_a_label_changed_while_it_is_checked_is_not_remembered(
    project: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = project.client.catalog
    k2 = project.client.get_data_row_by_global_key("k2")
    real = OntologyStore.check_annotations
    walked: list[int] = []

    def meanwhile(annotations: Any, *args: Any, **kwargs: Any) -> Any:
        if not walked:  # another writer changes k2's label after the export read it
            with catalog.db.transaction() as conn:
                conn.execute(
                    "UPDATE labels SET annotations = replace(annotations, '\"car\"',"
                    " '\"truck\"') WHERE data_row_id = ?",
                    (k2.uid,),
                )
        walked.append(1)
        return real(annotations, *args, **kwargs)

    monkeypatch.setattr(OntologyStore, "check_annotations", staticmethod(meanwhile))
    assert _codes(project) == {"k0": ["UNKNOWN_FEATURE"], "k1": ["UNKNOWN_FEATURE"]}
    # what was found for k2's old annotations is not kept for its new ones
    assert set(_entries(project)) == {"k0", "k1"}
    assert _codes(project) == {k: ["UNKNOWN_FEATURE"] for k in ("k0", "k1", "k2")}
    assert len(walked) == 4


def _result_bytes(home: Path, project_id: str, host: PluginHost, path: Path) -> bytes:
    """The RESULT of a project export with ``host``'s plugins, as the FileConverter writes it."""
    client = rowport.Client(home, plugins=host)
    try:
        task = client.get_project(project_id).export(params={"label_details": True})
        task.wait_till_done(timeout_seconds=120)
        assert task.status == "COMPLETE", task.errors_message
        task.get_stream(FileConverter(path)).start()
        return path.read_bytes()
    finally:
        client.close()


def test_plugins_get_the_labels_as_before_and_the_rows_stay_byte_identical(
    project: Any, tmp_path: Path
) -> None:
    seen: list[Any] = []

    class Records:
        @rowport.hookimpl
        def rowport_declare_sections(self) -> list[str]:
            return ["data_row", "labels"]

        @rowport.hookimpl
        def rowport_validate_rows(self, rows: list[Any], context: Any) -> None:
            seen.extend(
                label for row in rows for s in row["projects"].values() for label in s["labels"]
            )

    home, project_id = project.client.home, project.uid
    project.client.close()
    # no plugin: the queue entries' stored labels text; a plugin: labels read one by one
    plain = _result_bytes(home, project_id, host_with(), tmp_path / "plain.ndjson")
    recorded = _result_bytes(home, project_id, host_with(Records()), tmp_path / "read.ndjson")
    assert recorded == plain
    written = [label for line in plain.splitlines() for label in labels_of(orjson.loads(line))]
    assert [type(label) for label in seen] == [CatalogLabel] * 3
    # the same keys in the same order, and the same values (stored JSON, undeclared, is a
    # Fragment of the same text)
    assert [list(label) for label in seen] == [list(label) for label in written]
    assert [orjson.loads(orjson.dumps(label)) for label in seen] == written
    assert [label.text for label in seen] == [
        orjson.dumps(label["annotations"]).decode() for label in written
    ]


def test_a_plugin_that_does_not_declare_labels_gets_plain_labels_remembered_by_content(
    project: Any, tmp_path: Path
) -> None:
    """Only a plugin that declares ``labels`` (or a section holding them) has the labels' checks
    read with them; one that declares only ``data_row`` still sees the labels, as plain dicts,
    and :func:`remembered` keeps what it found by their content."""
    seen: list[Any] = []
    walked: list[int] = []

    class DataRowOnly:
        @rowport.hookimpl
        def rowport_declare_sections(self) -> list[str]:
            return ["data_row"]

        @rowport.hookimpl
        def rowport_validate_rows(self, rows: list[Any], context: Any) -> None:
            labels = [
                label for row in rows for s in row["projects"].values() for label in s["labels"]
            ]
            seen.extend(labels)

            def check(i: int) -> list[Any]:
                walked.append(i)
                return []

            remembered(
                context,
                plugin="data_row_only",
                version="1",
                labels=[(x, "") for x in labels],
                check=check,
            )

    home, project_id = project.client.home, project.uid
    project.client.close()
    plain = _result_bytes(home, project_id, host_with(), tmp_path / "plain.ndjson")
    for n in range(2):
        out = tmp_path / f"read{n}.ndjson"
        assert _result_bytes(home, project_id, host_with(DataRowOnly()), out) == plain
    assert [type(label) for label in seen] == [dict] * 6
    assert len(walked) == 3  # the second export read what the first found, by content


def test_labels_stored_with_the_same_entry_keep_their_own_findings(project: Any) -> None:
    """k0's and k1's labels are stored with the same entry (the same finding), parsed once and
    shared: a plugin that then finds something on k0's label only must not find it on k1's."""
    assert _codes(project) == {"k0": ["UNKNOWN_FEATURE"], "k1": ["UNKNOWN_FEATURE"]}
    client: rowport.Client = project.client
    k0 = client.get_data_row_by_global_key("k0").uid
    flagged = client.catalog.db.conn.execute(
        "SELECT id FROM labels WHERE data_row_id = ?", (k0,)
    ).fetchone()[0]
    entries = client.catalog.db.conn.execute("SELECT DISTINCT found FROM label_rid_checks")
    assert len(entries.fetchall()) == 2  # k0 and k1 share one, k2 has its own

    class Flags:
        @rowport.hookimpl
        def rowport_declare_sections(self) -> list[str]:
            return ["data_row", "labels"]

        @rowport.hookimpl
        def rowport_validate_rows(self, rows: list[Any], context: Any) -> list[Problem]:
            places = [
                (index, label)
                for index, row in enumerate(rows)
                for section in row["projects"].values()
                for label in section["labels"]
            ]
            found = remembered(
                context,
                plugin="flags",
                version="1",
                labels=[(label, "") for _, label in places],
                check=lambda i: [["FLAGGED"]] if places[i][1]["id"] == flagged else [],
            )
            return [
                Problem(index=index, code=code, message="flagged")
                for (index, _), findings in zip(places, found, strict=True)
                for (code,) in findings
            ]

    home, project_id = client.home, project.uid
    client.close()
    flags = rowport.Client(home, plugins=host_with(rowport_plugins.ontology, Flags()))
    try:
        for _ in range(2):  # checked, then read back from the catalog
            assert _codes(flags.get_project(project_id)) == {
                "k0": ["FLAGGED", "UNKNOWN_FEATURE"],
                "k1": ["UNKNOWN_FEATURE"],
            }
    finally:
        flags.close()


def _check_writers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("rowport-checks-")]


def test_findings_are_written_beside_the_export_and_nothing_outlives_it(
    project: Any, walks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Findings are handed to a writer thread every few labels (here: every label); when the
    export is COMPLETE they are all in the catalog, the thread has ended and its connection is
    closed."""
    monkeypatch.setattr(rowport.plugins._checks, "_PENDING_MAX", 1)
    catalog = project.client.catalog
    assert _codes(project) == {"k0": ["UNKNOWN_FEATURE"], "k1": ["UNKNOWN_FEATURE"]}
    assert _check_writers() == []
    count = catalog.db.conn.execute("SELECT count(*) FROM label_rid_checks").fetchone()[0]
    assert count == 3
    assert _codes(project) == {"k0": ["UNKNOWN_FEATURE"], "k1": ["UNKNOWN_FEATURE"]}
    assert len(walks) == 3  # the second export read them all
    connections = len(_connections(catalog))
    assert catalog.checks.forget() == 3
    count = catalog.db.conn.execute("SELECT count(*) FROM label_rid_checks").fetchone()[0]
    assert count == 0
    assert _codes(project) == {"k0": ["UNKNOWN_FEATURE"], "k1": ["UNKNOWN_FEATURE"]}
    assert len(walks) == 6  # checked and written again: by writers that closed their connection
    assert len(_connections(catalog)) == connections
    assert _check_writers() == []


def _connections(catalog: Any) -> list[Any]:
    """The connections the catalog's database has open (either backend)."""
    db = catalog.db
    return list(db._all if hasattr(db, "_all") else db._conns)


def test_findings_that_cannot_be_written_are_a_warning_and_checked_again(
    project: Any,
    walks: list[int],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError("database or disk is full")

    with monkeypatch.context() as patched:
        patched.setattr(CheckStore, "remember", full)
        with caplog.at_level(logging.WARNING, logger="rowport.plugins._checks"):
            assert _codes(project) == {"k0": ["UNKNOWN_FEATURE"], "k1": ["UNKNOWN_FEATURE"]}
    assert "the checks of 3 labels could not be remembered" in caplog.text
    assert "database or disk is full" in caplog.text
    assert _check_writers() == []
    assert _codes(project) == {"k0": ["UNKNOWN_FEATURE"], "k1": ["UNKNOWN_FEATURE"]}
    assert len(walks) == 6  # nothing was remembered: every label was checked again


def test_a_failed_export_waits_for_the_findings_it_handed_over(
    project: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """on_row_error=fail stops the export at the first problem, after the first label's
    findings were handed over: the task is FAILED and no writer is left running."""
    monkeypatch.setattr(rowport.plugins._checks, "_PENDING_MAX", 1)
    task = project.export(on_row_error="fail")
    task.wait_till_done(timeout_seconds=120)
    assert task.status == "FAILED"
    assert "UNKNOWN_FEATURE" in task.errors_message
    assert _check_writers() == []
