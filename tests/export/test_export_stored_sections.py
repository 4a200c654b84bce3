"""The lists stored ready to write (``catalog/_stored_sections.py``).

Every kind of write that feeds a stored list (ingest and re-import, metadata, attachments,
embeddings, batches and workflow moves, label imports, updates and deletes, reviews, a renamed
schema or embedding, the migrations' backfill) leaves each stored text equal to the text built
from scratch, and exports the same bytes as a catalog whose lists were all rebuilt, and (for a
queue entry's labels) as an export that reads and builds every label instead; a writer that
changes rows while an export reads them never yields a row whose lists mix two versions.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest
from export_support import (
    RichCatalog,
    box_label,
    build_rich_catalog,
    cuid,
    finish,
    generated_row,
    result_bytes,
)

import rowport
from rowport.catalog import LABELS_UNREADY
from rowport.catalog._db import script_statements
from rowport.catalog._pg_schema import PG_SECTIONS
from rowport.catalog._postgres import PostgresDatabase
from rowport.catalog._schema import MIGRATIONS
from rowport.catalog._stored_sections import (
    SECTIONS,
    StoredSection,
    rebuild_sql,
    rebuild_statements,
)
from rowport.testing import ALL_SECTIONS

STORED_VERSION = 8  # the migration that added the stored lists
LABELS_VERSION = 10  # the migration that added a queue entry's stored labels


@pytest.fixture
def rich(tmp_path: Path) -> Iterator[RichCatalog]:
    """A rich catalog of this test's own (the tests change it)."""
    with rowport.Client(home=tmp_path / "home") as client:
        yield build_rich_catalog(client)


def _db(client: rowport.Client) -> Any:
    """A connection of its own to the client's catalog (either backend)."""
    db = client.catalog.db
    if isinstance(db, PostgresDatabase):
        return db.connect()
    return sqlite3.connect(client.home / "catalog.db", isolation_level=None)


def _sections(client: rowport.Client) -> tuple[StoredSection, ...]:
    """The stored lists as the client's backend builds them."""
    return PG_SECTIONS if isinstance(client.catalog.db, PostgresDatabase) else SECTIONS


def stale_lists(client: rowport.Client) -> list[tuple[Any, ...]]:
    """Every stored list that differs from the list built from scratch."""
    conn = _db(client)
    try:
        return [
            (section.name, *row)
            for section in _sections(client)
            for row in conn.execute(rebuild_sql(section))
            if row[-2] != row[-1]
        ]
    finally:
        conn.close()


def exports(rich: RichCatalog, path: Path) -> dict[str, bytes]:
    """The project, dataset and catalog exports with every param, byte for byte."""
    catalog = rich.client.get_catalog()
    tasks = {
        "project": rich.project.export(params=ALL_SECTIONS),
        "dataset": rich.alpha.export(params={**ALL_SECTIONS, "all_projects": True}),
        "catalog": catalog.export(params={**ALL_SECTIONS, "all_projects": True}),
    }
    return {name: result_bytes(task, path / f"{name}.ndjson") for name, task in tasks.items()}


def _rebuild(client: rowport.Client) -> None:
    conn = _db(client)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for statement in rebuild_statements(_sections(client)):
            conn.execute(statement)
        conn.execute("COMMIT")
    finally:
        conn.close()


def assert_exact(rich: RichCatalog, path: Path) -> dict[str, bytes]:
    """The stored lists equal their rebuild; the exports equal a fully rebuilt catalog's, and
    those of a catalog whose stored labels are all unready (the export reads every label)."""
    assert stale_lists(rich.client) == []
    maintained = exports(rich, path / "maintained")
    _rebuild(rich.client)
    assert exports(rich, path / "rebuilt") == maintained
    conn = _db(rich.client)
    conn.execute("UPDATE project_data_rows SET labels_json = ?", (LABELS_UNREADY,))
    conn.close()
    assert exports(rich, path / "read") == maintained
    _rebuild(rich.client)
    return maintained


