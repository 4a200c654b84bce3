"""Models (experiments), model runs with their rows, labels, predictions and splits; slices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rowport._canonical import canonical_annotations
from rowport._ids import new_id
from rowport._time import now_ts, to_epoch
from rowport.catalog._base import (
    Activity,
    Actor,
    chunked,
    dumps,
    loads,
    optional_str,
    placeholders,
    require_str,
)
from rowport.catalog._datarows import RowStore
from rowport.catalog._db import Connection, Database
from rowport.catalog._ontology import OntologyStore
from rowport.catalog._projects import ProjectStore, default_annotations
from rowport.errors import InvalidInput
from rowport.media_types import MediaType

__all__ = ["SLICE_FILTER_KEYS", "SPLITS", "ModelStore"]

SPLITS = ("training", "validation", "test")
SLICE_FILTER_KEYS = (
    "dataset_ids",
    "media_types",
    "data_row_ids",
    "global_keys",
    "project_ids",
    "model_run_ids",
    "last_activity_at",
    "has_labels",
)


class ModelStore:
    """Models (experiments), model runs with their rows, labels, predictions and splits; and
    slices (saved filters over data rows)."""

    def __init__(
        self,
        db: Database,
        actor: Actor,
        activity: Activity,
        rows: RowStore,
        ontologies: OntologyStore,
        projects: ProjectStore,
    ) -> None:
        self.db = db
        self.actor = actor
        self.activity = activity
        self.rows = rows
        self.ontologies = ontologies
        self.projects = projects

    def create_model(
        self, name: str, ontology_id: str | None = None, *, id: str | None = None
    ) -> dict[str, Any]:
        """Create a model (an experiment in the export format)."""
        require_str(name, "model name")
        if ontology_id is not None:
            self.ontologies.require_ontology(ontology_id)
        model_id = id or new_id()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO models (id, organization_id, name, ontology_id, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (model_id, self.actor.organization_id, name, ontology_id, now_ts()),
            )
        return self.get_model(model_id)

    def get_model(self, model_id: str) -> dict[str, Any]:
        """A model's record."""
        row = self.db.one(
            "SELECT id, name, ontology_id, created_at FROM models WHERE id = ?",
            (model_id,),
            "model",
            model_id,
        )
        return dict(zip(("id", "name", "ontology_id", "created_at"), row, strict=True))

    def list_models(self) -> list[dict[str, Any]]:
        """Every model, oldest first."""
        return [
            self.get_model(r[0]) for r in self.db.conn.execute("SELECT id FROM models ORDER BY id")
        ]

    def create_model_run(
        self, model_id: str, name: str, *, id: str | None = None
    ) -> dict[str, Any]:
        """Create a run of a model."""
        self.get_model(model_id)
        require_str(name, "model run name")
        run_id = id or new_id()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO model_runs (id, model_id, name, created_at) VALUES (?, ?, ?, ?)",
                (run_id, model_id, name, now_ts()),
            )
        return self.get_model_run(run_id)

    def get_model_run(self, run_id: str) -> dict[str, Any]:
        """A model run's record with its row count."""
        row = self.db.one(
            "SELECT id, model_id, name, created_at,"
            " (SELECT COUNT(*) FROM model_run_data_rows WHERE model_run_id = model_runs.id)"
            " FROM model_runs WHERE id = ?",
            (run_id,),
            "model run",
            run_id,
        )
        return dict(zip(("id", "model_id", "name", "created_at", "size"), row, strict=True))

    def list_model_runs(self, model_id: str) -> list[dict[str, Any]]:
        """The runs of a model, oldest first."""
        return [
            self.get_model_run(r[0])
            for r in self.db.conn.execute(
                "SELECT id FROM model_runs WHERE model_id = ? ORDER BY id", (model_id,)
            )
        ]

    def model_run_row_counts(self) -> dict[str, int]:
        """How many data rows each model run holds, by run id (one aggregate query)."""
        return dict(
            self.db.conn.execute(
                "SELECT r.id,"
                " (SELECT COUNT(*) FROM model_run_data_rows WHERE model_run_id = r.id)"
                " FROM model_runs r"
            )
        )

    def upsert_run_data_rows(
        self,
        run_id: str,
        data_row_ids: Sequence[str],
        *,
        run_data_row_ids: Mapping[str, str] | None = None,
    ) -> None:
        """Add data rows to a model run (rows already in it are left as they are)."""
        self.get_model_run(run_id)
        ids = list(dict.fromkeys(data_row_ids))
        self.rows.get_data_rows(ids)
        with self.db.transaction() as conn:
            self._upsert_run_rows(conn, run_id, ids, run_data_row_ids or {})

    def _upsert_run_rows(
        self,
        conn: Connection,
        run_id: str,
        ids: Sequence[str],
        run_row_ids: Mapping[str, str],
        splits: Mapping[str, str | None] | None = None,
    ) -> None:
        ts = now_ts()
        for part in chunked(list(ids)):
            rids = dict(
                conn.execute(
                    f"SELECT id, rid FROM data_rows WHERE id IN ({placeholders(len(part))})",
                    tuple(part),
                ).fetchall()
            )
            conn.executemany(
                "INSERT OR IGNORE INTO model_run_data_rows (model_run_id, data_row_id,"
                " data_row_rid, run_data_row_id, split, added_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (run_id, i, rids[i], run_row_ids.get(i) or new_id(), (splits or {}).get(i), ts)
                    for i in part
                ],
            )
        self.activity.touch(conn, ids, ts)

    def add_run_labels(self, run_id: str, label_ids: Sequence[str]) -> None:
        """Copy project labels into a model run as its ground truth (their rows join the run)."""
        self.get_model_run(run_id)
        labels = [self.projects.get_label(i) for i in dict.fromkeys(label_ids)]
        media = self._media_types([lab["data_row_id"] for lab in labels])
        for lab in labels:
            lab["annotations"] = canonical_annotations(
                media[lab["data_row_id"]], lab["annotations"]
            )
        with self.db.transaction() as conn:
            self._upsert_run_rows(conn, run_id, [lab["data_row_id"] for lab in labels], {})
            self._write_run_annotations(conn, run_id, "label", labels)

    def add_run_predictions(
        self, run_id: str, predictions: Sequence[Mapping[str, Any]], *, check: bool = True
    ) -> list[str]:
        """Add predictions (``{data_row_id | global_key, annotations}``) to a model run.

        With an ontology on the model, every feature must be in it. Returns the new ids.
        """
        run = self.get_model_run(run_id)
        model = self.get_model(run["model_id"])
        index = (
            self.ontologies.ontology_index(model["ontology_id"]) if model["ontology_id"] else None
        )
        by_key = self.rows.resolve_global_keys(
            [p["global_key"] for p in predictions if isinstance(p, Mapping) and p.get("global_key")]
        )
        prepared: list[dict[str, Any]] = []
        for i, spec in enumerate(predictions):
            at = f"predictions[{i}]"
            if not isinstance(spec, Mapping):
                raise InvalidInput(f"{at} must be a dict with data_row_id and annotations")
            row_id = spec.get("data_row_id") or by_key.get(spec.get("global_key") or "")
            row_id = require_str(row_id, f"{at}.data_row_id (or a known global_key)")
            row = self.rows.get_data_row(row_id)
            annotations = spec.get("annotations")
            if annotations is None:
                annotations = default_annotations(row["media_type"])
            if index is not None and check:
                annotations, problems = self.ontologies.check_annotations(annotations, index)
                if problems:
                    raise InvalidInput(f"{at}: {problems[0].path}: {problems[0].message}")
            if not isinstance(annotations, Mapping):
                raise InvalidInput(f"{at}.annotations must be a dict")
            annotations = canonical_annotations(row["media_type"], annotations)
            prepared.append(
                {
                    "id": optional_str(spec.get("id"), f"{at}.id") or new_id(),
                    "data_row_id": row_id,
                    "label_kind": spec.get("label_kind")
                    or ("Video" if row["media_type"] == MediaType.VIDEO.value else "Default"),
                    "version": spec.get("version") or "1.0.0",
                    "annotations": annotations,
                }
            )
        with self.db.transaction() as conn:
            self._upsert_run_rows(conn, run_id, [p["data_row_id"] for p in prepared], {})
            self._write_run_annotations(conn, run_id, "prediction", prepared)
        return [p["id"] for p in prepared]

    def _media_types(self, data_row_ids: Sequence[str]) -> dict[str, str]:
        """``{data row id: media type}`` of the given rows."""
        ids = list(dict.fromkeys(data_row_ids))
        return {
            r[0]: r[1]
            for part in chunked(ids)
            for r in self.db.conn.execute(
                f"SELECT id, media_type FROM data_rows WHERE id IN ({placeholders(len(part))})",
                tuple(part),
            )
        }

    def _write_run_annotations(
        self,
        conn: Connection,
        run_id: str,
        kind: str,
        items: Sequence[Mapping[str, Any]],
    ) -> None:
        ts = now_ts()
        conn.executemany(
            "INSERT OR IGNORE INTO model_run_annotations (id, model_run_id, data_row_id, kind,"
            " label_kind, version, annotations, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    it["id"],
                    run_id,
                    it["data_row_id"],
                    kind,
                    it["label_kind"],
                    it["version"],
                    dumps(it["annotations"]),
                    ts,
                )
                for it in items
            ],
        )

    def assign_split(self, run_id: str, data_row_ids: Sequence[str], split: str) -> None:
        """Put rows of a model run in the training, validation or test split."""
        self.get_model_run(run_id)
        value = split.lower() if isinstance(split, str) else split
        if value not in SPLITS:
            raise InvalidInput(f"unknown split {split!r}; allowed: {', '.join(SPLITS)}")
        ids = list(dict.fromkeys(data_row_ids))
        with self.db.transaction() as conn:
            present = {
                r[0]
                for part in chunked(ids)
                for r in conn.execute(
                    f"SELECT data_row_id FROM model_run_data_rows WHERE model_run_id = ?"
                    f" AND data_row_id IN ({placeholders(len(part))})",
                    (run_id, *part),
                )
            }
            missing = [i for i in ids if i not in present]
            if missing:
                raise InvalidInput(f"data rows not in model run {run_id}: {', '.join(missing[:5])}")
            conn.executemany(
                "UPDATE model_run_data_rows SET split = ?"
                " WHERE model_run_id = ? AND data_row_id = ?",
                [(value, run_id, i) for i in ids],
            )

    def run_annotations(self, run_id: str, kind: str) -> list[dict[str, Any]]:
        """A model run's ground-truth labels (``label``) or predictions (``prediction``)."""
        return [
            {
                "id": r[0],
                "data_row_id": r[1],
                "label_kind": r[2],
                "version": r[3],
                "annotations": loads(r[4]),
            }
            for r in self.db.conn.execute(
                "SELECT id, data_row_id, label_kind, version, annotations FROM"
                " model_run_annotations WHERE model_run_id = ? AND kind = ? ORDER BY rid",
                (run_id, kind),
            )
        ]

    # -- slices -----------------------------------------------------------------------------

    def create_slice(
        self, name: str, filters: Mapping[str, Any], *, id: str | None = None
    ) -> dict[str, Any]:
        """Save a catalog filter under a name (see :data:`SLICE_FILTER_KEYS`)."""
        require_str(name, "slice name")
        checked = self._check_slice_filters(filters)
        slice_id = id or new_id()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO slices (id, organization_id, name, filters, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (slice_id, self.actor.organization_id, name, dumps(checked), now_ts()),
            )
        return self.get_slice(slice_id)

    @staticmethod
    def _check_slice_filters(filters: Any) -> dict[str, Any]:
        if not isinstance(filters, Mapping) or not filters:
            raise InvalidInput(
                "slice filters must be a non-empty dict with keys from"
                f" {', '.join(SLICE_FILTER_KEYS)}"
            )
        out: dict[str, Any] = {}
        for key, value in filters.items():
            if key not in SLICE_FILTER_KEYS:
                raise InvalidInput(
                    f"unknown slice filter {key!r}; allowed: {', '.join(SLICE_FILTER_KEYS)}"
                )
            if key == "has_labels":
                if not isinstance(value, bool):
                    raise InvalidInput("slice filter has_labels must be true or false")
                out[key] = value
            elif key == "last_activity_at":
                if not (isinstance(value, (list, tuple)) and len(value) == 2):
                    raise InvalidInput("slice filter last_activity_at must be [start, end]")
                for v in value:
                    if v is not None:
                        try:
                            to_epoch(require_str(v, "last_activity_at bound"))
                        except ValueError:
                            raise InvalidInput(
                                f"slice filter last_activity_at: {v!r} is not ISO 8601"
                            ) from None
                out[key] = list(value)
            else:
                if (
                    not isinstance(value, (list, tuple))
                    or not value
                    or not all(isinstance(v, str) and v for v in value)
                ):
                    raise InvalidInput(f"slice filter {key} must be a non-empty list of strings")
                if key == "media_types":
                    value = [MediaType.parse(v).value for v in value]
                out[key] = list(value)
        return out

    def get_slice(self, slice_id: str) -> dict[str, Any]:
        """A slice's record with its saved filters."""
        row = self.db.one(
            "SELECT id, name, filters, created_at FROM slices WHERE id = ?",
            (slice_id,),
            "slice",
            slice_id,
        )
        return {"id": row[0], "name": row[1], "filters": loads(row[2]), "created_at": row[3]}

    def list_slices(self) -> list[dict[str, Any]]:
        """Every slice, oldest first."""
        return [
            self.get_slice(r[0]) for r in self.db.conn.execute("SELECT id FROM slices ORDER BY id")
        ]

    def count_slice_rows(self, filters: Mapping[str, Any]) -> int:
        """How many data rows a slice's saved ``filters`` match now (one count query)."""
        where, params = self.slice_where(filters)
        row = self.db.conn.execute(f"SELECT COUNT(*) FROM data_rows d WHERE {where}", params)
        return int(row.fetchone()[0])

    def slice_where(self, filters: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """SQL condition on ``data_rows d`` for a slice's saved filters.

        Every term on ``d`` carries a unary ``+`` so SQLite walks ``data_rows`` in ``rid``
        order (each page of the export a seek) instead of picking an index on the term and
        sorting everything it matches once per page."""
        clauses: list[str] = ["+d.organization_id = ?"]
        params: list[Any] = [self.actor.organization_id]
        column = {
            "dataset_ids": "d.dataset_id",
            "media_types": "d.media_type",
            "data_row_ids": "d.id",
            "global_keys": "d.global_key",
        }
        for key, value in filters.items():
            if key in column:
                clauses.append(f"+{column[key]} IN ({placeholders(len(value))})")
                params.extend(value)
            elif key == "project_ids":
                clauses.append(
                    f"EXISTS (SELECT 1 FROM project_data_rows p WHERE p.data_row_id = d.id"
                    f" AND p.project_id IN ({placeholders(len(value))}))"
                )
                params.extend(value)
            elif key == "model_run_ids":
                clauses.append(
                    f"EXISTS (SELECT 1 FROM model_run_data_rows m WHERE m.data_row_id = d.id"
                    f" AND m.model_run_id IN ({placeholders(len(value))}))"
                )
                params.extend(value)
            elif key == "has_labels":
                clauses.append(
                    ("" if value else "NOT ")
                    + "EXISTS (SELECT 1 FROM labels l WHERE l.data_row_id = d.id)"
                )
            elif key == "last_activity_at":
                start, end = (to_epoch(v) for v in value)
                if start is not None:
                    clauses.append("+d.last_activity_ts >= ?")
                    params.append(start)
                if end is not None:
                    clauses.append("+d.last_activity_ts <= ?")
                    params.append(end)
        return " AND ".join(clauses), params
