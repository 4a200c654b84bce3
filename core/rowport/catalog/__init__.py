"""The catalog: every entity rowport exports, in one embedded SQLite database.

All SQL lives in this package. :class:`Catalog` is the one object the rest of rowport talks to;
its parts are split by domain into mixins (data rows, ontologies, projects, models, tasks).
"""

from __future__ import annotations

from pathlib import Path

from rowport.catalog._db import Database
from rowport.catalog._export_reads import ExportPlan, ExportReadsMixin
from rowport.catalog._ingest import IngestMixin, IngestReport
from rowport.catalog._ontology import AnnotationProblem, OntologyIndex
from rowport.catalog._tasks import TasksMixin

__all__ = ["AnnotationProblem", "Catalog", "ExportPlan", "IngestReport", "OntologyIndex"]


class Catalog(IngestMixin, ExportReadsMixin, TasksMixin):
    """The catalog database at ``path`` (created and migrated on first open)."""

    def __init__(self, path: Path, *, user_email: str = "admin@rowport.local") -> None:
        super().__init__(Database(path), user_email=user_email)

    def close(self) -> None:
        """Close the database connections."""
        self.db.close()