def test_the_rich_catalog_stores_every_list_as_built_from_scratch(
    rich: RichCatalog, tmp_path: Path
) -> None:
    conn = _db(rich.client)
    stored = conn.execute(
        "SELECT attachments_json, metadata_json, embeddings_json FROM data_rows WHERE id = ?",
        (rich.labelled.uid,),
    ).fetchone()
    empty = conn.execute(
        "SELECT attachments_json, metadata_json, embeddings_json FROM data_rows WHERE id = ?",
        (rich.rows[3].uid,),
    ).fetchone()
    conn.close()
    assert all(stored) and orjson.loads(stored[0])[0]["value"] == "note 0"
    assert empty == (None, None, None)  # no list: nothing stored
    out = assert_exact(rich, tmp_path)
    first = orjson.loads(out["project"].splitlines()[0])
    assert first["metadata_fields"][3]["value"]["schema_name"] == "sunny"


def _set_metadata(rich: RichCatalog) -> None:
    rows = rich.client.catalog.rows
    rows.set_metadata(rich.rows[3].uid, [{"name": "weather", "value": "rain"}])
    rows.set_metadata(rich.labelled.uid, [{"name": "camera", "value": "replaced"}])
    rows.set_metadata(rich.rows[1].uid, [{"name": "speed", "value": 99}], replace=True)


def _add_attachments(rich: RichCatalog) -> None:
    rows = rich.client.catalog.rows
    rows.add_attachments(rich.rows[3].uid, [{"type": "RAW_TEXT", "value": "first"}])
    rows.add_attachments(rich.labelled.uid, [{"type": "RAW_TEXT", "value": "third", "name": "x"}])


def _add_embeddings(rich: RichCatalog) -> None:
    rows = rich.client.catalog.rows
    other = rich.client.create_embedding("other", dimensions=2)
    rows.add_embeddings(rich.rows[3].uid, [{"name": "clip", "vector": [1.0, 2.0, 3.0]}])
    rows.add_embeddings(rich.labelled.uid, [{"embedding_id": other["id"], "vector": [0.5, 0.5]}])
    rows.add_embeddings(rich.labelled.uid, [{"name": "clip", "vector": [9.0, 9.0, 9.0]}])


def _workflow(rich: RichCatalog) -> None:
    rich.project.move_data_rows_to_status([rich.rows[3], rich.rows[2]], "Done")
    rich.project2.move_data_rows_to_status([rich.rows[1]], "InReview")
    third = rich.client.create_project("third", "image")
    third.create_batch("late", data_rows=rich.rows[:2])


def _labels_and_reviews(rich: RichCatalog) -> None:
    (label,) = rich.project.import_labels([box_label(rich.rows[2])])
    label.add_review("Approve")


def _more_labels(rich: RichCatalog) -> None:
    """A second and third label of a row (the stored list keeps their order), each reviewed."""
    labels = rich.project.import_labels([box_label(rich.labelled), box_label(rich.rows[1])])
    labels[0].add_review("Reject")
    labels[1].add_review("Approve")
    labels[1].add_review("Reject")


def _edit_labels(rich: RichCatalog) -> None:
    """No write path edits or deletes a label today: raw SQL does, and the lists follow
    (strings that JSON escapes, a label that moves to another row, one deleted)."""
    conn = _db(rich.client)
    (moved,) = conn.execute(
        "SELECT id FROM labels WHERE data_row_id = ? AND project_id = ?",
        (rich.rows[1].uid, rich.project.uid),
    ).fetchone()
    conn.execute(
        "UPDATE labels SET created_by = ?, version = '2.0.0', performance = NULL"
        " WHERE data_row_id = ? AND project_id = ?",
        (
            'quote " backslash \\ tab \t newline \n bell \x07 é \u2028 😀',
            rich.labelled.uid,
            rich.project.uid,
        ),
    )
    conn.execute(
        "UPDATE labels SET annotations = replace(annotations, 'clear', 'murky') WHERE id = ?",
        (moved,),
    )
    conn.execute("UPDATE labels SET data_row_id = ? WHERE id = ?", (rich.rows[2].uid, moved))
    conn.execute("UPDATE reviews SET created_by = 'someone else'")
    (gone,) = conn.execute(
        "SELECT id FROM labels WHERE data_row_id = ? AND project_id = ?",
        (rich.rows[2].uid, rich.project2.uid),
    ).fetchone()
    conn.execute("DELETE FROM reviews WHERE label_id = ?", (gone,))
    conn.execute("DELETE FROM labels WHERE id = ?", (gone,))
    conn.close()


