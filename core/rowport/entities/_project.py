"""Projects, their batches and labels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from rowport.entities._handle import Handle, resolve_data_rows, uids
from rowport.entities._ontology import Ontology
from rowport.errors import InvalidInput
from rowport.request import ExportKind

if TYPE_CHECKING:
    from rowport.client import Client
    from rowport.entities._dataset import DataRow
    from rowport.tasks import ExportTask

__all__ = ["Batch", "Label", "Project"]


@attrs.define(kw_only=True, eq=False, repr=False)
class Batch(Handle):
    """Data rows queued in a project together, with one priority (1 highest, 5 lowest)."""

    project_id: str
    name: str
    priority: int
    size: int
    created_at: str

    @classmethod
    def from_record(cls, client: Client, record: Mapping[str, Any]) -> Batch:
        """A handle on a catalog record of a batch."""
        return cls(
            client=client,
            uid=record["id"],
            project_id=record["project_id"],
            name=record["name"],
            priority=record["priority"],
            size=record["size"],
            created_at=record["created_at"],
        )


@attrs.define(kw_only=True, eq=False, repr=False)
class Label(Handle):
    """A label: the annotations of one data row in one project, with its reviews."""

    project_id: str
    data_row_id: str
    label_kind: str
    version: str
    annotations: dict[str, Any]
    created_at: str
    updated_at: str
    created_by: str | None
    performance_details: dict[str, Any] | None
    reviews: list[dict[str, Any]]

    @classmethod
    def from_record(cls, client: Client, record: Mapping[str, Any]) -> Label:
        """A handle on a catalog record of a label."""
        return cls(
            client=client,
            uid=record["id"],
            project_id=record["project_id"],
            data_row_id=record["data_row_id"],
            label_kind=record["label_kind"],
            version=record["version"],
            annotations=record["annotations"],
            created_at=record["created_at"],
            updated_at=record["updated_at"],
            created_by=record["created_by"],
            performance_details=record["performance_details"],
            reviews=record["reviews"],
        )

    def __repr__(self) -> str:
        return f"<Label {self.uid} of {self.data_row_id}>"

    def add_review(self, action: str) -> dict[str, Any]:
        """Approve (``"Approve"``) or reject (``"Reject"``) this label; returns the review."""
        review: dict[str, Any] = self.client.backend.call(
            "catalog.projects.add_review", label_id=self.uid, action=action
        )
        self.reviews.append(review)
        return review


@attrs.define(kw_only=True, eq=False, repr=False)
class Project(Handle):
    """A labelling project for one media type, with an ontology and a workflow."""

    name: str
    media_type: str
    ontology_id: str | None
    description: str | None
    created_at: str

    @classmethod
    def from_record(cls, client: Client, record: Mapping[str, Any]) -> Project:
        """A handle on a catalog record of a project."""
        return cls(
            client=client,
            uid=record["id"],
            name=record["name"],
            media_type=record["media_type"],
            ontology_id=record["ontology_id"],
            description=record["description"],
            created_at=record["created_at"],
        )

    # -- ontology ---------------------------------------------------------------------------

    def connect_ontology(self, ontology: Ontology | str) -> None:
        """Label this project with ``ontology`` (a handle or an id)."""
        ontology_id = ontology.uid if isinstance(ontology, Ontology) else ontology
        if not isinstance(ontology_id, str):
            raise InvalidInput(f"ontology must be an Ontology or an id, got {ontology!r}")
        self.client.backend.call(
            "catalog.projects.set_project_ontology", project_id=self.uid, ontology_id=ontology_id
        )
        self.ontology_id = ontology_id

    def ontology(self) -> Ontology | None:
        """The project's ontology as stored now, or None when it has none."""
        record = self.client.backend.call("catalog.projects.get_project", project_id=self.uid)
        if record["ontology_id"] is None:
            return None
        return self.client.get_ontology(record["ontology_id"])

    # -- batches and workflow ---------------------------------------------------------------

    def create_batch(
        self,
        name: str,
        data_rows: Iterable[DataRow | str] | None = None,
        global_keys: Sequence[str] | None = None,
        priority: int = 5,
    ) -> Batch:
        """Queue rows (ids or handles, or their global keys) in this project as one batch.

        Rows start in ``TO_LABEL``; each gets a ``CREATED`` workflow history entry.
        """
        ids = resolve_data_rows(self.client, data_rows, global_keys, what="create_batch")
        record = self.client.backend.call(
            "catalog.projects.create_batch",
            project_id=self.uid,
            name=name,
            data_row_ids=ids,
            priority=priority,
        )
        return Batch.from_record(self.client, record)

    def batches(self) -> list[Batch]:
        """The project's batches, oldest first."""
        return [
            Batch.from_record(self.client, r)
            for r in self.client.backend.call("catalog.projects.list_batches", project_id=self.uid)
        ]

    def move_data_rows_to_status(self, data_rows: Iterable[DataRow | str], status: str) -> None:
        """Move rows of this project to ``ToLabel``, ``InReview``, ``InRework`` or ``Done``
        (``TO_LABEL`` style works too), recording each move in the workflow history."""
        self.client.backend.call(
            "catalog.projects.move_to_status",
            project_id=self.uid,
            data_row_ids=uids(data_rows, "data_rows"),
            status=status,
        )

    def workflow_state(self, data_row: DataRow | str) -> dict[str, Any]:
        """A row's ``workflow_status``, task, batch, priority and ``workflow_history``."""
        (row_id,) = uids([data_row], "data_row")
        state: dict[str, Any] = self.client.backend.call(
            "catalog.projects.workflow_state", project_id=self.uid, data_row_id=row_id
        )
        return state

    # -- labels -----------------------------------------------------------------------------

    def import_labels(self, labels: Sequence[Mapping[str, Any]]) -> list[Label]:
        """Add labels ``{data_row_id | global_key, annotations, ...}``; all or nothing.

        Every object, classification and answer must name a feature of the project's ontology
        (by ``feature_schema_id`` or ``name``); each row must be queued in this project.
        """
        if isinstance(labels, Mapping):
            raise InvalidInput("labels must be a list of dicts, got one dict")
        records = self.client.backend.call(
            "catalog.projects.import_labels", project_id=self.uid, labels=labels
        )
        return [Label.from_record(self.client, r) for r in records]

    def labels(self) -> list[Label]:
        """The project's labels, oldest first."""
        return [
            Label.from_record(self.client, r)
            for r in self.client.backend.call("catalog.projects.list_labels", project_id=self.uid)
        ]

    # -- tags -------------------------------------------------------------------------------

    def add_tags(self, tags: Sequence[Mapping[str, Any] | str]) -> list[dict[str, Any]]:
        """Tag the project with ``{"text", "color"?}`` dicts or plain strings; returns all tags."""
        if isinstance(tags, (str, Mapping)):
            raise InvalidInput(f"tags must be a list, got {tags!r}")
        found: list[dict[str, Any]] = self.client.backend.call(
            "catalog.projects.add_project_tags", project_id=self.uid, tags=tags
        )
        return found

    def tags(self) -> list[dict[str, Any]]:
        """The project's tags as ``{"id", "text", "color"}``."""
        found: list[dict[str, Any]] = self.client.backend.call(
            "catalog.projects.project_tags", project_id=self.uid
        )
        return found

    # -- export -----------------------------------------------------------------------------

    def export(
        self,
        task_name: str | None = None,
        filters: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> ExportTask:
        """Export the rows queued in this project as a streaming task."""
        return self.client._export(
            ExportKind.PROJECT,
            [self.uid],
            params=params,
            filters=filters,
            task_name=task_name,
            **options,
        )

    def probe_media(
        self,
        *,
        only_missing: bool = True,
        task_name: str | None = None,
        plugin_options: Mapping[str, Any] | None = None,
    ) -> ExportTask:
        """Read the media of the rows queued in this project and store what it finds, as a
        task (see
        :meth:`Client.probe_media <rowport.Client.probe_media>`)."""
        return self.client._probe_media(
            ExportKind.PROJECT,
            [self.uid],
            only_missing=only_missing,
            task_name=task_name,
            plugin_options=plugin_options,
        )

    def export_v2(
        self,
        task_name: str | None = None,
        filters: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> ExportTask:
        """Deprecated: like :meth:`export`; the task's ``result`` holds every row at once."""
        return self.client._export(
            ExportKind.PROJECT,
            [self.uid],
            params=params,
            filters=filters,
            task_name=task_name,
            legacy=True,
        )
