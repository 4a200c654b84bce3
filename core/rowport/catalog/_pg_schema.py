"""The PostgreSQL catalog's migrations: SQLite's (``_schema.MIGRATIONS``), translated.

Each SQLite migration is carried over statement by statement (:func:`pg_statements`), so
migration ``n`` is the same change on both backends and a migration appended to
``MIGRATIONS`` reaches PostgreSQL with no edit here, as long as it is plain DDL:

- ``INTEGER`` is ``BIGINT``, ``REAL`` is ``DOUBLE PRECISION``, ``BLOB`` is ``BYTEA``, and
  ``TEXT`` sorts bytewise (``COLLATE "C"``, SQLite's order) on any server locale;
- an ``INTEGER PRIMARY KEY`` (SQLite's rowid alias) gets the next key (``MAX + 1``) when an
  insert leaves it NULL, as SQLite does, from a ``BEFORE INSERT`` trigger;
- every other table (but a ``WITHOUT ROWID`` one) gains a ``rowid`` column, the insertion
  order SQLite's reads sort ties by.

A migration whose SQL is SQLite's own (triggers) has its PostgreSQL text in
:data:`_OVERRIDES`: migration 12 (remembered checks, dropped by a trigger), and migrations 8
and 10, the stored sections, with :data:`PG_SECTIONS` (the
same lists, built by string aggregation in each list's order; the bytes are SQLite's
``json_group_array``'s and ``group_concat``'s) and plpgsql triggers. The functions the
stores' SQL calls that PostgreSQL lacks (``json_valid``, ``json_extract``) are created by
migration 1.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import attrs

from rowport.catalog._db import script_statements
from rowport.catalog._protocols import LABELS_UNREADY
from rowport.catalog._schema import MIGRATIONS
from rowport.catalog._stored_sections import (
    LABEL_TEXT,
    MIGRATION_SECTIONS,
    SECTIONS,
    StoredSection,
    backfill_sql,
    set_sql,
)

__all__ = ["PG_SECTIONS", "SCHEMA_TABLE", "pg_migrations", "pg_statements"]

#: The table holding how many migrations a PostgreSQL catalog has applied.
SCHEMA_TABLE = "rowport_schema"
#: The tables whose changes bump ``rowport_changes`` (what ``TaskStore.changed`` watches).
_WATCHED = ("tasks", "task_attempts", "task_links")

_FUNCTIONS = (
    # a value as SQLite's json_object writes it: JSON text, NULL as null
    "CREATE FUNCTION rp_json(v anyelement) RETURNS text LANGUAGE sql IMMUTABLE"
    " AS $$ SELECT COALESCE(to_json(v)::text, 'null') $$",
    "CREATE FUNCTION json_valid(t text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$"
    " BEGIN IF t IS NULL THEN RETURN NULL; END IF; PERFORM t::json; RETURN true;"
    " EXCEPTION WHEN others THEN RETURN false; END $$",
    "CREATE FUNCTION json_extract(t text, path text) RETURNS text LANGUAGE sql IMMUTABLE"
    " AS $$ SELECT CASE WHEN path = '$' THEN t::json #>> '{}'"
    " ELSE t::json #>> string_to_array(substr(path, 3), '.') END $$",
    "CREATE TABLE rowport_changes (n BIGINT NOT NULL)",
    "INSERT INTO rowport_changes VALUES (0)",
    "CREATE FUNCTION rp_bump() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN UPDATE rowport_changes SET n = n + 1; RETURN NULL; END $$",
)

_TABLE = re.compile(r"^\s*CREATE TABLE (\w+) \(", re.I)
_ROWID_KEY = re.compile(r"\b(\w+) INTEGER PRIMARY KEY\b", re.I)
_TYPES = (
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
    (re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'),
)


def _next_key(table: str, column: str) -> list[str]:
    """SQLite's rowid rule for ``table.column``: a NULL key is the largest plus one."""
    fn = f"rp_{table}_{column}"
    return [
        f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f" IF NEW.{column} IS NULL THEN"
        f" NEW.{column} := (SELECT COALESCE(MAX({column}), 0) + 1 FROM {table}); END IF;"
        " RETURN NEW; END $$",
        f"CREATE TRIGGER {fn} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {fn}()",
    ]


