"""Loading rows in the export format, keeping their ids (``export(import(x)) == x``).

Rows stream through in batches of ``batch_size``: one transaction per batch and a savepoint per
row, so a bad line is reported with its number and reason while the others load. ``strict``
runs the whole import in one transaction and keeps nothing unless every line is valid. Every
insert is keyed by the ids in the file, so loading a file twice changes nothing the second time.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import orjson

from rowport._ids import new_id
from rowport._time import now_ts, parse_ts
from rowport.catalog._base import dumps
from rowport.catalog._models import SPLITS, ModelsMixin
from rowport.catalog._ontology import OntologyIndex
from rowport.catalog._projects import WORKFLOW_TASK_NAMES, workflow_status, workflow_task_id
from rowport.errors import IngestError, InvalidInput
from rowport.media_types import MediaType, guess_media_type

__all__ = ["IngestMixin", "IngestReport"]

_ROW_KEYS = (
    "data_row",
    "media_attributes",
    "attachments",
    "metadata_fields",
    "embeddings",
    "projects",
    "experiments",
)
_MAX_KEPT_ERRORS = 1000
IMPORT_DATASET_NAME = "Imported rows"


@attrs.define
class IngestReport:
    """What an import did: rows loaded, rows already present, and the lines it refused."""

    lines: int = 0
    loaded: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[IngestError] = attrs.field(factory=list)
    strict: bool = False
    committed: bool = True

    @property
    def ok(self) -> bool:
        """True when every line loaded (or was already there)."""
        return self.failed == 0

    def summary(self) -> str:
        """One line for people."""
        text = (
            f"{self.lines} lines: {self.loaded} rows loaded, {self.unchanged} already present,"
            f" {self.failed} failed"
        )
        if self.strict and not self.committed:
            text += " (strict: nothing was loaded)"
        return text


def iter_ndjson(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line_number, parsed_or_exception)`` for each non-blank line of an NDJSON file.

    A file holding one pretty-printed JSON object (like the reference samples) is read whole.
    """
    with path.open("rb") as f:
        first = f.read(1)
        while first in (b" ", b"\n", b"\r", b"\t"):
            first = f.read(1)
        f.seek(0)
        head = f.readline()
        if first == b"{" and head.strip() == b"{":
            # a pretty-printed single object
            try:
                yield 1, orjson.loads(head + f.read())
            except orjson.JSONDecodeError as exc:
                yield 1, IngestError(1, f"not valid JSON: {exc}")
            return
        f.seek(0)
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                yield number, orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                yield number, IngestError(number, f"not valid JSON: {exc}")