def _break_a_label(rich: RichCatalog) -> None:
    """A label whose stored JSON is not valid: its row is an ERRORS line, as when read."""
    conn = _db(rich.client)
    conn.execute(
        "UPDATE labels SET annotations = '{not json' WHERE data_row_id = ? AND project_id = ?",
        (rich.rows[1].uid, rich.project.uid),
    )
    stored = conn.execute(
        "SELECT labels_json FROM project_data_rows WHERE data_row_id = ? AND project_id = ?",
        (rich.rows[1].uid, rich.project.uid),
    ).fetchone()
    conn.close()
    assert stored == (LABELS_UNREADY,)


def _reimport(rich: RichCatalog) -> None:
    """Import-format rows: new ones, then the same ids again with other lists (an upsert)."""
    client = rich.client
    project_id = cuid("cstoredproject", 1)
    first = [generated_row(n, project_id=project_id) for n in range(3)]
    client.catalog.importer.import_rows(first)
    again = [generated_row(n, project_id=project_id) for n in range(3)]
    for row in again:
        row["attachments"] = row["attachments"][:1]
        row["metadata_fields"] = row["metadata_fields"][1:]
        row["embeddings"] = []
    report = client.catalog.importer.import_rows(again)
    assert not report.failed, report.errors


def _rename(rich: RichCatalog) -> None:
    """Names no write path changes today, changed in raw SQL: the stored lists follow."""
    conn = _db(rich.client)
    conn.execute("UPDATE metadata_schemas SET name = 'weather now' WHERE name = 'weather'")
    conn.execute("UPDATE metadata_schemas SET name = 'sunshine' WHERE name = 'sunny'")
    conn.execute("UPDATE embeddings SET name = 'clip-3' WHERE name = 'clip'")
    conn.execute("DELETE FROM attachments WHERE value = 'note 1'")
    conn.execute("UPDATE attachments SET value = 'edited' WHERE value = 'note 2'")
    conn.close()


