"""Projects, tags, batches, workflow state and history, labels and reviews."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from rowport._canonical import annotation_skeleton, canonical_annotations
from rowport._ids import new_id
from rowport._time import now_ts, parse_ts
from rowport.catalog._base import (
    Activity,
    Actor,
    chunked,
    dumps,
    loads,
    optional_str,
    placeholders,
    require_str,
    select_in,
)
from rowport.catalog._datarows import RowStore
from rowport.catalog._db import Connection, Database
from rowport.catalog._ontology import OntologyStore
from rowport.errors import CatalogError, InvalidInput
from rowport.media_types import MediaType
from rowport.request import HISTORY_ROW

__all__ = ["WORKFLOW_STATUSES", "WORKFLOW_TASK_NAMES", "ProjectStore", "default_annotations"]

WORKFLOW_STATUSES = ("TO_LABEL", "IN_REVIEW", "IN_REWORK", "DONE")
WORKFLOW_TASK_NAMES = {
    "TO_LABEL": "Initial labeling task",
    "IN_REVIEW": "Initial review task",
    "IN_REWORK": "Rework",
    "DONE": "Done",
}
_STATUS_ALIASES = {
    "ToLabel": "TO_LABEL",
    "InReview": "IN_REVIEW",
    "InRework": "IN_REWORK",
    "Done": "DONE",
}
_LABEL_KEYS = (
    "data_row_id",
    "global_key",
    "annotations",
    "id",
    "label_kind",
    "version",
    "created_by",
    "created_at",
    "performance_details",
    "seconds_to_create",
    "seconds_to_review",
    "seconds_to_rework",
    "skipped",
)


def workflow_status(value: Any) -> str:
    """Normalise ``ToLabel`` / ``TO_LABEL`` style statuses, or raise naming the allowed ones."""
    if isinstance(value, str):
        if value in WORKFLOW_STATUSES:
            return value
        if value in _STATUS_ALIASES:
            return _STATUS_ALIASES[value]
    allowed = ", ".join((*WORKFLOW_STATUSES, *_STATUS_ALIASES))
    raise InvalidInput(f"unknown workflow status {value!r}; allowed: {allowed}")


@functools.lru_cache(maxsize=4096)
def workflow_task_id(project_id: str, status: str) -> str:
    """The id of a project's workflow task queue for ``status`` (stable, 25 characters)."""
    digest = hashlib.sha256(f"{project_id}/{status}".encode()).digest()
    n = int.from_bytes(digest[:16], "big")
    chars = []
    for _ in range(24):
        n, r = divmod(n, 36)
        chars.append("0123456789abcdefghijklmnopqrstuvwxyz"[r])
    return "c" + "".join(chars)


def default_annotations(media_type: str) -> dict[str, Any]:
    """The empty ``annotations`` object of a label for ``media_type``, in export key order."""
    return annotation_skeleton(media_type)


def _performance(spec: Mapping[str, Any], at: str) -> dict[str, Any] | None:
    if "performance_details" in spec:
        perf = spec["performance_details"]
        if perf is not None and not isinstance(perf, Mapping):
            raise InvalidInput(f"{at}.performance_details must be a dict")
        return dict(perf) if perf is not None else None
    nums = {}
    for key in ("seconds_to_create", "seconds_to_review", "seconds_to_rework"):
        v = spec.get(key, 0)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise InvalidInput(f"{at}.{key} must be a non-negative number, got {v!r}")
        nums[key] = v
    skipped = spec.get("skipped", False)
    if not isinstance(skipped, bool):
        raise InvalidInput(f"{at}.skipped must be true or false")
    return {
        "seconds_to_create": nums["seconds_to_create"],
        "seconds_to_review": nums["seconds_to_review"],
        "skipped": skipped,
        "performance_details_v2": {
            "seconds_to_create": nums["seconds_to_create"],
            "seconds_to_review": nums["seconds_to_review"],
            "seconds_to_rework": nums["seconds_to_rework"],
            "seconds_total": sum(nums.values()),
        },
    }


