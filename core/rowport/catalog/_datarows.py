"""Datasets, data rows, metadata, attachments and embeddings."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rowport._ids import new_id
from rowport._time import format_ts, now_ts, parse_ts
from rowport.catalog._base import (
    Activity,
    Actor,
    dumps,
    loads,
    optional_str,
    placeholders,
    require_str,
    select_in,
)
from rowport.catalog._db import Connection, Database
from rowport.errors import CatalogError, InvalidInput, NotFound
from rowport.media_types import MediaType, guess_media_type

__all__ = ["ATTACHMENT_TYPES", "METADATA_KINDS", "RowStore"]

ATTACHMENT_TYPES = (
    "IMAGE",
    "VIDEO",
    "RAW_TEXT",
    "TEXT_URL",
    "HTML",
    "PDF_URL",
    "IMAGE_OVERLAY",
    "CSV_URL",
)
METADATA_KINDS = ("string", "number", "datetime", "enum")
_ROW_KEYS = (
    "row_data",
    "global_key",
    "external_id",
    "media_type",
    "media_attributes",
    "metadata_fields",
    "attachments",
    "embeddings",
)
_ROW_COLUMNS = (
    "id, dataset_id, global_key, external_id, row_data, media_type, media_attributes,"
    " created_at, updated_at, last_activity_at, created_by"
)


def _row_dict(row: Sequence[Any]) -> dict[str, Any]:
    keys = [k.strip() for k in _ROW_COLUMNS.split(",")]
    out = dict(zip(keys, row, strict=True))
    out["media_attributes"] = loads(out["media_attributes"])
    return out


class RowStore:
    """Datasets, data rows and everything that hangs off a row: metadata schemas and values,
    attachments, embeddings and media attributes."""

    def __init__(self, db: Database, actor: Actor, activity: Activity) -> None:
        self.db = db
        self.actor = actor
        self.activity = activity

    # -- datasets ---------------------------------------------------------------------------

    def create_dataset(
        self,
        name: str,
        description: str | None = None,
        *,
        id: str | None = None,
        created_at: str | None = None,
    ) -> dict[str, Any]:
        """Create a dataset and return its record."""
        require_str(name, "dataset name")
        ts = created_at or now_ts()
        dataset_id = id or new_id()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO datasets (id, organization_id, name, description, created_at,"
                " updated_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    dataset_id,
                    self.actor.organization_id,
                    name,
                    description,
                    ts,
                    ts,
                    self.actor.user_email,
                ),
            )
        return self.get_dataset(dataset_id)

    def get_dataset(self, dataset_id: str) -> dict[str, Any]:
        """A dataset's record; :class:`NotFound` when there is none."""
        row = self.db.one(
            "SELECT id, name, description, created_at, updated_at, created_by,"
            " (SELECT COUNT(*) FROM data_rows WHERE dataset_id = datasets.id)"
            " FROM datasets WHERE id = ?",
            (dataset_id,),
            "dataset",
            dataset_id,
        )
        keys = ("id", "name", "description", "created_at", "updated_at", "created_by")
        return {**dict(zip(keys, row[:6], strict=True)), "row_count": row[6]}

    def list_datasets(self) -> list[dict[str, Any]]:
        """Every dataset, oldest first."""
        ids = [
            r[0] for r in self.db.conn.execute("SELECT id FROM datasets ORDER BY created_at, id")
        ]
        return [self.get_dataset(i) for i in ids]

    def dataset_row_counts(self) -> dict[str, int]:
        """How many data rows each dataset holds, by dataset id (one aggregate query; a
        dataset without rows is there with 0)."""
        return dict(
            self.db.conn.execute(
                "SELECT d.id, (SELECT COUNT(*) FROM data_rows WHERE dataset_id = d.id)"
                " FROM datasets d"
            )
        )

    # -- data rows --------------------------------------------------------------------------

    def create_data_rows(
        self, dataset_id: str, specs: Sequence[Mapping[str, Any] | str]
    ) -> list[dict[str, Any]]:
        """Validate and insert rows in one transaction; all or nothing. Returns the records."""
        self.get_dataset(dataset_id)
        if isinstance(specs, (str, bytes)) or not isinstance(specs, Sequence):
            raise InvalidInput("data rows must be a list of dicts (or row_data strings)")
        prepared = [self._prepare_row(spec, i) for i, spec in enumerate(specs)]
        keys = [p["global_key"] for p in prepared if p["global_key"] is not None]
        dupes = sorted(k for k, n in Counter(keys).items() if n > 1)
        if dupes:
            raise CatalogError(f"duplicate global keys in the request: {', '.join(dupes)}")
        ts = now_ts()
        epoch = parse_ts(ts).timestamp()
        with self.db.transaction() as conn:
            taken = self._taken_global_keys(conn, keys)
            if taken:
                raise CatalogError(f"global keys already in use: {', '.join(sorted(taken))}")
            for p in prepared:
                p["id"] = new_id()
                conn.execute(
                    "INSERT INTO data_rows (id, dataset_id, organization_id, global_key,"
                    " external_id, row_data, media_type, media_attributes, created_at, updated_at,"
                    " last_activity_at, last_activity_ts, created_by)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        p["id"],
                        dataset_id,
                        self.actor.organization_id,
                        p["global_key"],
                        p["external_id"],
                        p["row_data"],
                        p["media_type"],
                        dumps(p["media_attributes"]) if p["media_attributes"] else None,
                        ts,
                        ts,
                        ts,
                        epoch,
                        self.actor.user_email,
                    ),
                )
                if p["metadata_fields"]:
                    self._write_metadata(conn, p["id"], p["metadata_fields"], replace=True)
                if p["attachments"]:
                    self._write_attachments(conn, p["id"], p["attachments"])
                if p["embeddings"]:
                    self._write_vectors(conn, p["id"], p["embeddings"])
        return self.get_data_rows([p["id"] for p in prepared])

    def _prepare_row(self, spec: Mapping[str, Any] | str, index: int) -> dict[str, Any]:
        where = f"data row {index}"
        if isinstance(spec, str):
            spec = {"row_data": spec}
        if not isinstance(spec, Mapping):
            raise InvalidInput(f"{where}: must be a dict, got {type(spec).__name__}")
        unknown = sorted(set(spec) - set(_ROW_KEYS))
        if unknown:
            raise InvalidInput(
                f"{where}: unknown keys {', '.join(unknown)}; allowed: {', '.join(_ROW_KEYS)}"
            )
        row_data = spec.get("row_data")
        if isinstance(row_data, (dict, list)):
            row_data = dumps(row_data)
        row_data = require_str(row_data, f"{where}: row_data")
        attrs = spec.get("media_attributes")
        if attrs is not None and not isinstance(attrs, Mapping):
            raise InvalidInput(f"{where}: media_attributes must be a dict")
        if spec.get("media_type") is not None:
            media = MediaType.parse(spec["media_type"])
        else:
            guessed = guess_media_type(row_data, dict(attrs) if attrs else None)
            if guessed is None:
                raise InvalidInput(
                    f"{where}: cannot tell the media type of {row_data[:80]!r}; pass media_type"
                    f" (one of {', '.join(m.value for m in MediaType)})"
                )
            media = guessed
        return {
            "row_data": row_data,
            "global_key": optional_str(spec.get("global_key"), f"{where}: global_key"),
            "external_id": optional_str(spec.get("external_id"), f"{where}: external_id"),
            "media_type": media.value,
            "media_attributes": dict(attrs) if attrs else None,
            "metadata_fields": self._check_metadata(spec.get("metadata_fields") or [], where),
            "attachments": self.check_attachments(spec.get("attachments") or [], where),
            "embeddings": self._check_vectors(spec.get("embeddings") or [], where),
        }

    def _taken_global_keys(self, conn: Connection, keys: Sequence[str]) -> set[str]:
        sql = "SELECT global_key FROM data_rows WHERE organization_id = ? AND global_key IN ({})"
        return {r[0] for r in select_in(conn, sql, keys, self.actor.organization_id)}

    def get_data_rows(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Records of the given rows, in the order asked; :class:`NotFound` for a missing one."""
        sql = f"SELECT {_ROW_COLUMNS} FROM data_rows WHERE id IN ({{}})"
        found = {row[0]: _row_dict(row) for row in select_in(self.db.conn, sql, ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound("data row", missing[0])
        return [found[i] for i in ids]

    def get_data_row(self, data_row_id: str) -> dict[str, Any]:
        """One data row's record."""
        return self.get_data_rows([data_row_id])[0]

    def get_data_row_by_global_key(self, global_key: str) -> dict[str, Any]:
        """The data row holding ``global_key`` in this organization."""
        row = self.db.conn.execute(
            "SELECT id FROM data_rows WHERE organization_id = ? AND global_key = ?",
            (self.actor.organization_id, global_key),
        ).fetchone()
        if row is None:
            raise NotFound("data row with global key", global_key)
        return self.get_data_row(row[0])

    def resolve_global_keys(self, keys: Sequence[str]) -> dict[str, str]:
        """Map the global keys that exist to their data row ids."""
        sql = (
            "SELECT global_key, id FROM data_rows WHERE organization_id = ? AND global_key IN ({})"
        )
        return dict(select_in(self.db.conn, sql, keys, self.actor.organization_id))

    def list_data_rows(self, dataset_id: str) -> list[dict[str, Any]]:
        """The rows of a dataset in insertion order."""
        return [
            _row_dict(r)
            for r in self.db.conn.execute(
                f"SELECT {_ROW_COLUMNS} FROM data_rows WHERE dataset_id = ? ORDER BY rid",
                (dataset_id,),
            )
        ]

    def update_data_row(self, data_row_id: str, **changes: Any) -> dict[str, Any]:
        """Change row_data, external_id, global_key or media_attributes; bumps last activity."""
        self.get_data_row(data_row_id)
        allowed = ("row_data", "external_id", "global_key", "media_attributes")
        unknown = sorted(set(changes) - set(allowed))
        if unknown:
            raise InvalidInput(f"cannot update {', '.join(unknown)}; allowed: {', '.join(allowed)}")
        ts = now_ts()
        with self.db.transaction() as conn:
            for key, value in changes.items():
                if key == "media_attributes":
                    if value is not None and not isinstance(value, Mapping):
                        raise InvalidInput("media_attributes must be a dict or None")
                    conn.execute(
                        "UPDATE data_rows SET media_attributes = ? WHERE id = ?",
                        (dumps(dict(value)) if value else None, data_row_id),
                    )
                    continue
                if key == "row_data":
                    require_str(value, "row_data")
                else:
                    optional_str(value, key)
                if key == "global_key" and value is not None:
                    other = self._taken_global_keys(conn, [value])
                    if other and self.get_data_row_by_global_key(value)["id"] != data_row_id:
                        raise CatalogError(f"global key already in use: {value}")
                conn.execute(
                    f"UPDATE data_rows SET {key} = ?, updated_at = ? WHERE id = ?",
                    (value, ts, data_row_id),
                )
            self.activity.touch(conn, [data_row_id], ts)
        return self.get_data_row(data_row_id)

    def set_media_attributes(self, values: Mapping[str, Mapping[str, Any]]) -> None:
        """Cache computed media attributes for many rows (not an activity event)."""
        with self.db.transaction() as conn:
            conn.executemany(
                "UPDATE data_rows SET media_attributes = ? WHERE id = ?",
                [(dumps(dict(v)), k) for k, v in values.items()],
            )

    # -- metadata ---------------------------------------------------------------------------

    def create_metadata_schema(
        self,
        name: str,
        kind: str,
        options: Sequence[str] = (),
        *,
        id: str | None = None,
        option_ids: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Create a metadata field; an ``enum`` field takes its ``options`` (names)."""
        require_str(name, "metadata schema name")
        if kind not in METADATA_KINDS:
            raise InvalidInput(
                f"unknown metadata kind {kind!r}; allowed: {', '.join(METADATA_KINDS)}"
            )
        if kind == "enum" and not options:
            raise InvalidInput(f"enum metadata field {name!r} needs at least one option")
        if kind != "enum" and options:
            raise InvalidInput(f"only enum metadata fields take options, not {kind!r}")
        ts = now_ts()
        schema_id = id or new_id()
        with self.db.transaction() as conn:
            if conn.execute(
                "SELECT 1 FROM metadata_schemas WHERE organization_id = ? AND parent_id IS NULL"
                " AND name = ?",
                (self.actor.organization_id, name),
            ).fetchone():
                raise CatalogError(f"a metadata field named {name!r} already exists")
            conn.execute(
                "INSERT INTO metadata_schemas (id, organization_id, name, kind, parent_id,"
                " created_at) VALUES (?, ?, ?, ?, NULL, ?)",
                (schema_id, self.actor.organization_id, name, kind, ts),
            )
            for i, option in enumerate(options):
                require_str(option, f"option of metadata field {name!r}")
                conn.execute(
                    "INSERT INTO metadata_schemas (id, organization_id, name, kind, parent_id,"
                    " created_at) VALUES (?, ?, ?, 'option', ?, ?)",
                    (
                        option_ids[i] if option_ids else new_id(),
                        self.actor.organization_id,
                        option,
                        schema_id,
                        ts,
                    ),
                )
        return self.get_metadata_schema(schema_id)

    def get_metadata_schema(self, schema_id_or_name: str) -> dict[str, Any]:
        """A metadata field by id or name, with its options."""
        row = self.db.conn.execute(
            "SELECT id, name, kind FROM metadata_schemas WHERE organization_id = ?"
            " AND parent_id IS NULL AND (id = ? OR name = ?)",
            (self.actor.organization_id, schema_id_or_name, schema_id_or_name),
        ).fetchone()
        if row is None:
            raise NotFound("metadata schema", schema_id_or_name)
        options = [
            {"id": r[0], "name": r[1]}
            for r in self.db.conn.execute(
                "SELECT id, name FROM metadata_schemas WHERE parent_id = ? ORDER BY rowid",
                (row[0],),
            )
        ]
        return {"id": row[0], "name": row[1], "kind": row[2], "options": options}

    def list_metadata_schemas(self) -> list[dict[str, Any]]:
        """Every metadata field of the organization."""
        ids = [
            r[0]
            for r in self.db.conn.execute(
                "SELECT id FROM metadata_schemas WHERE organization_id = ? AND parent_id IS NULL"
                " ORDER BY rowid",
                (self.actor.organization_id,),
            )
        ]
        return [self.get_metadata_schema(i) for i in ids]

    def _check_metadata(self, fields: Any, where: str) -> list[tuple[str, Any]]:
        if not isinstance(fields, Sequence) or isinstance(fields, str):
            raise InvalidInput(f"{where}: metadata_fields must be a list")
        out: list[tuple[str, Any]] = []
        for j, field in enumerate(fields):
            at = f"{where}: metadata_fields[{j}]"
            if not isinstance(field, Mapping):
                raise InvalidInput(f"{at} must be a dict with schema_id (or name) and value")
            key = field.get("schema_id") or field.get("name") or field.get("schema_name")
            if not isinstance(key, str):
                raise InvalidInput(f"{at} needs a schema_id or name")
            try:
                schema = self.get_metadata_schema(key)
            except NotFound:
                raise InvalidInput(f"{at}: unknown metadata field {key!r}") from None
            out.append((schema["id"], self._metadata_value(schema, field.get("value"), at)))
        return out

    @staticmethod
    def _metadata_value(schema: Mapping[str, Any], value: Any, at: str) -> Any:
        kind, name = schema["kind"], schema["name"]
        if kind == "string":
            if not isinstance(value, str):
                raise InvalidInput(f"{at}: field {name!r} is a string field, got {value!r}")
            return value
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidInput(f"{at}: field {name!r} is a number field, got {value!r}")
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidInput(f"{at}: field {name!r} must be a finite number")
            return value
        if kind == "datetime":
            if isinstance(value, datetime):
                return format_ts(value)
            if isinstance(value, str):
                try:
                    parse_ts(value)
                except ValueError:
                    raise InvalidInput(
                        f"{at}: field {name!r} is a datetime field; {value!r} is not ISO 8601"
                    ) from None
                return value
            raise InvalidInput(f"{at}: field {name!r} is a datetime field, got {value!r}")
        option_key = (
            value.get("schema_id") or value.get("schema_name")
            if isinstance(value, Mapping)
            else value
        )
        for option in schema["options"]:
            if option_key in (option["id"], option["name"]):
                return option["id"]
        allowed = ", ".join(o["name"] for o in schema["options"])
        raise InvalidInput(f"{at}: {value!r} is not an option of enum field {name!r}: {allowed}")

    def _write_metadata(
        self,
        conn: Connection,
        data_row_id: str,
        fields: Sequence[tuple[str, Any]],
        *,
        replace: bool,
    ) -> None:
        if replace:
            conn.execute("DELETE FROM metadata_values WHERE data_row_id = ?", (data_row_id,))
        start = conn.execute(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM metadata_values WHERE data_row_id = ?",
            (data_row_id,),
        ).fetchone()[0]
        conn.executemany(
            "INSERT INTO metadata_values (data_row_id, schema_id, position, value)"
            " VALUES (?, ?, ?, ?)",
            [(data_row_id, sid, start + i, dumps(v)) for i, (sid, v) in enumerate(fields)],
        )

    def set_metadata(
        self, data_row_id: str, fields: Sequence[Mapping[str, Any]], *, replace: bool = False
    ) -> None:
        """Add (or with ``replace`` set) metadata values of a row; bumps last activity."""
        self.get_data_row(data_row_id)
        checked = self._check_metadata(fields, f"data row {data_row_id}")
        with self.db.transaction() as conn:
            if not replace:
                for sid, _ in checked:
                    conn.execute(
                        "DELETE FROM metadata_values WHERE data_row_id = ? AND schema_id = ?",
                        (data_row_id, sid),
                    )
            self._write_metadata(conn, data_row_id, checked, replace=replace)
            self.activity.touch(conn, [data_row_id])

    # -- attachments ------------------------------------------------------------------------

    @staticmethod
    def check_attachments(items: Any, where: str) -> list[dict[str, Any]]:
        if not isinstance(items, Sequence) or isinstance(items, str):
            raise InvalidInput(f"{where}: attachments must be a list")
        out = []
        for j, item in enumerate(items):
            at = f"{where}: attachments[{j}]"
            if not isinstance(item, Mapping):
                raise InvalidInput(f"{at} must be a dict with type and value")
            kind = item.get("type")
            if kind not in ATTACHMENT_TYPES:
                raise InvalidInput(
                    f"{at}: unknown attachment type {kind!r};"
                    f" allowed: {', '.join(ATTACHMENT_TYPES)}"
                )
            value = require_str(item.get("value"), f"{at}.value")
            out.append(
                {
                    "id": optional_str(item.get("id"), f"{at}.id") or new_id(),
                    "type": kind,
                    "value": value,
                    "name": optional_str(item.get("name"), f"{at}.name"),
                }
            )
        return out

    def _write_attachments(
        self, conn: Connection, data_row_id: str, items: Sequence[Mapping[str, Any]]
    ) -> None:
        start = conn.execute(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM attachments WHERE data_row_id = ?",
            (data_row_id,),
        ).fetchone()[0]
        conn.executemany(
            "INSERT INTO attachments (id, data_row_id, position, type, value, name)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (a["id"], data_row_id, start + i, a["type"], a["value"], a["name"])
                for i, a in enumerate(items)
            ],
        )

    def add_attachments(self, data_row_id: str, items: Sequence[Mapping[str, Any]]) -> None:
        """Attach files or text to a row; bumps last activity."""
        self.get_data_row(data_row_id)
        checked = self.check_attachments(items, f"data row {data_row_id}")
        with self.db.transaction() as conn:
            self._write_attachments(conn, data_row_id, checked)
            self.activity.touch(conn, [data_row_id])

    # -- embeddings -------------------------------------------------------------------------

    def create_embedding(
        self, name: str, dimensions: int, *, is_custom: bool = True, id: str | None = None
    ) -> dict[str, Any]:
        """Create an embedding definition (name and vector length)."""
        require_str(name, "embedding name")
        if isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions < 1:
            raise InvalidInput(f"embedding dimensions must be a positive int, got {dimensions!r}")
        emb_id = id or new_id()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO embeddings (id, organization_id, name, dimensions, is_custom,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (emb_id, self.actor.organization_id, name, dimensions, int(is_custom), now_ts()),
            )
        return self.get_embedding(emb_id)

    def get_embedding(self, id_or_name: str) -> dict[str, Any]:
        """An embedding definition by id or name."""
        row = self.db.one(
            "SELECT id, name, dimensions, is_custom FROM embeddings"
            " WHERE organization_id = ? AND (id = ? OR name = ?)",
            (self.actor.organization_id, id_or_name, id_or_name),
            "embedding",
            id_or_name,
        )
        return {"id": row[0], "name": row[1], "dimensions": row[2], "is_custom": bool(row[3])}

    def _check_vectors(self, items: Any, where: str) -> list[tuple[str, list[float]]]:
        if not isinstance(items, Sequence) or isinstance(items, str):
            raise InvalidInput(f"{where}: embeddings must be a list")
        out = []
        for j, item in enumerate(items):
            at = f"{where}: embeddings[{j}]"
            if not isinstance(item, Mapping):
                raise InvalidInput(f"{at} must be a dict with embedding_id and vector")
            key = item.get("embedding_id") or item.get("name")
            try:
                emb = self.get_embedding(require_str(key, f"{at}.embedding_id"))
            except NotFound:
                raise InvalidInput(f"{at}: unknown embedding {key!r}") from None
            vector = item.get("vector")
            if not isinstance(vector, Sequence) or isinstance(vector, str):
                raise InvalidInput(f"{at}.vector must be a list of numbers")
            if len(vector) != emb["dimensions"]:
                raise InvalidInput(
                    f"{at}.vector has {len(vector)} values; embedding {emb['name']!r}"
                    f" has {emb['dimensions']} dimensions"
                )
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vector):
                raise InvalidInput(f"{at}.vector must hold only numbers")
            out.append((emb["id"], [float(v) for v in vector]))
        return out

    def _write_vectors(
        self, conn: Connection, data_row_id: str, items: Sequence[tuple[str, list[float]]]
    ) -> None:
        for emb_id, vector in items:
            pos = conn.execute(
                "SELECT COALESCE(MAX(position) + 1, 0) FROM embedding_vectors"
                " WHERE data_row_id = ? AND embedding_id = ?",
                (data_row_id, emb_id),
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO embedding_vectors (embedding_id, data_row_id, position, vector)"
                " VALUES (?, ?, ?, ?)",
                (emb_id, data_row_id, pos, dumps(vector)),
            )

    def add_embeddings(self, data_row_id: str, items: Sequence[Mapping[str, Any]]) -> None:
        """Store embedding vectors of a row; bumps last activity."""
        self.get_data_row(data_row_id)
        checked = self._check_vectors(items, f"data row {data_row_id}")
        with self.db.transaction() as conn:
            self._write_vectors(conn, data_row_id, checked)
            self.activity.touch(conn, [data_row_id])

    # -- reads of one row's lists (DataRow.attachments() ...) ---------------------------------

    def read_attachments(self, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """``(data_row_id, id, type, value, name)`` in position order."""
        return self.db.conn.execute(
            "SELECT data_row_id, id, type, value, name FROM attachments"
            f" WHERE data_row_id IN ({placeholders(len(ids))}) ORDER BY data_row_id, position",
            tuple(ids),
        ).fetchall()

    def read_metadata(self, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """``(data_row_id, schema_id, schema_name, kind, value_json, option_name)``."""
        return self.db.conn.execute(
            "SELECT v.data_row_id, v.schema_id, s.name, s.kind, v.value, o.name"
            " FROM metadata_values v JOIN metadata_schemas s ON s.id = v.schema_id"
            " LEFT JOIN metadata_schemas o ON s.kind = 'enum' AND o.id = json_extract(v.value, '$')"
            f" WHERE v.data_row_id IN ({placeholders(len(ids))})"
            " ORDER BY v.data_row_id, v.position",
            tuple(ids),
        ).fetchall()

    def read_embeddings(self, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """``(data_row_id, embedding_id, name, dimensions, is_custom, vector_json)``."""
        return self.db.conn.execute(
            "SELECT v.data_row_id, e.id, e.name, e.dimensions, e.is_custom, v.vector"
            " FROM embedding_vectors v JOIN embeddings e ON e.id = v.embedding_id"
            f" WHERE v.data_row_id IN ({placeholders(len(ids))})"
            " ORDER BY v.data_row_id, e.id, v.position",
            tuple(ids),
        ).fetchall()
