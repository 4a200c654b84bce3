"""Planning one batch: what each structured row writes, decided against what is stored.

Every row is an upsert by its id: a new row is ``loaded``; a stored row whose content (as the
line gives it) equals what is stored is ``unchanged`` and writes nothing; otherwise it is
``updated``: the sections the line gives replace the stored ones, sections it leaves out are
kept. A problem only the database can see (an id or key already used elsewhere, a metadata
name taken by another schema) refuses that row, with the path of the field at fault, before
anything is written.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import orjson

from rowport._canonical import canonical_annotations
from rowport._ids import new_id
from rowport._time import now_ts, parse_ts
from rowport.catalog._base import select_in
from rowport.catalog._db import Connection
from rowport.catalog._ingest import _records as r
from rowport.catalog._ingest import _sql as q
from rowport.catalog._ingest._features import resolve_features
from rowport.catalog._ingest._known import Entity, Known, Write
from rowport.catalog._ingest._structure import show
from rowport.catalog._ontology import OntologyIndex, OntologyStore
from rowport.catalog._projects import WORKFLOW_TASK_NAMES, workflow_task_id
from rowport.errors import InvalidInput
from rowport.media_types import MediaType, guess_media_type

__all__ = ["IMPORT_DATASET_NAME", "BatchPlanner", "RowPlan", "stored_annotations"]

IMPORT_DATASET_NAME = "Imported rows"
_IMPORT_BATCH_NAME = "imported"


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def stored_annotations(annotations: Mapping[str, Any], media_type: str) -> str:
    """The JSON text stored for a label's or prediction's ``annotations``.

    The one place an import turns annotations into what the catalog keeps: the reference's shape
    for ``media_type`` (:func:`rowport._canonical.canonical_annotations`: every section the
    format lists, keys in the reference's order, unknown keys kept after them). A file exported
    by the reference or by rowport is already in that shape, so it is written back byte for byte.
    """
    return _dumps(canonical_annotations(media_type, annotations))


AnnotationsWriter = Callable[[Mapping[str, Any], str], str]

# the sections a line leaves out (frozen records: one instance serves every row)
_NO_ROW_DETAILS = r.DataRowDetails()
_NO_PROJECT_DETAILS = r.ProjectDetails()
_NO_LABEL_DETAILS = r.LabelDetails()


# a pure function of two short strings, hashed each time: computed once per project and status
_task_id = functools.lru_cache(maxsize=1024)(workflow_task_id)


@functools.lru_cache(maxsize=256)
def _media_of_attributes(asset_type: str | None, mime_type: str | None) -> MediaType | None:
    """The media type ``asset_type`` or ``mime_type`` tells, if they do (the row data aside)."""
    return guess_media_type("", {"asset_type": asset_type, "mime_type": mime_type})


@attrs.define
class RowPlan:
    """What one line writes, and whether it is new, changed or the same as stored."""

    line: int
    data_row_id: str
    status: str  # "loaded" | "updated" | "unchanged"
    writes: list[Write] = attrs.field(factory=list)


def _looks_like_ts(value: str) -> bool:
    if len(value) < 19 or value[4] != "-" or value[10] not in "T ":
        return False
    try:
        parse_ts(value)
    except ValueError:
        return False
    return True


class _Refused(InvalidInput):
    """A row the planner refuses; the message names the path."""


class _Row:
    """One row being planned: its writes, the ids it claims, and whether it changed."""

    __slots__ = ("changed", "claims", "writes")  # a plain class: two are made per line

    def __init__(self) -> None:
        self.writes: list[Write] = []
        self.claims: list[tuple[str, Any, Any]] = []
        self.changed = False

    def add(self, sql: str, params: tuple[Any, ...]) -> None:
        self.writes.append((sql, params))

    def need(self, entity: Entity) -> None:
        self.writes.extend(entity.create)


@attrs.define
class _Stored:
    """What the database holds for the batch's rows that already exist."""

    rows: dict[str, tuple[Any, ...]] = attrs.field(factory=dict)
    attachments: dict[str, list[tuple[Any, ...]]] = attrs.field(factory=lambda: defaultdict(list))
    metadata: dict[str, list[tuple[Any, ...]]] = attrs.field(factory=lambda: defaultdict(list))
    vectors: dict[str, list[tuple[Any, ...]]] = attrs.field(factory=lambda: defaultdict(list))
    queue: dict[tuple[str, str], tuple[Any, ...]] = attrs.field(factory=dict)
    history: dict[tuple[str, str], list[tuple[Any, ...]]] = attrs.field(
        factory=lambda: defaultdict(list)
    )
    labels: dict[tuple[str, str], list[tuple[Any, ...]]] = attrs.field(
        factory=lambda: defaultdict(list)
    )
    run_rows: dict[tuple[str, str], tuple[Any, ...]] = attrs.field(factory=dict)
    run_annotations: dict[tuple[str, str, str], list[tuple[Any, ...]]] = attrs.field(
        factory=lambda: defaultdict(list)
    )
    owners: dict[str, dict[Any, Any]] = attrs.field(factory=lambda: defaultdict(dict))


class BatchPlanner:
    """Plans batches of structured rows into writes (see the module doc)."""

    def __init__(
        self,
        conn: Connection,
        known: Known,
        *,
        organization_id: str,
        user_email: str,
        annotations_json: AnnotationsWriter = stored_annotations,
    ) -> None:
        self.conn = conn
        self.known = known
        self.org = organization_id
        self.email = user_email
        self.annotations_json = annotations_json

    # -- one batch ----------------------------------------------------------------------------

    def plan(
        self, items: Sequence[tuple[int, r.ImportRow]]
    ) -> tuple[list[RowPlan], list[tuple[int, str]], list[Write]]:
        """Plans of the rows that can be written, ``(line, reason)`` of those refused, and the
        batch's own writes (features the annotations introduced)."""
        self.now = now_ts()
        self.now_epoch = parse_ts(self.now).timestamp()
        self.epochs: dict[str, float] = {self.now: self.now_epoch}
        self.stored = self._read_stored(items)
        self.claimed: dict[str, dict[Any, Any]] = defaultdict(dict)
        self.next_rid = int(
            self.conn.execute("SELECT COALESCE(MAX(rid), 0) FROM data_rows").fetchone()[0]
        )
        plans: list[RowPlan] = []
        refused: list[tuple[int, str]] = []
        for line, row in items:
            ctx = _Row()
            try:
                status = self._row(ctx, row)
            except InvalidInput as exc:
                refused.append((line, str(exc)))
                continue
            except (TypeError, ValueError, OverflowError) as exc:
                # JSON that Python holds but the catalog cannot (an integer beyond 64 bits)
                refused.append((line, f"cannot be stored: {exc}"))
                continue
            for kind, key, owner in ctx.claims:
                self.claimed[kind][key] = owner
            plans.append(RowPlan(line, row.data_row.id, status, ctx.writes))
        return plans, refused, self._feature_writes()

    def _epoch(self, ts: str) -> float:
        """``ts`` (a checked timestamp) in seconds since the epoch, parsed once per batch."""
        epoch = self.epochs.get(ts)
        if epoch is None:
            if len(self.epochs) > 4096:  # the file's own timestamps: keep memory bounded
                self.epochs.clear()
            epoch = self.epochs[ts] = parse_ts(ts).timestamp()
        return epoch

    def _feature_writes(self) -> list[Write]:
        writes: list[Write] = []
        for ontology_id, index in self.known.ontologies.items():
            if not index.created:
                continue
            start = self.known.next_position.get(ontology_id, 0)
            for i, f in enumerate(index.created):
                writes.append(
                    (
                        q.INS_FEATURE,
                        (
                            f.id,
                            ontology_id,
                            f.parent_id,
                            f.kind,
                            f.type,
                            f.name,
                            f.value,
                            start + i,
                        ),
                    )
                )
            self.known.next_position[ontology_id] = start + len(index.created)
            index.created.clear()
        return writes

    # -- what is stored -----------------------------------------------------------------------

    def _read_stored(self, items: Sequence[tuple[int, r.ImportRow]]) -> _Stored:
        conn = self.conn
        stored = _Stored()
        ids = list(dict.fromkeys(row.data_row.id for _, row in items))
        for found in select_in(
            conn,
            "SELECT id, rid, dataset_id, global_key, external_id, row_data, media_type,"
            " media_attributes, created_at, updated_at, last_activity_at, created_by"
            " FROM data_rows WHERE id IN ({})",
            ids,
        ):
            stored.rows[found[0]] = tuple(found)
        self._read_owners(stored, items)
        old = list(stored.rows)
        if not old:
            return stored
        for row_id, *rest in select_in(
            conn,
            "SELECT data_row_id, id, position, type, value, name FROM attachments"
            " WHERE data_row_id IN ({}) ORDER BY data_row_id, position",
            old,
        ):
            stored.attachments[row_id].append(tuple(rest))
        for row_id, *rest in select_in(
            conn,
            "SELECT data_row_id, schema_id, position, value FROM metadata_values"
            " WHERE data_row_id IN ({}) ORDER BY data_row_id, position",
            old,
        ):
            stored.metadata[row_id].append(tuple(rest))
        for row_id, *rest in select_in(
            conn,
            "SELECT data_row_id, embedding_id, position, vector FROM embedding_vectors"
            " WHERE data_row_id IN ({}) ORDER BY data_row_id, embedding_id, position",
            old,
        ):
            stored.vectors[row_id].append(tuple(rest))
        stored.vectors = defaultdict(list, {k: sorted(v) for k, v in stored.vectors.items()})
        for row_id, project_id, *rest in select_in(
            conn,
            "SELECT data_row_id, project_id, batch_id, workflow_status, task_id, task_name,"
            " priority, selected_label_id, consensus_expected_label_count, ontology_id"
            " FROM project_data_rows WHERE data_row_id IN ({})",
            old,
        ):
            stored.queue[(row_id, project_id)] = tuple(rest)
        for row_id, project_id, *rest in select_in(
            conn,
            "SELECT data_row_id, project_id, action, created_at, created_by, previous_task_id,"
            " previous_task_name, next_task_id, next_task_name FROM workflow_history"
            " WHERE data_row_id IN ({}) ORDER BY seq",
            old,
        ):
            stored.history[(row_id, project_id)].append(tuple(rest))
        reviews: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for label_id, *rest in select_in(
            conn,
            "SELECT r.label_id, r.id, r.action, r.created_at, r.created_by FROM reviews r"
            " JOIN labels l ON l.id = r.label_id WHERE l.data_row_id IN ({})"
            " ORDER BY r.created_at, r.rowid",
            old,
        ):
            reviews[label_id].append(tuple(rest))
        for row_id, project_id, label_id, *rest in select_in(
            conn,
            "SELECT data_row_id, project_id, id, label_kind, version, annotations, created_at,"
            " updated_at, created_by, content_last_updated_at, performance FROM labels"
            " WHERE data_row_id IN ({}) ORDER BY rid",
            old,
        ):
            stored.labels[(row_id, project_id)].append(
                (label_id, *rest, tuple(reviews.get(label_id, ())))
            )
        for run_id, row_id, *rest in select_in(
            conn,
            "SELECT model_run_id, data_row_id, run_data_row_id, split FROM model_run_data_rows"
            " WHERE data_row_id IN ({})",
            old,
        ):
            stored.run_rows[(run_id, row_id)] = tuple(rest)
        for row_id, run_id, kind, *rest in select_in(
            conn,
            "SELECT data_row_id, model_run_id, kind, id, label_kind, version, annotations"
            " FROM model_run_annotations WHERE data_row_id IN ({}) ORDER BY rid",
            old,
        ):
            stored.run_annotations[(row_id, run_id, kind)].append(tuple(rest))
        return stored

    def _read_owners(self, stored: _Stored, items: Sequence[tuple[int, r.ImportRow]]) -> None:
        """Who owns each id or key the batch gives (a data row, a label...), where stored."""
        keys: dict[str, set[Any]] = defaultdict(set)
        for _, row in items:
            if row.data_row.global_key is not None:
                keys["global_key"].add(row.data_row.global_key)
            for a in row.attachments or ():
                if a.id is not None:
                    keys["attachment"].add(a.id)
            for section in (row.projects or {}).values():
                for label in section.labels or ():
                    keys["label"].add(label.id)
                    details = label.label_details
                    for review in (details.reviews if details else None) or ():
                        if review.id is not None:
                            keys["review"].add(review.id)
            for exp in (row.experiments or {}).values():
                for run in exp.runs.values():
                    if run.run_data_row_id is not None:
                        keys["run_row"].add(run.run_data_row_id)
                    for ann in (*(run.labels or ()), *(run.predictions or ())):
                        keys["run_annotation"].add(ann.id)
        owners = stored.owners
        queries = {
            "global_key": "SELECT global_key, id FROM data_rows WHERE organization_id = ?"
            " AND global_key IN ({})",
            "attachment": "SELECT id, data_row_id FROM attachments WHERE id IN ({})",
            "label": "SELECT id, data_row_id, project_id FROM labels WHERE id IN ({})",
            "review": "SELECT id, label_id FROM reviews WHERE id IN ({})",
            "run_row": "SELECT run_data_row_id, model_run_id, data_row_id"
            " FROM model_run_data_rows WHERE run_data_row_id IN ({})",
            "run_annotation": "SELECT id, model_run_id, kind, data_row_id"
            " FROM model_run_annotations WHERE id IN ({})",
        }
        for kind, found in keys.items():
            args = (self.org,) if kind == "global_key" else ()
            for key, *owner in select_in(self.conn, queries[kind], sorted(found), *args):
                if kind == "run_annotation":
                    owners[kind][(owner[0], owner[1], key)] = owner[2]
                else:
                    owners[kind][key] = owner[0] if len(owner) == 1 else tuple(owner)

    def _claim(self, ctx: _Row, kind: str, key: Any, owner: Any, path: str, what: str) -> None:
        """Refuse the row when ``key`` (an id of kind ``kind``) belongs to someone else."""
        other = self.claimed[kind].get(key)
        if other is None:
            other = self.stored.owners[kind].get(key)
        if other is not None and other != owner:
            if isinstance(other, tuple):
                other = " in ".join(str(o) for o in other)
            raise _Refused(f"{path}: {what} {key!r} already belongs to {other}")
        ctx.claims.append((kind, key, owner))

    # -- one row ------------------------------------------------------------------------------

    def _row(self, ctx: _Row, row: r.ImportRow) -> str:
        dr = row.data_row
        row_id = dr.id
        stored = self.stored.rows.get(row_id)
        details = dr.details or _NO_ROW_DETAILS
        self.row_exists = stored is not None
        if dr.global_key is not None:
            self._claim(
                ctx, "global_key", dr.global_key, row_id, "$.data_row.global_key", "global key"
            )
        attributes = (
            _dumps(row.media_attributes)
            if row.media_attributes is not None
            else (stored[7] if stored else None)
        )
        if stored is None:
            media = self._media_type(dr.row_data, row)
            rid = self.next_rid = self.next_rid + 1
        else:
            media, rid = stored[6], stored[1]
        dataset_id = self._dataset(ctx, details, stored[2] if stored else None)
        created_at = details.created_at or (stored[8] if stored else self.now)
        updated_at = details.updated_at or (stored[9] if stored else created_at)
        activity = details.last_activity_at or (stored[10] if stored else created_at)
        created_by = details.created_by or (stored[11] if stored else self.email)
        desired = (
            dataset_id,
            dr.global_key,
            dr.external_id,
            dr.row_data,
            attributes,
            created_at,
            updated_at,
            activity,
            created_by,
        )
        if stored is not None and desired != (*stored[2:6], stored[7], *stored[8:12]):
            ctx.changed = True
        sections = _Row()
        self._attachments(sections, row_id, row.attachments, stored is not None)
        self._metadata(sections, row_id, row.metadata_fields, stored is not None)
        self._embeddings(sections, row_id, row.embeddings, stored is not None)
        for project_id, section in (row.projects or {}).items():
            self._project(sections, row_id, rid, media, project_id, section)
        for model_id, experiment in (row.experiments or {}).items():
            self._experiment(sections, row_id, rid, media, model_id, experiment)
        ctx.claims.extend(sections.claims)
        if stored is None:
            ctx.add(
                q.INS_ROW,
                (
                    rid,
                    row_id,
                    dataset_id,
                    self.org,
                    dr.global_key,
                    dr.external_id,
                    dr.row_data,
                    media,
                    attributes,
                    created_at,
                    updated_at,
                    activity,
                    self._epoch(activity),
                    created_by,
                ),
            )
            ctx.writes.extend(sections.writes)
            return "loaded"
        if not (ctx.changed or sections.changed):
            return "unchanged"
        # the file's own timestamps win; otherwise a change bumps them, as an edit would
        if details.updated_at is None:
            updated_at = self.now
        if details.last_activity_at is None:
            activity = self.now
        ctx.add(
            q.UPD_ROW,
            (
                dataset_id,
                dr.global_key,
                dr.external_id,
                dr.row_data,
                attributes,
                created_at,
                updated_at,
                activity,
                self._epoch(activity),
                created_by,
                row_id,
            ),
        )
        ctx.writes.extend(sections.writes)
        return "updated"

    def _media_type(self, row_data: str, row: r.ImportRow) -> str:
        attributes = row.media_attributes
        guessed = (
            _media_of_attributes(attributes.get("asset_type"), attributes.get("mime_type"))
            if attributes
            else None
        )
        if guessed is None:
            guessed = guess_media_type(row_data)
        if guessed is not None:
            return guessed.value
        for project_id in row.projects or {}:
            found = self.known.project(project_id)
            if found is not None:
                return str(found.fields[1])
        for section in (row.projects or {}).values():
            if any(label.label_kind == "Video" for label in section.labels or ()):
                return MediaType.VIDEO.value
        raise _Refused(
            "$.media_attributes: cannot tell the media type: media_attributes has no asset_type"
            " or mime_type and row_data has no known file extension"
        )

    def _dataset(self, ctx: _Row, details: r.DataRowDetails, stored: str | None) -> str:
        known = self.known
        dataset_id: str | None = details.dataset_id
        if dataset_id is None:
            if stored is not None:
                return stored
            name = details.dataset_name or IMPORT_DATASET_NAME
            dataset_id = known.dataset_named(name)
            if dataset_id is None:
                dataset_id = new_id()
                known.dataset_names[name] = dataset_id
                known.datasets[dataset_id] = self._new_dataset(dataset_id, name)
        entity = known.dataset(dataset_id)
        if entity is None:
            entity = self._new_dataset(dataset_id, details.dataset_name or dataset_id)
            known.datasets[dataset_id] = entity
        ctx.need(entity)
        return dataset_id

    def _new_dataset(self, dataset_id: str, name: str) -> Entity:
        params = (dataset_id, self.org, name, self.now, self.now, self.email)
        return Entity((name,), ((q.INS_DATASET, params),))

    # -- row sections -------------------------------------------------------------------------

    def _replace(
        self,
        ctx: _Row,
        exists: bool,
        stored: list[tuple[Any, ...]],
        desired: list[tuple[Any, ...]],
        delete: Write,
        inserts: Iterable[Write],
    ) -> None:
        """Write a section that changed: delete the stored one (if any), insert the new one."""
        if exists and stored == desired:
            return
        if exists:
            ctx.changed = True
            if stored:
                ctx.writes.append(delete)
        ctx.writes.extend(inserts)

    def _attachments(
        self, ctx: _Row, row_id: str, items: list[r.Attachment] | None, exists: bool
    ) -> None:
        if items is None:
            return
        stored = self.stored.attachments.get(row_id, [])
        desired: list[tuple[Any, ...]] = []
        seen: set[str] = set()
        for i, a in enumerate(items):
            path = f"$.attachments[{i}].id"
            attachment_id: str | None = a.id
            if attachment_id is None:
                old = stored[i] if i < len(stored) else None
                same = old is not None and old[2:] == (a.type, a.value, a.name)
                attachment_id = old[0] if same and old is not None else new_id()
            elif attachment_id in seen:
                raise _Refused(f"{path}: attachment id {attachment_id!r} is given twice")
            seen.add(attachment_id)
            self._claim(ctx, "attachment", attachment_id, row_id, path, "attachment id")
            desired.append((attachment_id, i, a.type, a.value, a.name))
        self._replace(
            ctx,
            exists,
            stored,
            desired,
            (q.DEL_ATTACHMENTS, (row_id,)),
            ((q.INS_ATTACHMENT, (d[0], row_id, *d[1:])) for d in desired),
        )

    def _metadata(
        self, ctx: _Row, row_id: str, items: list[r.MetadataField] | None, exists: bool
    ) -> None:
        if items is None:
            return
        desired: list[tuple[Any, ...]] = []
        for i, field in enumerate(items):
            schema_id, value = self._metadata_field(ctx, i, field)
            desired.append((schema_id, i, value))
        self._replace(
            ctx,
            exists,
            self.stored.metadata.get(row_id, []),
            desired,
            (q.DEL_METADATA, (row_id,)),
            ((q.INS_METADATA, (row_id, *d)) for d in desired),
        )

    def _metadata_field(self, ctx: _Row, i: int, field: r.MetadataField) -> tuple[str, str]:
        known = self.known
        path = f"$.metadata_fields[{i}]"
        value = field.value
        if isinstance(value, r.MetadataOption):
            kind = "enum"
        elif isinstance(value, str):
            kind = "datetime" if _looks_like_ts(value) else "string"
        else:
            kind = "number"
        schema_id: str = field.schema_id
        name = field.schema_name or schema_id
        entity = known.schema(schema_id)
        if entity is None:
            other = known.schema_named(None, name)
            if other is not None:
                other_kind = known.schemas[other].fields[1]
                if not _kinds_agree(other_kind, kind):
                    raise _Refused(
                        f"{path}.schema_name: the name {name!r} is already used by metadata"
                        f" schema {other} ({other_kind} values); schema {schema_id} of this row"
                        f" holds {kind} values"
                    )
                schema_id, entity = other, known.schemas[other]
            else:
                entity = Entity(
                    (name, kind, None),
                    ((q.INS_SCHEMA, (schema_id, self.org, name, kind, self.now)),),
                )
                known.schemas[schema_id] = entity
                known.schema_names[(None, name)] = schema_id
        stored_kind = entity.fields[1]
        if stored_kind == "option":
            raise _Refused(
                f"{path}.schema_id: {schema_id!r} is an option of the enum field"
                f" {entity.fields[2]}, not a field"
            )
        if not _kinds_agree(stored_kind, kind):
            raise _Refused(
                f"{path}.value: field {entity.fields[0]!r} ({schema_id}) holds {stored_kind}"
                f" values, got {show(field.value)}"
            )
        ctx.need(entity)
        if not isinstance(value, r.MetadataOption):
            return schema_id, _dumps(value)
        option_id: str = value.schema_id
        option = known.schema(option_id)
        if option is None:
            option_name = value.schema_name or option_id
            other = known.schema_named(schema_id, option_name)
            if other is not None:
                option_id, option = other, known.schemas[other]
            else:
                option = Entity(
                    (option_name, "option", schema_id),
                    ((q.INS_OPTION, (option_id, self.org, option_name, schema_id, self.now)),),
                )
                known.schemas[option_id] = option
                known.schema_names[(schema_id, option_name)] = option_id
        if option.fields[1] != "option" or option.fields[2] != schema_id:
            raise _Refused(
                f"{path}.value.schema_id: {option_id!r} is not an option of the enum field"
                f" {entity.fields[0]!r} ({schema_id})"
            )
        ctx.need(option)
        return schema_id, _dumps(option_id)

    def _embeddings(
        self, ctx: _Row, row_id: str, items: list[r.Embedding] | None, exists: bool
    ) -> None:
        if items is None:
            return
        desired: list[tuple[Any, ...]] = []
        seen: set[str] = set()
        for i, emb in enumerate(items):
            path = f"$.embeddings[{i}]"
            if emb.id in seen:
                raise _Refused(f"{path}.id: embedding {emb.id!r} is given twice")
            seen.add(emb.id)
            entity = self.known.embedding(emb.id)
            if entity is None:
                entity = Entity(
                    (emb.dimensions,),
                    (
                        (
                            q.INS_EMBEDDING,
                            (
                                emb.id,
                                self.org,
                                emb.name or emb.id,
                                emb.dimensions,
                                int(emb.is_custom),
                                self.now,
                            ),
                        ),
                    ),
                )
                self.known.embeddings[emb.id] = entity
            if entity.fields[0] != emb.dimensions:
                raise _Refused(
                    f"{path}.dimensions: embedding {emb.id!r} has {entity.fields[0]} dimensions,"
                    f" got {emb.dimensions}"
                )
            ctx.need(entity)
            for j, vector in enumerate(emb.values):
                if len(vector.value) != emb.dimensions:
                    raise _Refused(
                        f"{path}.values[{j}].value: {len(vector.value)} numbers, expected"
                        f" {emb.dimensions} (dimensions)"
                    )
                desired.append((emb.id, j, _dumps(vector.value)))
        self._replace(
            ctx,
            exists,
            self.stored.vectors.get(row_id, []),
            sorted(desired),
            (q.DEL_VECTORS, (row_id,)),
            ((q.INS_VECTOR, (d[0], row_id, d[1], d[2])) for d in desired),
        )

    # -- projects -----------------------------------------------------------------------------

    def _project(
        self,
        ctx: _Row,
        row_id: str,
        rid: int,
        media: str,
        project_id: str,
        section: r.ProjectSection,
    ) -> None:
        path = f"$.projects.{project_id}"
        details = section.project_details
        entity = self.known.project(project_id)
        if entity is None:
            ontology_id = (details.ontology_id if details else None) or new_id()
            name = section.name or project_id
            entity = Entity(
                (ontology_id, media),
                (
                    (q.INS_ONTOLOGY, (ontology_id, self.org, f"{name} ontology", media, self.now)),
                    (
                        q.INS_PROJECT,
                        (project_id, self.org, name, media, ontology_id, self.now, self.now),
                    ),
                ),
            )
            self.known.projects[project_id] = entity
        ctx.need(entity)
        self._tags(ctx, project_id, section.project_tags, path)
        labels = self._labels(ctx, row_id, project_id, media, entity.fields[0], section, path)
        self._queue(ctx, row_id, rid, project_id, details, labels, path)

    def _tags(self, ctx: _Row, project_id: str, tags: list[r.ProjectTag] | None, path: str) -> None:
        if not tags:
            return
        known = self.known.project_tags(project_id)
        by_text = {e.fields[0]: tag_id for tag_id, e in known.items()}
        for i, tag in enumerate(tags):
            text = tag.text if tag.text is not None else tag.name
            if text is None:
                raise _Refused(f"{path}.project_tags[{i}].text: required, missing")
            tag_id = tag.id or by_text.get(text) or new_id()
            if tag_id not in known:
                other = self.conn.execute(
                    "SELECT project_id FROM project_tags WHERE id = ?", (tag_id,)
                ).fetchone()
                if other is not None:
                    raise _Refused(
                        f"{path}.project_tags[{i}].id: tag id {tag_id!r} already belongs to"
                        f" project {other[0]}"
                    )
                known[tag_id] = Entity(
                    (text, i), ((q.INS_TAG, (tag_id, project_id, i, text, tag.color)),)
                )
                by_text[text] = tag_id
            ctx.need(known[tag_id])

    def _queue(
        self,
        ctx: _Row,
        row_id: str,
        rid: int,
        project_id: str,
        details: r.ProjectDetails | None,
        labels: list[str] | None,
        path: str,
    ) -> None:
        stored = self.stored.queue.get((row_id, project_id))
        if details is None and stored is not None:
            return
        d = details or _NO_PROJECT_DETAILS
        batch_id = self._batch(ctx, project_id, d, stored, path)
        default_status = "DONE" if labels else "TO_LABEL"
        status = d.workflow_status or (stored[1] if stored else default_status)
        selected = d.selected_label_id or (stored[5] if stored else None)
        if selected is None and labels:
            selected = labels[0]
        desired = (
            batch_id,
            status,
            d.task_id
            or (stored[2] if stored and not d.workflow_status else None)
            or _task_id(project_id, status),
            d.task_name
            or (stored[3] if stored and not d.workflow_status else None)
            or WORKFLOW_TASK_NAMES[status],
            d.priority if d.priority is not None else (stored[4] if stored else 5),
            selected,
            d.consensus_expected_label_count
            if d.consensus_expected_label_count is not None
            else (stored[6] if stored else 1),
            d.ontology_id or (stored[7] if stored else None),
        )
        if stored is None:
            ctx.add(q.INS_QUEUE, (project_id, row_id, rid, *desired, self.now))
            ctx.changed |= self.row_exists  # a stored row joins a project
        elif desired != stored:
            ctx.changed = True
            ctx.add(q.UPD_QUEUE, (*desired, project_id, row_id))
        if d.workflow_history is not None:
            self._history(ctx, row_id, project_id, d.workflow_history, stored is not None)

    def _batch(
        self,
        ctx: _Row,
        project_id: str,
        d: r.ProjectDetails,
        stored: tuple[Any, ...] | None,
        path: str,
    ) -> str:
        by_id, by_name = self.known.project_batches(project_id)
        priority = d.priority if d.priority is not None else 5
        batch_id: str | None = d.batch_id
        if batch_id is None:
            if stored is not None and stored[0] is not None:
                return str(stored[0])
            name = _IMPORT_BATCH_NAME
            batch_id = by_name.get(name) or new_id()
        else:
            name = d.batch_name or batch_id
        if batch_id not in by_id:
            other = by_name.get(name)
            if other is not None and other != batch_id:
                raise _Refused(
                    f"{path}.project_details.batch_name: the name {name!r} is already used by"
                    f" batch {other} of project {project_id}"
                )
            taken = self.conn.execute(
                "SELECT project_id FROM batches WHERE id = ?", (batch_id,)
            ).fetchone()
            if taken is not None and taken[0] != project_id:
                raise _Refused(
                    f"{path}.project_details.batch_id: batch {batch_id!r} already belongs to"
                    f" project {taken[0]}"
                )
            by_id[batch_id] = Entity(
                (name,), ((q.INS_BATCH, (batch_id, project_id, name, priority, self.now)),)
            )
            by_name[name] = batch_id
        ctx.need(by_id[batch_id])
        return batch_id

    def _history(
        self,
        ctx: _Row,
        row_id: str,
        project_id: str,
        events: list[r.HistoryEvent],
        exists: bool,
    ) -> None:
        stored = self.stored.history.get((row_id, project_id), [])
        desired: list[tuple[Any, ...]] = []
        for i, e in enumerate(events):
            rest = (
                e.created_by,
                e.previous_task_id,
                e.previous_task_name,
                e.next_task_id,
                e.next_task_name,
            )
            created_at: str | None = e.created_at
            if created_at is None:
                old = stored[i] if i < len(stored) else None
                same = old is not None and old[0] == e.action and old[2:] == rest
                created_at = old[1] if same and old is not None else self.now
            desired.append((e.action, created_at, *rest))
        self._replace(
            ctx,
            exists,
            stored,
            desired,
            (q.DEL_HISTORY, (row_id, project_id)),
            ((q.INS_HISTORY, (project_id, row_id, *d)) for d in desired),
        )

    def _labels(
        self,
        ctx: _Row,
        row_id: str,
        project_id: str,
        media: str,
        ontology_id: str | None,
        section: r.ProjectSection,
        path: str,
    ) -> list[str] | None:
        """Plan a project section's labels; returns their ids (None when the line gives none)."""
        if section.labels is None:
            return None
        stored = self.stored.labels.get((row_id, project_id), [])
        by_id = {s[0]: s for s in stored}
        index = (
            self.known.ontology(ontology_id)
            if ontology_id is not None
            else OntologyIndex(ontology_id="")
        )
        desired: list[tuple[Any, ...]] = []
        seen: set[str] = set()
        for i, label in enumerate(section.labels):
            at = f"{path}.labels[{i}]"
            if label.id in seen:
                raise _Refused(f"{at}.id: label {label.id!r} is given twice")
            seen.add(label.id)
            self._claim(ctx, "label", label.id, (row_id, project_id), f"{at}.id", "label id")
            desired.append(self._label(ctx, label, by_id.get(label.id), index, media, at))
        exists = (row_id, project_id) in self.stored.queue or bool(stored)
        if exists and stored == desired:
            return [d[0] for d in desired]
        if exists:
            ctx.changed = True
        if stored:
            ctx.add(q.DEL_REVIEWS, (row_id, project_id))
            ctx.add(q.DEL_LABELS, (row_id, project_id))
        for d in desired:
            ctx.add(
                q.INS_LABEL,
                (
                    d[0],
                    project_id,
                    row_id,
                    d[1],
                    d[2],
                    d[3],
                    d[4],
                    self._epoch(d[4]),
                    d[5],
                    d[6],
                    d[7],
                    d[8],
                ),
            )
            for review in d[9]:
                ctx.add(q.INS_REVIEW, (review[0], d[0], *review[1:]))
        return [d[0] for d in desired]

    def _label(
        self,
        ctx: _Row,
        label: r.Label,
        stored: tuple[Any, ...] | None,
        index: OntologyIndex,
        media: str,
        at: str,
    ) -> tuple[Any, ...]:
        if index.ontology_id:
            problem = resolve_features(label.annotations, index)
            if problem is not None:
                raise _Refused(f"{at}.{problem[0]}: {problem[1]}")
        else:  # a project without an ontology: every feature is unknown
            _, problems = OntologyStore.check_annotations(label.annotations, index)
            if problems:
                raise _Refused(f"{at}.{problems[0].path}: {problems[0].message}")
        annotations = self.annotations_json(label.annotations, media)
        performance = (
            _dumps(label.performance_details)
            if label.performance_details is not None
            else (stored[8] if stored else None)
        )
        d = label.label_details or _NO_LABEL_DETAILS
        content = (label.label_kind, label.version, annotations, performance)
        if stored is None:
            created_at = d.created_at or self.now
            updated_at = d.updated_at or created_at
            content_at = d.content_last_updated_at or created_at
        else:
            same = content == (stored[1], stored[2], stored[3], stored[8])
            created_at = d.created_at or stored[4]
            updated_at = d.updated_at or (stored[5] if same else self.now)
            content_at = d.content_last_updated_at or (
                stored[7] if stored[3] == annotations else self.now
            )
        created_by = d.created_by or (stored[6] if stored else self.email)
        if d.reviews is None:
            reviews = stored[9] if stored else ()
        else:
            old = stored[9] if stored else ()
            out = []
            for j, review in enumerate(d.reviews):
                path = f"{at}.label_details.reviews[{j}].id"
                rest = (review.action, review.created_at or created_at, review.created_by)
                review_id: str | None = review.id
                if review_id is None:
                    prev = old[j] if j < len(old) else None
                    review_id = prev[0] if prev is not None and prev[1:] == rest else new_id()
                self._claim(ctx, "review", review_id, label.id, path, "review id")
                out.append((review_id, *rest))
            reviews = tuple(sorted(out, key=lambda x: x[2]))
        return (
            label.id,
            label.label_kind,
            label.version,
            annotations,
            created_at,
            updated_at,
            created_by,
            content_at,
            performance,
            reviews,
        )

    # -- model runs ---------------------------------------------------------------------------

    def _experiment(
        self,
        ctx: _Row,
        row_id: str,
        rid: int,
        media: str,
        model_id: str,
        experiment: r.Experiment,
    ) -> None:
        path = f"$.experiments.{model_id}"
        model = self.known.model(model_id)
        if model is None:
            name = experiment.name or model_id
            model = Entity((name,), ((q.INS_MODEL, (model_id, self.org, name, self.now)),))
            self.known.models[model_id] = model
        ctx.need(model)
        for run_id, run in experiment.runs.items():
            at = f"{path}.runs.{run_id}"
            entity = self.known.run(run_id)
            if entity is None:
                entity = Entity(
                    (model_id,),
                    ((q.INS_RUN, (run_id, model_id, run.name or run_id, self.now)),),
                )
                self.known.runs[run_id] = entity
            if entity.fields[0] != model_id:
                raise _Refused(f"{at}: model run {run_id!r} belongs to model {entity.fields[0]}")
            ctx.need(entity)
            stored = self.stored.run_rows.get((run_id, row_id))
            run_row_id = run.run_data_row_id or (stored[0] if stored else new_id())
            self._claim(
                ctx,
                "run_row",
                run_row_id,
                (run_id, row_id),
                f"{at}.run_data_row_id",
                "run data row id",
            )
            split = run.split if run.split is not None else (stored[1] if stored else None)
            if stored is None:
                ctx.add(q.INS_RUN_ROW, (run_id, row_id, rid, run_row_id, split, self.now))
                ctx.changed |= self.row_exists
            elif (run_row_id, split) != stored:
                ctx.changed = True
                ctx.add(q.UPD_RUN_ROW, (run_row_id, split, run_id, row_id))
            for kind, items in (("label", run.labels), ("prediction", run.predictions)):
                if items is not None:
                    self._run_annotations(
                        ctx, row_id, media, run_id, kind, items, stored is not None, f"{at}.{kind}s"
                    )

    def _run_annotations(
        self,
        ctx: _Row,
        row_id: str,
        media: str,
        run_id: str,
        kind: str,
        items: list[r.RunAnnotation],
        exists: bool,
        path: str,
    ) -> None:
        desired: list[tuple[Any, ...]] = []
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                raise _Refused(f"{path}[{i}].id: {kind} {item.id!r} is given twice")
            seen.add(item.id)
            self._claim(
                ctx,
                "run_annotation",
                (run_id, kind, item.id),
                row_id,
                f"{path}[{i}].id",
                f"{kind} id",
            )
            desired.append(
                (
                    item.id,
                    item.label_kind,
                    item.version,
                    self.annotations_json(item.annotations, media),
                )
            )
        self._replace(
            ctx,
            exists,
            self.stored.run_annotations.get((row_id, run_id, kind), []),
            desired,
            (q.DEL_RUN_ANNOTATIONS, (row_id, run_id, kind)),
            (
                (q.INS_RUN_ANNOTATION, (d[0], run_id, row_id, kind, *d[1:], self.now))
                for d in desired
            ),
        )


def _kinds_agree(stored: str, given: str) -> bool:
    """Whether a value of kind ``given`` fits a field of kind ``stored``."""
    if stored == given:
        return True
    return {stored, given} == {"string", "datetime"}