CHANGES: dict[str, Callable[[RichCatalog], None]] = {
    "metadata": _set_metadata,
    "attachments": _add_attachments,
    "embeddings": _add_embeddings,
    "workflow moves and batches": _workflow,
    "labels and reviews": _labels_and_reviews,
    "more labels of a row": _more_labels,
    "label edits, moves and deletes": _edit_labels,
    "a label that is not valid JSON": _break_a_label,
    "ingest and re-import": _reimport,
    "renames and raw SQL": _rename,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_keeps_every_stored_list_exact(
    rich: RichCatalog, tmp_path: Path, change: str
) -> None:
    before = exports(rich, tmp_path / "before")
    CHANGES[change](rich)
    after = assert_exact(rich, tmp_path)
    assert after != before  # the change shows in the exports


def test_every_change_in_turn_keeps_the_exports_exact(rich: RichCatalog, tmp_path: Path) -> None:
    for n, change in enumerate(CHANGES.values()):
        change(rich)
        assert_exact(rich, tmp_path / str(n))


def test_an_unreadable_label_is_an_errors_line_and_the_rest_are_written(
    rich: RichCatalog, tmp_path: Path
) -> None:
    _break_a_label(rich)
    task = finish(rich.project.export(params=ALL_SECTIONS))
    rows = [out.json for out in task.get_buffered_stream()]
    (error,) = [out.json for out in task.get_buffered_stream(stream_type=rowport.StreamType.ERRORS)]
    assert error["code"] == "ROW_ASSEMBLY_FAILED" and error["data_row"]["id"] == rich.rows[1].uid
    assert rich.rows[1].uid not in {row["data_row"]["id"] for row in rows}
    labelled = [row for row in rows if row["data_row"]["id"] == rich.labelled.uid]
    assert labelled[0]["projects"][rich.project.uid]["labels"][0]["label_details"]["reviews"]


def test_labels_are_built_when_a_step_reads_a_section(rich: RichCatalog, tmp_path: Path) -> None:
    """Rows some step reads get labels as lists of dicts, never the stored text."""
    seen: list[Any] = []

    def step(rows: list[dict[str, Any]], context: Any) -> tuple[list[dict[str, Any]], list[Any]]:
        seen.extend(section["labels"] for row in rows for section in row["projects"].values())
        return rows, []

    step.sections = frozenset({"data_row"})  # type: ignore[attr-defined]
    expected = exports(rich, tmp_path / "plain")["project"]
    rich.client._tasks.steps = [step]
    try:
        out = result_bytes(rich.project.export(params=ALL_SECTIONS), tmp_path / "stepped.ndjson")
    finally:
        rich.client._tasks.steps = []
    assert out == expected
    assert seen and all(isinstance(labels, list) for labels in seen)
    assert isinstance(seen[0][0]["annotations"], orjson.Fragment)  # not declared: not parsed


def _copy_before(source: Path, target: Path, version: int) -> None:
    """A catalog at the migration before ``version``, holding ``source``'s data."""
    target.parent.mkdir(parents=True)
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA page_size = 16384")
    conn.execute("PRAGMA journal_mode = WAL")
    for script in MIGRATIONS[: version - 1]:
        for statement in script_statements(script):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version - 1}")
    conn.execute("ATTACH DATABASE ? AS src", (str(source),))
    tables = [
        r[0] for r in conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'")
    ]
    for table in tables:
        source = {r[1] for r in conn.execute(f"PRAGMA src.table_info({table})")}
        layout = conn.execute(f"PRAGMA main.table_info({table})").fetchall()
        if any(r[3] and r[4] is None and r[1] not in source for r in layout):
            continue  # rebuilt by a later migration (label_checks: a cache it drops anyway)
        columns = ", ".join(r[1] for r in layout if r[1] in source)
        conn.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM src.{table}")
    conn.execute("DETACH DATABASE src")
    conn.close()


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("version", "table", "column"),
    [
        (STORED_VERSION, "data_rows", "attachments_json"),
        (LABELS_VERSION, "project_data_rows", "labels_json"),
    ],
)
def test_the_migration_backfills_an_existing_catalog(
    rich: RichCatalog, tmp_path: Path, version: int, table: str, column: str
) -> None:
    _workflow(rich)
    _add_embeddings(rich)
    _more_labels(rich)
    expected = exports(rich, tmp_path / "current")
    old_home = tmp_path / "old-home"
    _copy_before(rich.client.home / "catalog.db", old_home / "catalog.db", version)
    conn = sqlite3.connect(old_home / "catalog.db")
    columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    conn.close()
    assert column not in columns
    with rowport.Client(home=old_home) as client:  # opening it migrates
        assert client.catalog.db.schema_version == len(MIGRATIONS)
        assert stale_lists(client) == []
        # the copied catalog's project and dataset, through the migrated client
        migrated = attrs.evolve(
            rich,
            client=client,
            project=client.get_project(rich.project.uid),
            alpha=client.get_dataset(rich.alpha.uid),
        )
        assert exports(migrated, tmp_path / "migrated") == expected


# -- a concurrent writer -----------------------------------------------------------------------

ROWS = 250  # more than two batches of the runner


@contextmanager
def _rewriting(
    client: rowport.Client, commit: Callable[[sqlite3.Connection, int], None]
) -> Iterator[list[int]]:
    """A thread that calls ``commit(conn, version)`` for versions 1, 2, ... on a connection of
    its own until the block ends; the block starts once version 1 is written and gets the
    versions written so far."""
    stop, wrote = threading.Event(), threading.Event()
    versions: list[int] = []

    def writer() -> None:
        conn = sqlite3.connect(client.home / "catalog.db", isolation_level=None, timeout=30.0)
        try:
            version = 0
            while not stop.is_set():
                version += 1
                commit(conn, version)
                versions.append(version)
                wrote.set()
        finally:
            conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert wrote.wait(60)
        yield versions
    finally:
        stop.set()
        thread.join(60)


def _seen_in_exports(
    export: Callable[[], rowport.ExportTask], seen_in: Callable[[dict[str, Any]], set[str]]
) -> set[str]:
    """Four exports of all rows: each row's values as ``seen_in`` checks and gives them."""
    seen: set[str] = set()
    for _ in range(4):
        exported = [out.json for out in finish(export()).get_buffered_stream()]
        assert len(exported) == ROWS
        for row in exported:
            seen |= seen_in(row)
    return seen


