"""Per-row list sections stored ready to write: the JSON text an export concatenates.

A row's ``attachments``, ``metadata_fields`` and ``embeddings`` are kept as JSON array text in
``data_rows`` (``attachments_json`` ...), its workflow history in a project in
``project_data_rows.history_json``, a label's reviews in ``labels.reviews_json``, and a queue
entry's labels (as a project export writes them with label_details and performance_details,
reviews included) in ``project_data_rows.labels_json``: NULL for an empty list,
``LABELS_UNREADY`` for labels one of which holds stored JSON that is not valid (the export
then reads them, and reports the row). SQLite triggers rebuild a row's
text from its section rows whenever one of them is inserted, deleted or updated (and when a
metadata schema or an embedding it names changes), inside the writer's own transaction, so
every write path (ingest, metadata, attachments, embeddings, batches, workflow moves, raw
SQL) keeps it exact, and a reader sees the text and the rows it was built from change
together (a concurrent export never reads a torn or mixed section).

Each section's text is built by one SQL expression (:data:`SECTIONS`), the one the export
used to run per row (for labels: the bytes orjson writes, ``json_quote`` escaping strings as
orjson does), so the bytes are the same; :func:`rebuild_sql` runs it from scratch (to check
the stored text). These strings make migrations 8 and 10 (``_schema.MIGRATIONS``): changing
one means a new migration that recreates the triggers and rebuilds the column.
"""

from __future__ import annotations

import attrs
import orjson

from rowport.catalog._protocols import LABELS_UNREADY
from rowport.request import default_performance

__all__ = [
    "LABEL_TEXT",
    "MIGRATION_SECTIONS",
    "SECTIONS",
    "StoredSection",
    "backfill_sql",
    "migration_sql",
    "rebuild_sql",
    "rebuild_statements",
    "set_sql",
]

# A label's ``performance_details`` when it has none stored (as the assembler writes it).
# (braces doubled: the text is part of a build, which str.format fills)
_DEFAULT_PERFORMANCE = orjson.dumps(default_performance()).decode().replace("{", "{{")
_DEFAULT_PERFORMANCE = _DEFAULT_PERFORMANCE.replace("}", "}}")
#: One label as the export writes it with label_details and performance_details: its strings
#: quoted by json_quote (the bytes orjson writes), its stored JSON concatenated as stored.
LABEL_TEXT = (
    "'{{\"label_kind\":' || json_quote(l.label_kind) || ',\"version\":' || json_quote(l.version)"
    ' || \',"id":\' || json_quote(l.id) || \',"label_details":{{"created_at":\''
    " || json_quote(l.created_at) || ',\"updated_at\":' || json_quote(l.updated_at)"
    " || ',\"created_by\":' || json_quote(l.created_by) || ',\"content_last_updated_at\":'"
    " || json_quote(l.content_last_updated_at) || ',\"reviews\":'"
    " || COALESCE(l.reviews_json, '[]') || '}},\"performance_details\":'"
    f" || COALESCE(l.performance, '{_DEFAULT_PERFORMANCE}') || ',\"annotations\":'"
    " || l.annotations || '}}'"
)


@attrs.frozen
class StoredSection:
    """One stored list: where it is kept and the SQL that builds it.

    ``build`` is an expression of ``{row}`` (the id of the row that holds the list: a data
    row's, or a label's for its reviews) and, for a project's list (``per_project``),
    ``{project}`` (the project id). ``sources`` are the tables whose rows it is built from
    (each names the holding row's ``id`` in ``source_key``, and its project in ``project_id``);
    ``named`` maps an entity table it reads names from to the rows that use an entity of it
    (a ``SELECT data_row_id`` of ``NEW`` and ``OLD``).
    """

    name: str
    table: str
    column: str
    build: str
    sources: tuple[str, ...]
    named: tuple[tuple[str, str], ...] = ()
    per_project: bool = False
    source_key: str = "data_row_id"

    def expression(self, row: str, project: str = "") -> str:
        """The list's JSON text for the data row id ``row`` (and project ``project``)."""
        return self.build.format(row=row, project=project)

    def stored(self, row: str, project: str = "") -> str:
        """The column's value: the list's text, NULL for an empty list (most rows have none of
        a section: no bytes, and no write on ingest)."""
        return f"NULLIF({self.expression(row, project)}, '[]')"

    def own(self) -> tuple[str, str]:
        """The row (and project) of a row of :attr:`table` itself, for :meth:`expression`."""
        if self.per_project:
            return f"{self.table}.data_row_id", f"{self.table}.project_id"
        return f"{self.table}.id", ""

    def keys(self, ref: str) -> tuple[str, str, str]:
        """The row (and project) of ``ref`` (a table or ``NEW``/``OLD``), and the WHERE that
        picks its entry in :attr:`table`."""
        if self.per_project:
            row, project = f"{ref}.data_row_id", f"{ref}.project_id"
            return row, project, f"data_row_id = {row} AND project_id = {project}"
        row = f"{ref}.{self.source_key}"
        return row, "", f"id = {row}"