class ProjectStore:
    """Projects and what happens to data rows inside them: tags, batches, workflow state and
    history, labels and reviews."""

    def __init__(
        self,
        db: Database,
        actor: Actor,
        activity: Activity,
        rows: RowStore,
        ontologies: OntologyStore,
    ) -> None:
        self.db = db
        self.actor = actor
        self.activity = activity
        self.rows = rows
        self.ontologies = ontologies

    # -- projects ---------------------------------------------------------------------------

    def create_project(
        self,
        name: str,
        media_type: str | MediaType,
        ontology_id: str | None = None,
        *,
        description: str | None = None,
        id: str | None = None,
        created_at: str | None = None,
    ) -> dict[str, Any]:
        """Create a project for one media type, labelled with an ontology."""
        require_str(name, "project name")
        media = MediaType.parse(media_type)
        if ontology_id is not None:
            self.ontologies.require_ontology(ontology_id)
        project_id = id or new_id()
        ts = created_at or now_ts()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO projects (id, organization_id, name, media_type, ontology_id,"
                " description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    project_id,
                    self.actor.organization_id,
                    name,
                    media.value,
                    ontology_id,
                    description,
                    ts,
                    ts,
                ),
            )
        return self.get_project(project_id)

    def get_project(self, project_id: str) -> dict[str, Any]:
        """A project's record; :class:`NotFound` when there is none."""
        row = self.db.one(
            "SELECT id, name, media_type, ontology_id, description, created_at FROM projects"
            " WHERE id = ?",
            (project_id,),
            "project",
            project_id,
        )
        keys = ("id", "name", "media_type", "ontology_id", "description", "created_at")
        return dict(zip(keys, row, strict=True))

    def list_projects(self) -> list[dict[str, Any]]:
        """Every project, oldest first."""
        ids = [
            r[0] for r in self.db.conn.execute("SELECT id FROM projects ORDER BY created_at, id")
        ]
        return [self.get_project(i) for i in ids]

    def project_counts(self) -> dict[str, dict[str, int]]:
        """``{"rows", "labels"}`` of each project by project id: the data rows queued in it
        (batched or not) and its labels, in one aggregate query that reads no label."""
        return {
            project_id: {"rows": rows, "labels": labels}
            for project_id, rows, labels in self.db.conn.execute(
                "SELECT p.id,"
                " (SELECT COUNT(*) FROM project_data_rows WHERE project_id = p.id),"
                " (SELECT COUNT(*) FROM labels WHERE project_id = p.id)"
                " FROM projects p"
            )
        }

    def set_project_ontology(self, project_id: str, ontology_id: str) -> None:
        """Attach an ontology to a project."""
        self.get_project(project_id)
        self.ontologies.require_ontology(ontology_id)
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE projects SET ontology_id = ? WHERE id = ?", (ontology_id, project_id)
            )

    def add_project_tags(
        self, project_id: str, tags: Sequence[Mapping[str, Any] | str]
    ) -> list[dict[str, Any]]:
        """Tag a project; a tag is ``{"text", "color"}`` or just its text."""
        self.get_project(project_id)
        rows = []
        for i, tag in enumerate(tags):
            if isinstance(tag, str):
                tag = {"text": tag}
            if not isinstance(tag, Mapping):
                raise InvalidInput(f"tags[{i}] must be a dict with text (and color) or a string")
            rows.append(
                (
                    optional_str(tag.get("id"), f"tags[{i}].id") or new_id(),
                    require_str(tag.get("text"), f"tags[{i}].text"),
                    optional_str(tag.get("color"), f"tags[{i}].color"),
                )
            )
        with self.db.transaction() as conn:
            start = conn.execute(
                "SELECT COALESCE(MAX(position) + 1, 0) FROM project_tags WHERE project_id = ?",
                (project_id,),
            ).fetchone()[0]
            conn.executemany(
                "INSERT OR IGNORE INTO project_tags (id, project_id, position, text, color)"
                " VALUES (?, ?, ?, ?, ?)",
                [(r[0], project_id, start + i, r[1], r[2]) for i, r in enumerate(rows)],
            )
        return self.project_tags(project_id)

    def project_tags(self, project_id: str) -> list[dict[str, Any]]:
        """A project's tags as the export writes them."""
        return [
            {"id": r[0], "text": r[1], "color": r[2]}
            for r in self.db.conn.execute(
                "SELECT id, text, color FROM project_tags WHERE project_id = ? ORDER BY position",
                (project_id,),
            )
        ]

    # -- batches and workflow ---------------------------------------------------------------

    def create_batch(
        self,
        project_id: str,
        name: str,
        data_row_ids: Sequence[str],
        *,
        priority: int = 5,
        id: str | None = None,
    ) -> dict[str, Any]:
        """Queue data rows in a project as one batch; rows start in ``TO_LABEL``."""
        project = self.get_project(project_id)
        require_str(name, "batch name")
        if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 5:
            raise InvalidInput(
                f"batch priority must be an int from 1 (highest) to 5, got {priority!r}"
            )
        ids = list(dict.fromkeys(data_row_ids))
        if not ids:
            raise InvalidInput("a batch needs at least one data row")
        rows = self.rows.get_data_rows(ids)
        wrong = [r["id"] for r in rows if r["media_type"] != project["media_type"]]
        if wrong:
            raise InvalidInput(
                f"data rows {', '.join(wrong[:5])} are not {project['media_type']} rows;"
                f" project {project_id} labels {project['media_type']}"
            )
        batch_id = id or new_id()
        ts = now_ts()
        with self.db.transaction() as conn:
            queued = self._rows_in_project(conn, project_id, ids)
            if queued:
                raise CatalogError(
                    f"data rows already in project {project_id}: {', '.join(sorted(queued)[:5])}"
                )
            conn.execute(
                "INSERT INTO batches (id, project_id, name, priority, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (batch_id, project_id, name, priority, ts),
            )
            rids = dict(
                r
                for part in chunked(ids)
                for r in conn.execute(
                    f"SELECT id, rid FROM data_rows WHERE id IN ({placeholders(len(part))})",
                    tuple(part),
                )
            )
            task = workflow_task_id(project_id, "TO_LABEL")
            conn.executemany(
                "INSERT INTO project_data_rows (project_id, data_row_id, data_row_rid, batch_id,"
                " workflow_status, task_id, task_name, priority, ontology_id, added_at)"
                " VALUES (?, ?, ?, ?, 'TO_LABEL', ?, ?, ?, ?, ?)",
                [
                    (
                        project_id,
                        i,
                        rids[i],
                        batch_id,
                        task,
                        WORKFLOW_TASK_NAMES["TO_LABEL"],
                        priority,
                        project["ontology_id"],
                        ts,
                    )
                    for i in ids
                ],
            )
            conn.executemany(
                "INSERT INTO workflow_history (project_id, data_row_id, action, created_at,"
                " created_by, next_task_id, next_task_name) VALUES (?, ?, 'CREATED', ?, ?, ?, ?)",
                [
                    (
                        project_id,
                        i,
                        ts,
                        self.actor.user_email,
                        task,
                        WORKFLOW_TASK_NAMES["TO_LABEL"],
                    )
                    for i in ids
                ],
            )
            self.activity.touch(conn, ids, ts)
        return self.get_batch(batch_id)

    def _rows_in_project(self, conn: Connection, project_id: str, ids: Sequence[str]) -> set[str]:
        sql = (
            "SELECT data_row_id FROM project_data_rows WHERE project_id = ? AND data_row_id IN ({})"
        )
        return {r[0] for r in select_in(conn, sql, ids, project_id)}

    def get_batch(self, batch_id: str) -> dict[str, Any]:
        """A batch with its row count."""
        row = self.db.one(
            "SELECT id, project_id, name, priority, created_at,"
            " (SELECT COUNT(*) FROM project_data_rows WHERE batch_id = batches.id)"
            " FROM batches WHERE id = ?",
            (batch_id,),
            "batch",
            batch_id,
        )
        keys = ("id", "project_id", "name", "priority", "created_at", "size")
        return dict(zip(keys, row, strict=True))

    def list_batches(self, project_id: str) -> list[dict[str, Any]]:
        """The batches of a project, oldest first."""
        ids = [
            r[0]
            for r in self.db.conn.execute(
                "SELECT id FROM batches WHERE project_id = ? ORDER BY created_at, id", (project_id,)
            )
        ]
        return [self.get_batch(i) for i in ids]

    def move_to_status(self, project_id: str, data_row_ids: Sequence[str], status: str) -> None:
        """Move rows of a project to another workflow status, recording history."""
        self.get_project(project_id)
        target = workflow_status(status)
        ids = list(dict.fromkeys(data_row_ids))
        ts = now_ts()
        with self.db.transaction() as conn:
            current = {
                r[0]: (r[1], r[2])
                for part in chunked(ids)
                for r in conn.execute(
                    f"SELECT data_row_id, task_id, task_name FROM project_data_rows"
                    f" WHERE project_id = ? AND data_row_id IN ({placeholders(len(part))})",
                    (project_id, *part),
                )
            }
            missing = [i for i in ids if i not in current]
            if missing:
                raise InvalidInput(
                    f"data rows not in project {project_id}: {', '.join(missing[:5])}"
                )
            task = workflow_task_id(project_id, target)
            name = WORKFLOW_TASK_NAMES[target]
            conn.executemany(
                "UPDATE project_data_rows SET workflow_status = ?, task_id = ?, task_name = ?"
                " WHERE project_id = ? AND data_row_id = ?",
                [(target, task, name, project_id, i) for i in ids],
            )
            action = "MOVE_TO_DONE" if target == "DONE" else f"MOVE_TO_{target}"
            conn.executemany(
                "INSERT INTO workflow_history (project_id, data_row_id, action, created_at,"
                " created_by, previous_task_id, previous_task_name, next_task_id, next_task_name)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (project_id, i, action, ts, self.actor.user_email, *current[i], task, name)
                    for i in ids
                ],
            )
            self.activity.touch(conn, ids, ts)

    def workflow_state(self, project_id: str, data_row_id: str) -> dict[str, Any]:
        """A row's workflow state in a project, with its history."""
        row = self.db.one(
            "SELECT workflow_status, task_id, task_name, batch_id, priority, selected_label_id,"
            " consensus_expected_label_count FROM project_data_rows"
            " WHERE project_id = ? AND data_row_id = ?",
            (project_id, data_row_id),
            "data row in project",
            data_row_id,
        )
        keys = (
            "workflow_status",
            "task_id",
            "task_name",
            "batch_id",
            "priority",
            "selected_label_id",
            "consensus_expected_label_count",
        )
        out = dict(zip(keys, row, strict=True))
        events = HISTORY_ROW.columns[2:]  # the history layout less its row and project ids
        out["workflow_history"] = [
            dict(zip(events, r, strict=True))
            for r in self.db.conn.execute(
                f"SELECT {', '.join(events)} FROM workflow_history"
                " WHERE project_id = ? AND data_row_id = ? ORDER BY seq",
                (project_id, data_row_id),
            )
        ]
        return out

    # -- labels and reviews -----------------------------------------------------------------

    def import_labels(
        self, project_id: str, labels: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Add labels to rows of a project; every feature must be in the project's ontology.

        All or nothing: the first problem raises :class:`InvalidInput` naming the label and
        the annotation, and nothing is stored.
        """
        project = self.get_project(project_id)
        if not project["ontology_id"]:
            raise InvalidInput(f"project {project_id} has no ontology; set one before labelling")
        index = self.ontologies.ontology_index(project["ontology_id"])
        keys = [
            lab.get("global_key")
            for lab in labels
            if isinstance(lab, Mapping) and lab.get("global_key") and not lab.get("data_row_id")
        ]
        by_key = self.rows.resolve_global_keys([k for k in keys if isinstance(k, str)])
        prepared: list[dict[str, Any]] = []
        for i, spec in enumerate(labels):
            at = f"labels[{i}]"
            if not isinstance(spec, Mapping):
                raise InvalidInput(f"{at} must be a dict")
            unknown = sorted(set(spec) - set(_LABEL_KEYS))
            if unknown:
                raise InvalidInput(
                    f"{at}: unknown keys {', '.join(unknown)}; allowed: {', '.join(_LABEL_KEYS)}"
                )
            row_id = spec.get("data_row_id")
            if row_id is None and spec.get("global_key") is not None:
                row_id = by_key.get(spec["global_key"])
                if row_id is None:
                    raise InvalidInput(f"{at}: no data row has global key {spec['global_key']!r}")
            require_str(row_id, f"{at}.data_row_id")
            raw = spec.get("annotations")
            if raw is None:
                raw = default_annotations(project["media_type"])
            annotations, problems = self.ontologies.check_annotations(raw, index)
            if problems:
                p = problems[0]
                raise InvalidInput(f"{at}: {p.path}: {p.message}")
            annotations = canonical_annotations(project["media_type"], annotations)
            created_at = optional_str(spec.get("created_at"), f"{at}.created_at") or now_ts()
            try:
                parse_ts(created_at)
            except ValueError:
                raise InvalidInput(
                    f"{at}.created_at: {created_at!r} is not an ISO 8601 timestamp"
                ) from None
            prepared.append(
                {
                    "id": optional_str(spec.get("id"), f"{at}.id") or new_id(),
                    "data_row_id": row_id,
                    "label_kind": optional_str(spec.get("label_kind"), f"{at}.label_kind")
                    or ("Video" if project["media_type"] == "video" else "Default"),
                    "version": optional_str(spec.get("version"), f"{at}.version") or "1.0.0",
                    "annotations": annotations,
                    "created_at": created_at,
                    "created_by": optional_str(spec.get("created_by"), f"{at}.created_by")
                    or self.actor.user_email,
                    "performance": _performance(spec, at),
                }
            )
        with self.db.transaction() as conn:
            inside = self._rows_in_project(conn, project_id, [p["data_row_id"] for p in prepared])
            outside = [p["data_row_id"] for p in prepared if p["data_row_id"] not in inside]
            if outside:
                raise InvalidInput(
                    f"data rows not in project {project_id}: {', '.join(outside[:5])};"
                    " add them with a batch first"
                )
            self.write_labels(conn, project_id, prepared)
        return [self.get_label(p["id"]) for p in prepared]

    def write_labels(
        self,
        conn: Connection,
        project_id: str,
        prepared: Sequence[Mapping[str, Any]],
        *,
        touch: bool = True,
    ) -> None:
        """Insert checked labels, select the first of each row, and bump activity."""
        conn.executemany(
            "INSERT INTO labels (id, project_id, data_row_id, label_kind, version, annotations,"
            " created_at, created_ts, updated_at, created_by, content_last_updated_at,"
            " performance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    p["id"],
                    project_id,
                    p["data_row_id"],
                    p["label_kind"],
                    p["version"],
                    dumps(p["annotations"]),
                    p["created_at"],
                    parse_ts(p["created_at"]).timestamp(),
                    p.get("updated_at") or p["created_at"],
                    p["created_by"],
                    p.get("content_last_updated_at") or p["created_at"],
                    dumps(p["performance"]) if p["performance"] is not None else None,
                )
                for p in prepared
            ],
        )
        conn.executemany(
            "UPDATE project_data_rows SET selected_label_id = ? WHERE project_id = ?"
            " AND data_row_id = ? AND selected_label_id IS NULL",
            [(p["id"], project_id, p["data_row_id"]) for p in prepared],
        )
        if touch:
            self.activity.touch(conn, [p["data_row_id"] for p in prepared])

    def get_label(self, label_id: str) -> dict[str, Any]:
        """A label with its annotations, details and reviews."""
        row = self.db.one(
            "SELECT id, project_id, data_row_id, label_kind, version, annotations, created_at,"
            " updated_at, created_by, content_last_updated_at, performance FROM labels"
            " WHERE id = ?",
            (label_id,),
            "label",
            label_id,
        )
        keys = (
            "id",
            "project_id",
            "data_row_id",
            "label_kind",
            "version",
            "annotations",
            "created_at",
            "updated_at",
            "created_by",
            "content_last_updated_at",
            "performance_details",
        )
        out = dict(zip(keys, row, strict=True))
        out["annotations"] = loads(out["annotations"])
        out["performance_details"] = loads(out["performance_details"])
        out["reviews"] = [
            {"id": r[0], "action": r[1], "created_at": r[2], "created_by": r[3]}
            for r in self.db.conn.execute(
                "SELECT id, action, created_at, created_by FROM reviews WHERE label_id = ?"
                " ORDER BY created_at, rowid",
                (label_id,),
            )
        ]
        return out

    def list_labels(self, project_id: str) -> list[dict[str, Any]]:
        """The labels of a project in creation order."""
        ids = [
            r[0]
            for r in self.db.conn.execute(
                "SELECT id FROM labels WHERE project_id = ? ORDER BY rid", (project_id,)
            )
        ]
        return [self.get_label(i) for i in ids]

    def add_review(self, label_id: str, action: str, *, id: str | None = None) -> dict[str, Any]:
        """Approve or reject a label; bumps its row's last activity."""
        label = self.get_label(label_id)
        if action not in ("Approve", "Reject"):
            raise InvalidInput(f"review action must be 'Approve' or 'Reject', got {action!r}")
        review_id = id or new_id()
        ts = now_ts()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO reviews (id, label_id, action, created_at, created_by)"
                " VALUES (?, ?, ?, ?, ?)",
                (review_id, label_id, action, ts, self.actor.user_email),
            )
            self.activity.touch(conn, [label["data_row_id"]], ts)
        return {
            "id": review_id,
            "action": action,
            "created_at": ts,
            "created_by": self.actor.user_email,
        }