def _opt_str(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{where}.{key} must be a non-empty string, got {value!r}")
    return value


def _req_str(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = _opt_str(obj, key, where)
    if value is None:
        raise InvalidInput(f"{where}.{key} is required")
    return value


def _dict(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{where} must be an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput(f"{where} must be a list")
    return value


def _ts(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{where} must be a timestamp string")
    try:
        parse_ts(value)
    except ValueError:
        raise InvalidInput(f"{where}: {value!r} is not an ISO 8601 timestamp") from None
    return value


class IngestMixin(ModelsMixin):
    """``import_rows``: load export-format rows with their ids."""

    def import_rows(
        self,
        rows: Iterable[Any],
        *,
        strict: bool = False,
        batch_size: int = 1000,
        first_line: int = 1,
    ) -> IngestReport:
        """Load rows (dicts, JSON strings/bytes, or ``(line, row)`` pairs); see the module doc."""
        report = IngestReport(strict=strict)
        state = _State()

        def numbered() -> Iterator[tuple[int, Any]]:
            for i, item in enumerate(rows):
                if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], int):
                    yield item
                else:
                    yield first_line + i, item

        conn = self.conn
        with self.db._write_lock:
            if strict:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for number, item in numbered():
                        self._ingest_line(conn, number, item, report, state)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                if report.failed:
                    conn.execute("ROLLBACK")
                    report.committed = False
                    report.loaded = 0
                    report.unchanged = 0
                else:
                    conn.execute("COMMIT")
                return report
            pending = 0
            conn.execute("BEGIN IMMEDIATE")
            try:
                for number, item in numbered():
                    self._ingest_line(conn, number, item, report, state)
                    pending += 1
                    if pending >= batch_size:
                        conn.execute("COMMIT")
                        conn.execute("BEGIN IMMEDIATE")
                        pending = 0
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        return report

    def import_file(
        self, path: Path, *, strict: bool = False, batch_size: int = 1000
    ) -> IngestReport:
        """Load an NDJSON file (or one pretty-printed JSON row) in constant memory."""
        return self.import_rows(iter_ndjson(path), strict=strict, batch_size=batch_size)

    def _ingest_line(
        self,
        conn: sqlite3.Connection,
        number: int,
        item: Any,
        report: IngestReport,
        state: _State,
    ) -> None:
        report.lines += 1
        conn.execute("SAVEPOINT ingest_row")
        try:
            if isinstance(item, IngestError):
                raise item
            if isinstance(item, (str, bytes)):
                try:
                    item = orjson.loads(item)
                except orjson.JSONDecodeError as exc:
                    raise IngestError(number, f"not valid JSON: {exc}") from None
            try:
                created = self._ingest_row(conn, item, state)
            except (InvalidInput, sqlite3.IntegrityError) as exc:
                if isinstance(exc, IngestError):
                    raise
                raise IngestError(number, str(exc)) from None
        except IngestError as exc:
            conn.execute("ROLLBACK TO ingest_row")
            conn.execute("RELEASE ingest_row")
            state.reset()
            report.failed += 1
            if len(report.errors) < _MAX_KEPT_ERRORS:
                report.errors.append(exc)
            return
        conn.execute("RELEASE ingest_row")
        if created:
            report.loaded += 1
        else:
            report.unchanged += 1

    # -- one row ----------------------------------------------------------------------------

    def _ingest_row(self, conn: sqlite3.Connection, row: Any, state: _State) -> bool:
        row = _dict(row, "the row")
        unknown = sorted(set(row) - set(_ROW_KEYS))
        if unknown:
            raise InvalidInput(
                f"unknown top-level keys {', '.join(unknown)}; allowed: {', '.join(_ROW_KEYS)}"
            )
        dr = _dict(row.get("data_row"), "data_row")
        row_id = _req_str(dr, "id", "data_row")
        row_data = dr.get("row_data")
        if isinstance(row_data, (dict, list)):
            row_data = dumps(row_data)
        if not isinstance(row_data, str) or not row_data:
            raise InvalidInput("data_row.row_data is required and must be a string")
        attrs_ = row.get("media_attributes")
        if attrs_ is not None:
            attrs_ = dict(_dict(attrs_, "media_attributes"))
        details = _dict(dr.get("details") or {}, "data_row.details")
        projects = _dict(row.get("projects") or {}, "projects")
        experiments = _dict(row.get("experiments") or {}, "experiments")
        media = self._ingest_media_type(conn, row_data, attrs_, projects, experiments)

        existing = conn.execute(
            "SELECT media_type FROM data_rows WHERE id = ?", (row_id,)
        ).fetchone()
        created = existing is None
        if created:
            global_key = _opt_str(dr, "global_key", "data_row")
            if global_key is not None:
                other = conn.execute(
                    "SELECT id FROM data_rows WHERE organization_id = ? AND global_key = ?",
                    (self.organization_id, global_key),
                ).fetchone()
                if other is not None:
                    raise InvalidInput(
                        f"data_row.global_key {global_key!r} is already used by data row {other[0]}"
                    )
            dataset_id = self._ingest_dataset(conn, details, state)
            ts = now_ts()
            created_at = _ts(details.get("created_at"), "details.created_at") or ts
            activity = (
                _ts(details.get("last_activity_at"), "details.last_activity_at") or created_at
            )
            conn.execute(
                "INSERT INTO data_rows (id, dataset_id, organization_id, global_key, external_id,"
                " row_data, media_type, media_attributes, created_at, updated_at,"
                " last_activity_at, last_activity_ts, created_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row_id,
                    dataset_id,
                    self.organization_id,
                    _opt_str(dr, "global_key", "data_row"),
                    _opt_str(dr, "external_id", "data_row"),
                    row_data,
                    media,
                    dumps(attrs_) if attrs_ is not None else None,
                    created_at,
                    _ts(details.get("updated_at"), "details.updated_at") or created_at,
                    activity,
                    parse_ts(activity).timestamp(),
                    _opt_str(details, "created_by", "details") or self.user_email,
                ),
            )
        else:
            media = existing[0]
        self._ingest_attachments(conn, row_id, row.get("attachments"))
        self._ingest_metadata(conn, row_id, row.get("metadata_fields"), state)
        self._ingest_embeddings(conn, row_id, row.get("embeddings"), state)
        for project_id, section in projects.items():
            created |= self._ingest_project(conn, row_id, media, project_id, section, state)
        for model_id, section in experiments.items():
            created |= self._ingest_experiment(conn, row_id, model_id, section, state)
        return created

    def _ingest_media_type(
        self,
        conn: sqlite3.Connection,
        row_data: str,
        attrs_: dict[str, Any] | None,
        projects: Mapping[str, Any],
        experiments: Mapping[str, Any],
    ) -> str:
        guessed = guess_media_type(row_data, attrs_)
        if guessed is not None:
            return guessed.value
        for project_id in projects:
            found = conn.execute(
                "SELECT media_type FROM projects WHERE id = ?", (project_id,)
            ).fetchone()
            if found:
                return str(found[0])
        for section in (*projects.values(), *experiments.values()):
            if isinstance(section, Mapping) and "Video" in orjson.dumps(section).decode():
                return MediaType.VIDEO.value
        raise InvalidInput(
            "cannot tell the media type: media_attributes has no asset_type or mime_type and"
            " row_data has no known file extension"
        )

    def _ingest_dataset(
        self, conn: sqlite3.Connection, details: Mapping[str, Any], state: _State
    ) -> str:
        dataset_id = _opt_str(details, "dataset_id", "details")
        name = _opt_str(details, "dataset_name", "details")
        if dataset_id is None:
            if state.default_dataset is None:
                found = conn.execute(
                    "SELECT id FROM datasets WHERE organization_id = ? AND name = ?"
                    " ORDER BY id LIMIT 1",
                    (self.organization_id, IMPORT_DATASET_NAME),
                ).fetchone()
                state.default_dataset = found[0] if found else new_id()
                if not found:
                    ts = now_ts()
                    conn.execute(
                        "INSERT INTO datasets (id, organization_id, name, created_at, updated_at,"
                        " created_by) VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            state.default_dataset,
                            self.organization_id,
                            IMPORT_DATASET_NAME,
                            ts,
                            ts,
                            self.user_email,
                        ),
                    )
            return state.default_dataset
        if dataset_id not in state.datasets:
            ts = now_ts()
            conn.execute(
                "INSERT OR IGNORE INTO datasets (id, organization_id, name, created_at,"
                " updated_at, created_by) VALUES (?, ?, ?, ?, ?, ?)",
                (dataset_id, self.organization_id, name or dataset_id, ts, ts, self.user_email),
            )
            state.datasets.add(dataset_id)
        return dataset_id

    def _ingest_attachments(self, conn: sqlite3.Connection, row_id: str, items: Any) -> None:
        if items is None:
            return
        for i, item in enumerate(_list(items, "attachments")):
            at = f"attachments[{i}]"
            item = _dict(item, at)
            self._check_attachments([item], at)
            conn.execute(
                "INSERT OR IGNORE INTO attachments (id, data_row_id, position, type, value, name)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    _opt_str(item, "id", at) or new_id(),
                    row_id,
                    i,
                    item["type"],
                    item["value"],
                    item.get("name"),
                ),
            )

    def _ingest_metadata(
        self, conn: sqlite3.Connection, row_id: str, items: Any, state: _State
    ) -> None:
        if items is None:
            return
        for i, item in enumerate(_list(items, "metadata_fields")):
            at = f"metadata_fields[{i}]"
            item = _dict(item, at)
            schema_id = _req_str(item, "schema_id", at)
            name = _opt_str(item, "schema_name", at) or schema_id
            value = item.get("value")
            if isinstance(value, Mapping):
                kind = "enum"
            elif isinstance(value, bool) or value is None:
                raise InvalidInput(f"{at}.value must be a string, number or enum option")
            elif isinstance(value, (int, float)):
                if isinstance(value, float) and not math.isfinite(value):
                    raise InvalidInput(f"{at}.value must be finite")
                kind = "number"
            elif isinstance(value, str):
                kind = "datetime" if _looks_like_ts(value) else "string"
            else:
                raise InvalidInput(f"{at}.value must be a string, number or enum option")
            if schema_id not in state.schemas:
                found = conn.execute(
                    "SELECT kind FROM metadata_schemas WHERE id = ?", (schema_id,)
                ).fetchone()
                if found is None:
                    conn.execute(
                        "INSERT INTO metadata_schemas (id, organization_id, name, kind, parent_id,"
                        " created_at) VALUES (?, ?, ?, ?, NULL, ?)",
                        (schema_id, self.organization_id, name, kind, now_ts()),
                    )
                state.schemas[schema_id] = found[0] if found else kind
            stored_kind = state.schemas[schema_id]
            if stored_kind == "datetime" and kind == "string":
                kind = "datetime"
            if stored_kind != kind and not (stored_kind == "string" and kind == "datetime"):
                raise InvalidInput(
                    f"{at}: field {name!r} holds {stored_kind} values, got {value!r}"
                )
            if kind == "enum":
                assert isinstance(value, Mapping)
                option_id = _req_str(value, "schema_id", f"{at}.value")
                conn.execute(
                    "INSERT OR IGNORE INTO metadata_schemas (id, organization_id, name, kind,"
                    " parent_id, created_at) VALUES (?, ?, ?, 'option', ?, ?)",
                    (
                        option_id,
                        self.organization_id,
                        _opt_str(value, "schema_name", f"{at}.value") or option_id,
                        schema_id,
                        now_ts(),
                    ),
                )
                value = option_id
            conn.execute(
                "INSERT OR IGNORE INTO metadata_values (data_row_id, schema_id, position, value)"
                " VALUES (?, ?, ?, ?)",
                (row_id, schema_id, i, dumps(value)),
            )

    def _ingest_embeddings(
        self, conn: sqlite3.Connection, row_id: str, items: Any, state: _State
    ) -> None:
        if items is None:
            return
        for i, item in enumerate(_list(items, "embeddings")):
            at = f"embeddings[{i}]"
            item = _dict(item, at)
            emb_id = _req_str(item, "id", at)
            vectors = _list(item.get("values") or [], f"{at}.values")
            dims = item.get("dimensions")
            if isinstance(dims, bool) or not isinstance(dims, int) or dims < 1:
                raise InvalidInput(f"{at}.dimensions must be a positive integer")
            if emb_id not in state.embeddings:
                conn.execute(
                    "INSERT OR IGNORE INTO embeddings (id, organization_id, name, dimensions,"
                    " is_custom, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        emb_id,
                        self.organization_id,
                        _opt_str(item, "name", at) or emb_id,
                        dims,
                        int(bool(item.get("is_custom", True))),
                        now_ts(),
                    ),
                )
                state.embeddings.add(emb_id)
            for j, vec in enumerate(vectors):
                vec = _dict(vec, f"{at}.values[{j}]").get("value")
                if not isinstance(vec, list) or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) for v in vec
                ):
                    raise InvalidInput(f"{at}.values[{j}].value must be a list of numbers")
                if len(vec) != dims:
                    raise InvalidInput(
                        f"{at}.values[{j}].value has {len(vec)} numbers, dimensions is {dims}"
                    )
                conn.execute(
                    "INSERT OR IGNORE INTO embedding_vectors (embedding_id, data_row_id, position,"
                    " vector) VALUES (?, ?, ?, ?)",
                    (emb_id, row_id, j, dumps(vec)),
                )

    def _ingest_project(
        self,
        conn: sqlite3.Connection,
        row_id: str,
        media: str,
        project_id: str,
        section: Any,
        state: _State,
    ) -> bool:
        at = f"projects.{project_id}"
        section = _dict(section, at)
        details = _dict(section.get("project_details") or {}, f"{at}.project_details")
        project = state.projects.get(project_id)
        if project is None:
            found = conn.execute(
                "SELECT ontology_id, media_type FROM projects WHERE id = ?", (project_id,)
            ).fetchone()
            if found is None:
                ontology_id = _opt_str(details, "ontology_id", at) or new_id()
                name = _opt_str(section, "name", at) or project_id
                ts = now_ts()
                conn.execute(
                    "INSERT OR IGNORE INTO ontologies (id, organization_id, name, media_type,"
                    " created_at) VALUES (?, ?, ?, ?, ?)",
                    (ontology_id, self.organization_id, f"{name} ontology", media, ts),
                )
                conn.execute(
                    "INSERT INTO projects (id, organization_id, name, media_type, ontology_id,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (project_id, self.organization_id, name, media, ontology_id, ts, ts),
                )
                found = (ontology_id, media)
            ontology_id = found[0] or new_id()
            project = _ProjectState(
                ontology_id=ontology_id, media_type=found[1], index=self.ontology_index(ontology_id)
            )
            state.projects[project_id] = project
        tags = section.get("project_tags")
        if tags:
            for i, tag in enumerate(_list(tags, f"{at}.project_tags")):
                tag = _dict(tag, f"{at}.project_tags[{i}]")
                text = tag.get("text") or tag.get("name")
                if not isinstance(text, str):
                    raise InvalidInput(f"{at}.project_tags[{i}].text must be a string")
                conn.execute(
                    "INSERT OR IGNORE INTO project_tags (id, project_id, position, text, color)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (_opt_str(tag, "id", at) or new_id(), project_id, i, text, tag.get("color")),
                )
        created = self._ingest_queue(conn, row_id, project_id, details, section, at)
        labels = _list(section.get("labels") or [], f"{at}.labels")
        for i, label in enumerate(labels):
            created |= self._ingest_label(
                conn,
                row_id,
                project_id,
                project,
                _dict(label, f"{at}.labels[{i}]"),
                f"{at}.labels[{i}]",
            )
        self.save_created_features(conn, project.index)
        return created

    def _ingest_queue(
        self,
        conn: sqlite3.Connection,
        row_id: str,
        project_id: str,
        details: Mapping[str, Any],
        section: Mapping[str, Any],
        at: str,
    ) -> bool:
        if conn.execute(
            "SELECT 1 FROM project_data_rows WHERE project_id = ? AND data_row_id = ?",
            (project_id, row_id),
        ).fetchone():
            return False
        batch_id = _opt_str(details, "batch_id", at)
        priority = details.get("priority", 5)
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise InvalidInput(f"{at}.project_details.priority must be an integer")
        ts = now_ts()
        if batch_id is None:
            batch_name = "imported"
            found = conn.execute(
                "SELECT id FROM batches WHERE project_id = ? AND name = ?", (project_id, batch_name)
            ).fetchone()
            batch_id = found[0] if found else new_id()
        else:
            batch_name = _opt_str(details, "batch_name", at) or batch_id
        conn.execute(
            "INSERT OR IGNORE INTO batches (id, project_id, name, priority, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (batch_id, project_id, batch_name, priority, ts),
        )
        labels = section.get("labels") or []
        status = workflow_status(
            details.get("workflow_status") or ("DONE" if labels else "TO_LABEL")
        )
        consensus = details.get("consensus_expected_label_count", 1)
        if isinstance(consensus, bool) or not isinstance(consensus, int):
            raise InvalidInput(
                f"{at}.project_details.consensus_expected_label_count must be an int"
            )
        rid = conn.execute("SELECT rid FROM data_rows WHERE id = ?", (row_id,)).fetchone()[0]
        conn.execute(
            "INSERT INTO project_data_rows (project_id, data_row_id, data_row_rid, batch_id,"
            " workflow_status, task_id, task_name, priority, selected_label_id,"
            " consensus_expected_label_count, ontology_id, added_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                project_id,
                row_id,
                rid,
                batch_id,
                status,
                _opt_str(details, "task_id", at) or workflow_task_id(project_id, status),
                _opt_str(details, "task_name", at) or WORKFLOW_TASK_NAMES[status],
                priority,
                _opt_str(details, "selected_label_id", at),
                consensus,
                _opt_str(details, "ontology_id", at),
                ts,
            ),
        )
        for i, event in enumerate(_list(details.get("workflow_history") or [], f"{at}.history")):
            event = _dict(event, f"{at}.project_details.workflow_history[{i}]")
            conn.execute(
                "INSERT INTO workflow_history (project_id, data_row_id, action, created_at,"
                " created_by, previous_task_id, previous_task_name, next_task_id, next_task_name)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    project_id,
                    row_id,
                    _req_str(event, "action", at),
                    _ts(event.get("created_at"), f"{at}.workflow_history.created_at") or ts,
                    event.get("created_by"),
                    event.get("previous_task_id"),
                    event.get("previous_task_name"),
                    event.get("next_task_id"),
                    event.get("next_task_name"),
                ),
            )
        return True

    def _ingest_label(
        self,
        conn: sqlite3.Connection,
        row_id: str,
        project_id: str,
        project: _ProjectState,
        label: Mapping[str, Any],
        at: str,
    ) -> bool:
        label_id = _req_str(label, "id", at)
        if conn.execute("SELECT 1 FROM labels WHERE id = ?", (label_id,)).fetchone():
            return False
        annotations, problems = self.check_annotations(
            label.get("annotations", {}), project.index, create_missing=True
        )
        if problems:
            raise InvalidInput(f"{at}: {problems[0].path}: {problems[0].message}")
        details = _dict(label.get("label_details") or {}, f"{at}.label_details")
        created_at = _ts(details.get("created_at"), f"{at}.label_details.created_at") or now_ts()
        perf = label.get("performance_details")
        if perf is not None:
            _dict(perf, f"{at}.performance_details")
        self.write_labels(
            conn,
            project_id,
            [
                {
                    "id": label_id,
                    "data_row_id": row_id,
                    "label_kind": label.get("label_kind") or "Default",
                    "version": label.get("version") or "1.0.0",
                    "annotations": annotations,
                    "created_at": created_at,
                    "updated_at": _ts(details.get("updated_at"), f"{at}.updated_at"),
                    "content_last_updated_at": _ts(
                        details.get("content_last_updated_at"), f"{at}.content_last_updated_at"
                    ),
                    "created_by": details.get("created_by") or self.user_email,
                    "performance": perf,
                }
            ],
            touch=False,
        )
        for i, review in enumerate(_list(details.get("reviews") or [], f"{at}.reviews")):
            review = _dict(review, f"{at}.label_details.reviews[{i}]")
            action = review.get("action")
            if action not in ("Approve", "Reject"):
                raise InvalidInput(f"{at}.reviews[{i}].action must be Approve or Reject")
            conn.execute(
                "INSERT OR IGNORE INTO reviews (id, label_id, action, created_at, created_by)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    _opt_str(review, "id", at) or new_id(),
                    label_id,
                    action,
                    _ts(review.get("created_at"), f"{at}.reviews.created_at") or created_at,
                    review.get("created_by"),
                ),
            )
        return True

    def _ingest_experiment(
        self, conn: sqlite3.Connection, row_id: str, model_id: str, section: Any, state: _State
    ) -> bool:
        at = f"experiments.{model_id}"
        section = _dict(section, at)
        if model_id not in state.models:
            conn.execute(
                "INSERT OR IGNORE INTO models (id, organization_id, name, created_at)"
                " VALUES (?, ?, ?, ?)",
                (
                    model_id,
                    self.organization_id,
                    _opt_str(section, "name", at) or model_id,
                    now_ts(),
                ),
            )
            state.models.add(model_id)
        created = False
        for run_id, run in _dict(section.get("runs") or {}, f"{at}.runs").items():
            rat = f"{at}.runs.{run_id}"
            run = _dict(run, rat)
            if run_id not in state.runs:
                conn.execute(
                    "INSERT OR IGNORE INTO model_runs (id, model_id, name, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (run_id, model_id, _opt_str(run, "name", rat) or run_id, now_ts()),
                )
                state.runs.add(run_id)
            split = run.get("split")
            if split is not None and (not isinstance(split, str) or split.lower() not in SPLITS):
                raise InvalidInput(f"{rat}.split must be one of {', '.join(SPLITS)}")
            rid = conn.execute("SELECT rid FROM data_rows WHERE id = ?", (row_id,)).fetchone()[0]
            cur = conn.execute(
                "INSERT OR IGNORE INTO model_run_data_rows (model_run_id, data_row_id,"
                " data_row_rid, run_data_row_id, split, added_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    row_id,
                    rid,
                    _opt_str(run, "run_data_row_id", rat) or new_id(),
                    split.lower() if isinstance(split, str) else None,
                    now_ts(),
                ),
            )
            created |= cur.rowcount > 0
            for kind, key in (("label", "labels"), ("prediction", "predictions")):
                for i, item in enumerate(_list(run.get(key) or [], f"{rat}.{key}")):
                    item = _dict(item, f"{rat}.{key}[{i}]")
                    cur = conn.execute(
                        "INSERT OR IGNORE INTO model_run_annotations (id, model_run_id,"
                        " data_row_id, kind, label_kind, version, annotations, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            _req_str(item, "id", f"{rat}.{key}[{i}]"),
                            run_id,
                            row_id,
                            kind,
                            item.get("label_kind") or "Default",
                            item.get("version") or "1.0.0",
                            dumps(_dict(item.get("annotations", {}), f"{rat}.{key}[{i}]")),
                            now_ts(),
                        ),
                    )
                    created |= cur.rowcount > 0
        return created


def _looks_like_ts(value: str) -> bool:
    if len(value) < 19 or value[4] != "-" or value[10] not in "T ":
        return False
    try:
        parse_ts(value)
    except ValueError:
        return False
    return True


@attrs.define
class _ProjectState:
    ontology_id: str
    media_type: str
    index: OntologyIndex


@attrs.define
class _State:
    """Caches of what already exists, valid within one import (reset when a row rolls back)."""

    default_dataset: str | None = None
    datasets: set[str] = attrs.field(factory=set)
    schemas: dict[str, str] = attrs.field(factory=dict)
    embeddings: set[str] = attrs.field(factory=set)
    projects: dict[str, _ProjectState] = attrs.field(factory=dict)
    models: set[str] = attrs.field(factory=set)
    runs: set[str] = attrs.field(factory=set)

    def reset(self) -> None:
        self.default_dataset = None
        self.datasets.clear()
        self.schemas.clear()
        self.embeddings.clear()
        self.projects.clear()
        self.models.clear()
        self.runs.clear()
