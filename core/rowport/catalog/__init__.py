"""The catalog: every entity rowport exports, in one embedded SQLite database.

All SQL lives in this package. :class:`Catalog` is the one object the rest of rowport talks to;
its parts are split by domain into mixins (data rows, ontologies, projects, models, tasks), and
ingest is the standalone :class:`~rowport.catalog._ingest.Importer` it holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rowport.catalog._db import Database
from rowport.catalog._export_reads import ExportPlan, ExportReadsMixin
from rowport.catalog._ingest import Importer, IngestProgress, IngestReport, ProgressCallback
from rowport.catalog._ontology import AnnotationProblem, OntologyIndex
from rowport.catalog._tasks import TasksMixin

__all__ = [
    "AnnotationProblem",
    "Catalog",
    "ExportPlan",
    "Importer",
    "IngestProgress",
    "IngestReport",
    "OntologyIndex",
    "ProgressCallback",
]


class Catalog(ExportReadsMixin, TasksMixin):
    """The catalog database at ``path`` (created and migrated on first open)."""

    def __init__(self, path: Path, *, user_email: str = "admin@rowport.local") -> None:
        super().__init__(Database(path), user_email=user_email)
        self.importer = Importer(
            self.db, organization_id=self.organization_id, user_email=self.user_email
        )

    def import_rows(
        self,
        rows: Iterable[Any],
        *,
        strict: bool = False,
        batch_size: int = 1000,
        first_line: int = 1,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Load export-format rows with their ids (see :meth:`Importer.import_rows`)."""
        return self.importer.import_rows(
            rows, strict=strict, batch_size=batch_size, first_line=first_line, progress=progress
        )

    def import_file(
        self,
        path: Path,
        *,
        strict: bool = False,
        batch_size: int = 1000,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Load an NDJSON file in the export format (see :meth:`Importer.import_file`)."""
        return self.importer.import_file(
            path, strict=strict, batch_size=batch_size, progress=progress
        )

    def close(self) -> None:
        """Close the database connections."""
        self.db.close()