SECTIONS: tuple[StoredSection, ...] = (
    # INDEXED BY pins each list to an index whose order is the list's order, so no sort runs
    # and json_group_array sees the rows in that order.
    StoredSection(
        name="attachments",
        table="data_rows",
        column="attachments_json",
        build=(
            "(SELECT json_group_array(json_object('id', a.id, 'type', a.type, 'value', a.value,"
            " 'name', a.name)) FROM attachments a INDEXED BY attachments_row"
            " WHERE a.data_row_id = {row})"
        ),
        sources=("attachments",),
    ),
    StoredSection(
        name="metadata_fields",
        table="data_rows",
        column="metadata_json",
        build=(
            "(SELECT json_group_array(json_object('schema_id', v.schema_id, 'schema_name',"
            " s.name, 'value', CASE WHEN s.kind = 'enum' THEN json_object('schema_id', o.id,"
            " 'schema_name', o.name) ELSE json(v.value) END))"
            " FROM metadata_values v INDEXED BY metadata_values_order"
            " JOIN metadata_schemas s ON s.id = v.schema_id LEFT JOIN metadata_schemas o"
            " ON s.kind = 'enum' AND o.id = json_extract(v.value, '$')"
            " WHERE v.data_row_id = {row})"
        ),
        sources=("metadata_values",),
        # a schema's (or an enum option's: its parent's) name or kind: the rows with a value
        named=(
            (
                "metadata_schemas",
                "SELECT data_row_id FROM metadata_values"
                " WHERE schema_id IN (OLD.id, NEW.id, NEW.parent_id)",
            ),
        ),
    ),
    StoredSection(
        name="embeddings",
        table="data_rows",
        column="embeddings_json",
        build=(
            "(SELECT json_group_array(json_object('id', e.id, 'name', e.name, 'dimensions',"
            " e.dimensions, 'is_custom', json(CASE WHEN e.is_custom THEN 'true' ELSE 'false'"
            " END), 'values', (SELECT json_group_array(json_object('value', json(x.vector)))"
            " FROM embedding_vectors x WHERE x.data_row_id = {row} AND x.embedding_id = e.id)))"
            " FROM (SELECT DISTINCT embedding_id FROM embedding_vectors"
            " WHERE data_row_id = {row}) k JOIN embeddings e ON e.id = k.embedding_id)"
        ),
        sources=("embedding_vectors",),
        named=(
            (
                "embeddings",
                "SELECT data_row_id FROM embedding_vectors WHERE embedding_id IN (OLD.id, NEW.id)",
            ),
        ),
    ),
    StoredSection(
        name="workflow_history",
        table="project_data_rows",
        column="history_json",
        build=(
            "(SELECT json_group_array(json_object('action', h.action, 'created_at',"
            " h.created_at, 'created_by', h.created_by, 'previous_task_id', h.previous_task_id,"
            " 'previous_task_name', h.previous_task_name, 'next_task_id', h.next_task_id,"
            " 'next_task_name', h.next_task_name)) FROM workflow_history h"
            " INDEXED BY workflow_history_row"
            " WHERE h.data_row_id = {row} AND h.project_id = {project})"
        ),
        sources=("workflow_history",),
        per_project=True,
    ),
    # a label's reviews (its label_details.reviews), in the order of their creation
    StoredSection(
        name="reviews",
        table="labels",
        column="reviews_json",
        build=(
            "(SELECT json_group_array(json_object('id', r.id, 'action', r.action, 'created_at',"
            " r.created_at, 'created_by', r.created_by)) FROM reviews r INDEXED BY reviews_label"
            " WHERE r.label_id = {row})"
        ),
        sources=("reviews",),
        source_key="label_id",
    ),
    # a queue entry's labels, in creation order, as a project export writes them with
    # label_details and performance_details (the reviews above are in them: built after)
    StoredSection(
        name="labels",
        table="project_data_rows",
        column="labels_json",
        build=(
            "(SELECT CASE WHEN MIN(json_valid(l.annotations)"
            " AND json_valid(COALESCE(l.performance, '{{}}'))) = 0"
            f" THEN '{LABELS_UNREADY}' ELSE '[' || COALESCE(group_concat({LABEL_TEXT}, ','), '')"
            " || ']' END FROM labels l INDEXED BY labels_row"
            " WHERE l.data_row_id = {row} AND l.project_id = {project})"
        ),
        sources=("labels",),
        per_project=True,
    ),
)