def pg_statements(statement: str) -> list[str]:
    """One SQLite DDL statement as PostgreSQL statements (see the module's rules)."""
    sql = statement.strip().rstrip(";").strip()
    table = _TABLE.match(sql)
    extra: list[str] = []
    if table:
        name = table.group(1)
        key = _ROWID_KEY.search(sql)
        if key:
            sql = _ROWID_KEY.sub(r"\1 BIGINT PRIMARY KEY", sql, count=1)
            extra += _next_key(name, key.group(1))
        if re.search(r"\)\s*WITHOUT ROWID$", sql, re.I):
            sql = re.sub(r"\s*WITHOUT ROWID$", "", sql, flags=re.I)
        elif not key:
            close = sql.rindex(")")
            sql = f"{sql[:close].rstrip()},\n    rowid BIGSERIAL NOT NULL\n)"
        if name in _WATCHED:
            extra.append(
                f"CREATE TRIGGER rp_{name}_changes AFTER INSERT OR UPDATE OR DELETE ON {name}"
                " FOR EACH STATEMENT EXECUTE FUNCTION rp_bump()"
            )
    for pattern, replacement in _TYPES:
        sql = pattern.sub(replacement, sql)
    return [sql, *extra]


# -- stored sections (migrations 8 and 10) ---------------------------------------------------------


def _obj(*pairs: tuple[str, str]) -> str:
    """A JSON object of ``(key, JSON text expression)`` pairs, keys in order, no spaces."""
    parts = [
        f"'{'{{' if i == 0 else ','}\"{key}\":' || {value}" for i, (key, value) in enumerate(pairs)
    ]
    return "(" + " || ".join(parts) + " || '}}')"


def _val(expr: str) -> str:
    """A column's value as JSON text."""
    return f"rp_json({expr})"


def _agg(item: str, order: str) -> str:
    """A JSON array of ``item`` over the rows in ``order`` (NULL over no rows)."""
    return f"('[' || string_agg({item}, ',' ORDER BY {order}) || ']')"


_PG_BUILDS = {
    "attachments": (
        "(SELECT "
        + _agg(
            _obj(
                ("id", _val("a.id")),
                ("type", _val("a.type")),
                ("value", _val("a.value")),
                ("name", _val("a.name")),
            ),
            "a.position, a.rowid",
        )
        + " FROM attachments a WHERE a.data_row_id = {row})"
    ),
    "metadata_fields": (
        "(SELECT "
        + _agg(
            _obj(
                ("schema_id", _val("v.schema_id")),
                ("schema_name", _val("s.name")),
                (
                    "value",
                    "CASE WHEN s.kind = 'enum' THEN "
                    + _obj(("schema_id", _val("o.id")), ("schema_name", _val("o.name")))
                    + " ELSE v.value END",
                ),
            ),
            "v.position, v.rowid",
        )
        + " FROM metadata_values v JOIN metadata_schemas s ON s.id = v.schema_id"
        " LEFT JOIN metadata_schemas o ON s.kind = 'enum' AND o.id = json_extract(v.value, '$')"
        " WHERE v.data_row_id = {row})"
    ),
    "embeddings": (
        "(SELECT "
        + _agg(
            _obj(
                ("id", _val("e.id")),
                ("name", _val("e.name")),
                ("dimensions", _val("e.dimensions")),
                ("is_custom", "CASE WHEN e.is_custom <> 0 THEN 'true' ELSE 'false' END"),
                (
                    "values",
                    "COALESCE((SELECT "
                    + _agg(_obj(("value", "x.vector")), "x.position")
                    + " FROM embedding_vectors x WHERE x.data_row_id = {row}"
                    " AND x.embedding_id = e.id), '[]')",
                ),
            ),
            "k.embedding_id",
        )
        + " FROM (SELECT DISTINCT embedding_id FROM embedding_vectors"
        " WHERE data_row_id = {row}) k JOIN embeddings e ON e.id = k.embedding_id)"
    ),
    "workflow_history": (
        "(SELECT "
        + _agg(
            _obj(
                *(
                    (name, _val(f"h.{name}"))
                    for name in (
                        "action",
                        "created_at",
                        "created_by",
                        "previous_task_id",
                        "previous_task_name",
                        "next_task_id",
                        "next_task_name",
                    )
                )
            ),
            "h.seq",
        )
        + " FROM workflow_history h WHERE h.data_row_id = {row} AND h.project_id = {project})"
    ),
    "reviews": (
        "(SELECT "
        + _agg(
            _obj(
                *(
                    (name, _val(f"r.{name}"))
                    for name in ("id", "action", "created_at", "created_by")
                )
            ),
            "r.created_at, r.rowid",
        )
        + " FROM reviews r WHERE r.label_id = {row})"
    ),
    # SQLite's text with json_quote as rp_json (the same bytes), in the order of labels_row
    "labels": (
        "(SELECT CASE WHEN bool_and(json_valid(l.annotations)"
        " AND json_valid(COALESCE(l.performance, '{{}}'))) = false"
        f" THEN '{LABELS_UNREADY}' ELSE '[' || COALESCE(string_agg("
        + LABEL_TEXT.replace("json_quote(", "rp_json(")
        + ", ',' ORDER BY l.rid), '') || ']' END FROM labels l"
        " WHERE l.data_row_id = {row} AND l.project_id = {project})"
    ),
}

