"""The catalog: every entity rowport exports, in one embedded SQLite database (or the
PostgreSQL database ``ROWPORT_DATABASE_URL`` names: ``_postgres``).

All SQL lives in this package. :class:`Catalog` holds one store per domain, each a plain class
handed the collaborators it uses (the :class:`Database`, the acting :class:`Actor`, the
:class:`Activity` clock, and the stores it reads). What the runner and task manager need from
storage is two protocols, :class:`ExportSource` and :class:`TaskStore` (``_protocols.py``).
"""

from __future__ import annotations

from pathlib import Path

from rowport.catalog._attempts import SQLiteTaskHistory
from rowport.catalog._base import Activity, Actor
from rowport.catalog._checks import CheckStore
from rowport.catalog._datarows import RowStore
from rowport.catalog._db import DATABASE_URL_ENV, Database, database_url, open_database
from rowport.catalog._doctor import CatalogCheck, check_catalog
from rowport.catalog._export_reads import ExportPlan, SQLiteExportSource
from rowport.catalog._ingest import Importer, IngestProgress, IngestReport, ProgressCallback
from rowport.catalog._keys import ApiKey, KeyStore
from rowport.catalog._liveness import DEFAULT_HEARTBEAT
from rowport.catalog._models import ModelStore
from rowport.catalog._ontology import AnnotationProblem, OntologyIndex, OntologyStore
from rowport.catalog._organization import OrganizationStore
from rowport.catalog._projects import ProjectStore
from rowport.catalog._protocols import (
    FINAL_STATUSES,
    LABELS_UNREADY,
    READABLE_STATUSES,
    DeferredPlanState,
    ExportPlanSummary,
    ExportSource,
    PlanState,
    PlanT,
    ResumableSource,
    SectionRow,
    ShardableSource,
    TaskAttempt,
    TaskHistory,
    TaskRecord,
    TaskStatus,
    TaskStore,
)
from rowport.catalog._tasks import SQLiteTaskStore

__all__ = [
    "DATABASE_URL_ENV",
    "DEFAULT_HEARTBEAT",
    "FINAL_STATUSES",
    "LABELS_UNREADY",
    "READABLE_STATUSES",
    "Activity",
    "Actor",
    "AnnotationProblem",
    "ApiKey",
    "Catalog",
    "CatalogCheck",
    "CheckStore",
    "Database",
    "DeferredPlanState",
    "ExportPlan",
    "ExportPlanSummary",
    "ExportSource",
    "Importer",
    "IngestProgress",
    "IngestReport",
    "KeyStore",
    "ModelStore",
    "OntologyIndex",
    "OntologyStore",
    "OrganizationStore",
    "PlanState",
    "PlanT",
    "ProgressCallback",
    "ProjectStore",
    "ResumableSource",
    "RowStore",
    "SQLiteExportSource",
    "SQLiteTaskHistory",
    "SQLiteTaskStore",
    "SectionRow",
    "ShardableSource",
    "TaskAttempt",
    "TaskHistory",
    "TaskRecord",
    "TaskStatus",
    "TaskStore",
    "check_catalog",
    "database_url",
    "open_database",
]


class Catalog:
    """The catalog database at ``path`` (created and migrated on first open; the PostgreSQL
    database of ``ROWPORT_DATABASE_URL`` when that is set), as one store per domain:

    - ``rows``: datasets, data rows, metadata schemas and values, attachments, embeddings,
      media attributes (:class:`RowStore`);
    - ``ontologies``: ontologies and checking annotations against them (:class:`OntologyStore`);
    - ``projects``: projects, tags, batches, workflow, labels, reviews (:class:`ProjectStore`);
    - ``models``: models, model runs with their rows, labels, predictions and splits, slices
      (:class:`ModelStore`);
    - ``checks``: what plugins found checking labels, remembered by content
      (:class:`CheckStore`);
    - ``tasks``: export task records (:class:`SQLiteTaskStore`, a :class:`TaskStore`);
    - ``task_history``: the attempts of tasks and the links of retries
      (:class:`SQLiteTaskHistory`, a :class:`TaskHistory`);
    - ``reads``: an export's plan and batch reads (:class:`SQLiteExportSource`, an
      :class:`ExportSource`);
    - ``importer``: loading export-format rows back, standalone with its own bulk SQL
      (:class:`Importer`);
    - ``organization``: the organization and its users (:class:`OrganizationStore`).

    A catalog database holds one organization (``organization_name`` names it when the
    database is new): its reads by id are not filtered by organization, so a home keeps each
    further organization in a catalog of its own (see :mod:`rowport._organizations`).
    """

    def __init__(
        self,
        path: Path,
        *,
        user_email: str = "admin@rowport.local",
        organization_name: str = "rowport",
        database: Database | None = None,
    ) -> None:
        """``database`` is the catalog's open database, when not the one ``path`` names."""
        self.db = open_database(path) if database is None else database
        self.actor = Actor.ensure(self.db, user_email, organization_name=organization_name)
        self.activity = Activity()
        self.organization = OrganizationStore(self.db, self.actor)
        self.rows = RowStore(self.db, self.actor, self.activity)
        self.ontologies = OntologyStore(self.db, self.actor)
        self.projects = ProjectStore(self.db, self.actor, self.activity, self.rows, self.ontologies)
        self.models = ModelStore(
            self.db, self.actor, self.activity, self.rows, self.ontologies, self.projects
        )
        self.tasks = SQLiteTaskStore(self.db, self.actor)
        self.checks = CheckStore(self.db, self.actor)
        self.task_history = SQLiteTaskHistory(self.db)
        self.reads = SQLiteExportSource(self.db, self.actor, self.rows, self.projects, self.models)
        self.importer = Importer(
            self.db, organization_id=self.actor.organization_id, user_email=self.actor.user_email
        )

    @property
    def organization_id(self) -> str:
        """The id of the catalog's organization."""
        return self.actor.organization_id

    @property
    def user_email(self) -> str:
        """The acting user, recorded as ``created_by``."""
        return self.actor.user_email

    def close(self) -> None:
        """Close the database connections."""
        self.db.close()