#: The sections each migration added, by the migration's number (8 the first five, 10 the
#: labels): the SQLite and the PostgreSQL migrations are built from it.
MIGRATION_SECTIONS: dict[int, tuple[str, ...]] = {
    8: ("attachments", "metadata_fields", "embeddings", "workflow_history", "reviews"),
    10: ("labels",),
}


def set_sql(section: StoredSection, row: str, project: str = "") -> str:
    """The UPDATE that stores the list of ``row`` (and ``project``); the caller adds WHERE."""
    return f"UPDATE {section.table} SET {section.column} = {section.stored(row, project)}"


def _triggers(section: StoredSection) -> list[str]:
    """The triggers that rebuild a row's list when a row it is built from changes."""
    out = []
    for source in section.sources:
        for event, refs in (("INSERT", ("NEW",)), ("DELETE", ("OLD",)), ("UPDATE", ("OLD", "NEW"))):
            body = ""
            for ref in refs:
                row, project, where = section.keys(ref)
                body += f"{set_sql(section, row, project)} WHERE {where}; "
            out.append(
                f"CREATE TRIGGER {source}_{section.column}_{event.lower()}"
                f" AFTER {event} ON {source} BEGIN {body}END"
            )
    for entity, users in section.named:
        # a changed name or kind (no write path renames one today: kept exact should one come)
        out.append(
            f"CREATE TRIGGER {entity}_{section.column}_update AFTER UPDATE ON {entity} BEGIN"
            f" {set_sql(section, *section.own())} WHERE id IN ({users}); END"
        )
    if section.per_project:
        # history has no foreign key: it may be written before its queue entry
        # (most queue entries are written before any history: then nothing is to be built)
        row, project, where = section.keys("NEW")
        table = section.table
        found = " OR ".join(
            f"EXISTS (SELECT 1 FROM {source} WHERE data_row_id = {row} AND project_id = {project})"
            for source in section.sources
        )
        out.append(
            f"CREATE TRIGGER {table}_{section.column}_insert AFTER INSERT ON {table}"
            f" WHEN {found} BEGIN {set_sql(section, row, project)} WHERE {where}; END"
        )
    return out


def backfill_sql(section: StoredSection) -> str:
    """The statement that fills the column of every row holding the list."""
    row, project = section.own()
    if section.per_project:
        found = " OR ".join(
            f"EXISTS (SELECT 1 FROM {source} WHERE data_row_id = {row} AND project_id = {project})"
            for source in section.sources
        )
    else:
        found = " OR ".join(
            f"id IN (SELECT {section.source_key} FROM {source})" for source in section.sources
        )
    return f"{set_sql(section, row, project)} WHERE {found}"


def migration_sql(*names: str) -> str:
    """The migration that adds the sections ``names``: their stored columns, the triggers
    that keep them, and their backfill (migration 8 added the first five, 10 the labels)."""
    out: list[str] = []
    for section in SECTIONS:
        if section.name not in names:
            continue
        out.append(f"ALTER TABLE {section.table} ADD COLUMN {section.column} TEXT")
        out.extend(_triggers(section))
        out.append(backfill_sql(section))
    return ";\n".join(out) + ";\n"


def rebuild_sql(section: StoredSection) -> str:
    """``SELECT key..., stored, rebuilt`` of every row of ``section.table``: the stored text
    (``'[]'`` for NULL) beside the text built from scratch (to check that they agree)."""
    keys = "project_id, data_row_id" if section.per_project else "id"
    rebuilt = section.expression(*section.own())
    return (
        f"SELECT {keys}, COALESCE({section.column}, '[]'), {rebuilt}"
        f" FROM {section.table} ORDER BY {keys}"
    )


def rebuild_statements(sections: tuple[StoredSection, ...] = SECTIONS) -> list[str]:
    """The statements that rebuild every stored list from scratch (what the migration's
    backfill does, over every row): to repair a catalog, and for the tests to compare
    (``sections``: PostgreSQL's, ``_pg_schema.PG_SECTIONS``, on that backend)."""
    return [set_sql(section, *section.own()) for section in sections]