#: :data:`~rowport.catalog._stored_sections.SECTIONS` as PostgreSQL builds them: each
#: expression is ``'[]'`` over no rows, as ``json_group_array`` is.
PG_SECTIONS: tuple[StoredSection, ...] = tuple(
    attrs.evolve(section, build=f"COALESCE({_PG_BUILDS[section.name]}, '[]')")
    for section in SECTIONS
)


def _function(name: str, table: str, event: str, body: str) -> list[str]:
    return [
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}"
        " RETURN NULL; END $$",
        f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
    ]


def _section_triggers(section: StoredSection) -> list[str]:
    """The triggers of ``_stored_sections._triggers``, in plpgsql."""
    out = []
    for source in section.sources:
        body = ""
        for ref, skip in (("OLD", "INSERT"), ("NEW", "DELETE")):
            row, project, where = section.keys(ref)
            body += (
                f"IF TG_OP <> '{skip}' THEN {set_sql(section, row, project)} WHERE {where}; END IF;"
            )
        out += _function(
            f"rp_{source}_{section.column}", source, "INSERT OR UPDATE OR DELETE", body
        )
    for entity, users in section.named:
        body = f"{set_sql(section, *section.own())} WHERE id IN ({users});"
        out += _function(f"rp_{entity}_{section.column}", entity, "UPDATE", body)
    if section.per_project:
        row, project, where = section.keys("NEW")
        found = " OR ".join(
            f"EXISTS (SELECT 1 FROM {source} WHERE data_row_id = {row} AND project_id = {project})"
            for source in section.sources
        )
        body = f"IF {found} THEN {set_sql(section, row, project)} WHERE {where}; END IF;"
        out += _function(f"rp_{section.table}_{section.column}", section.table, "INSERT", body)
    return out


def _sections_migration(number: int) -> list[str]:
    """Migration ``number``'s stored sections (``MIGRATION_SECTIONS``): their columns,
    triggers and backfill."""
    out: list[str] = []
    for section in PG_SECTIONS:
        if section.name not in MIGRATION_SECTIONS[number]:
            continue
        out.append(f'ALTER TABLE {section.table} ADD COLUMN {section.column} TEXT COLLATE "C"')
        out += _section_triggers(section)
        out.append(backfill_sql(section))
    return out


def _label_rid_checks() -> list[str]:
    """Migration 12: remembered checks by label rid, and the trigger that drops a label's
    entry when the label is inserted, deleted, or its rid or annotations change."""
    body = (
        "IF TG_OP <> 'INSERT' THEN DELETE FROM label_rid_checks WHERE label_rid = OLD.rid;"
        " END IF; IF TG_OP <> 'DELETE' THEN"
        " DELETE FROM label_rid_checks WHERE label_rid = NEW.rid; END IF;"
    )
    return [
        "CREATE TABLE label_rid_checks (label_rid BIGINT PRIMARY KEY, found BYTEA NOT NULL,"
        " checked_ts DOUBLE PRECISION NOT NULL)",
        *_function(
            "rp_labels_label_rid_checks",
            "labels",
            "INSERT OR DELETE OR UPDATE OF rid, annotations",
            body,
        ),
    ]


#: Migrations whose PostgreSQL statements are written here, by number.
_OVERRIDES: dict[int, Callable[[], list[str]]] = {
    **{number: functools.partial(_sections_migration, number) for number in MIGRATION_SECTIONS},
    12: _label_rid_checks,
}


@functools.cache
def pg_migrations() -> tuple[tuple[str, ...], ...]:
    """The statements of each migration, in order: one entry per ``MIGRATIONS`` entry."""
    out = []
    for number, script in enumerate(MIGRATIONS, start=1):
        statements = [] if number != 1 else list(_FUNCTIONS)
        if number in _OVERRIDES:
            statements += _OVERRIDES[number]()
        else:
            for statement in script_statements(script):
                statements += pg_statements(statement)
        out.append(tuple(statements))
    return tuple(out)