def _versioned(conn: sqlite3.Connection, row_id: str, version: int) -> None:
    """Give a row two attachments and a ``camera`` value of ``version``, in one commit."""
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM attachments WHERE data_row_id = ?", (row_id,))
    conn.executemany(
        "INSERT INTO attachments (id, data_row_id, position, type, value, name)"
        " VALUES (?, ?, ?, 'RAW_TEXT', ?, NULL)",
        [(f"{row_id}-{version}-{i}", row_id, i, f"v{version}") for i in range(2)],
    )
    conn.execute(
        "UPDATE metadata_values SET value = ? WHERE data_row_id = ?",
        (orjson.dumps(f"v{version}").decode(), row_id),
    )
    conn.execute("COMMIT")


@pytest.mark.sqlite_only
def test_a_concurrent_writer_never_yields_a_torn_or_mixed_row(tmp_path: Path) -> None:
    with rowport.Client(home=tmp_path / "home") as client:
        client.create_metadata_schema("camera", "string")
        dataset = client.create_dataset("moving")
        rows = dataset.create_data_rows(
            [
                {
                    "row_data": f"https://example.com/{n}.jpg",
                    "metadata_fields": [{"name": "camera", "value": "v0"}],
                    "attachments": [
                        {"type": "RAW_TEXT", "value": "v0"},
                        {"type": "RAW_TEXT", "value": "v0"},
                    ],
                }
                for n in range(ROWS)
            ]
        )
        ids = [row.uid for row in rows]

        def rewrite(conn: sqlite3.Connection, version: int) -> None:
            for row_id in ids:  # a commit per row: the export's task writes get in
                _versioned(conn, row_id, version)
                time.sleep(0)  # let the export's threads run between commits

        def seen_in(row: dict[str, Any]) -> set[str]:
            values = {a["value"] for a in row["attachments"]}
            values.add(row["metadata_fields"][0]["value"])
            assert len(row["attachments"]) == 2 and len(values) == 1, row
            return values

        params = {"attachments": True, "metadata_fields": True}
        with _rewriting(client, rewrite) as versions:
            seen = _seen_in_exports(lambda: dataset.export(params=params), seen_in)
        assert versions and stale_lists(client) == []
        assert seen - {"v0"}  # the exports did read rows the writer wrote


def _relabel(conn: sqlite3.Connection, label_id: str, annotations: str, version: int) -> None:
    """Give a label a note of ``version`` and its review the same author, in one commit."""
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "UPDATE labels SET annotations = ? WHERE id = ?",
        (annotations.replace('"clear"', f'"v{version}"'), label_id),
    )
    conn.execute("UPDATE reviews SET created_by = ? WHERE label_id = ?", (f"v{version}", label_id))
    conn.execute("COMMIT")


@pytest.mark.sqlite_only
def test_a_concurrent_label_writer_never_yields_a_torn_or_mixed_label(tmp_path: Path) -> None:
    with rowport.Client(home=tmp_path / "home") as client:
        ontology = client.create_ontology(
            "notes", classifications=[{"type": "text", "name": "note"}], media_type="image"
        )
        rows = client.create_dataset("moving").create_data_rows(
            [{"row_data": f"https://example.com/{n}.jpg"} for n in range(ROWS)]
        )
        project = client.create_project("moving", "image", ontology=ontology)
        project.create_batch("all", data_rows=rows)
        note = {"classifications": [{"name": "note", "text_answer": {"content": "clear"}}]}
        labels = project.import_labels([{"data_row_id": r.uid, "annotations": note} for r in rows])
        for label in labels:
            label.add_review("Approve")
        conn = _db(client)
        stored = dict(conn.execute("SELECT id, annotations FROM labels").fetchall())
        conn.close()

        def rewrite(conn: sqlite3.Connection, version: int) -> None:
            for label in labels:  # a commit per label: the export's task writes get in
                _relabel(conn, label.uid, stored[label.uid], version)
                time.sleep(0)

        def seen_in(row: dict[str, Any]) -> set[str]:
            (label,) = row["projects"][project.uid]["labels"]
            (answer,) = label["annotations"]["classifications"]
            (review,) = label["label_details"]["reviews"]
            assert answer["text_answer"]["content"] == review["created_by"], row
            return {review["created_by"]}

        with _rewriting(client, rewrite) as versions:
            seen = _seen_in_exports(lambda: project.export(params=ALL_SECTIONS), seen_in)
        assert versions and stale_lists(client) == []
        assert seen - {"v0", client.catalog.actor.user_email}  # the writer's versions were read
