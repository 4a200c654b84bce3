"""Loading rows in the export format, keeping their ids (``export(import(x)) == x``).

:class:`Importer` is standalone: it is given the database, the organization and the acting
user, and does its own bulk SQL. See ``_importer`` for the flow.
"""

from __future__ import annotations

from rowport.catalog._ingest._importer import Importer
from rowport.catalog._ingest._plan import IMPORT_DATASET_NAME, stored_annotations
from rowport.catalog._ingest._reader import iter_ndjson
from rowport.catalog._ingest._report import IngestProgress, IngestReport, ProgressCallback

__all__ = [
    "IMPORT_DATASET_NAME",
    "Importer",
    "IngestProgress",
    "IngestReport",
    "ProgressCallback",
    "iter_ndjson",
    "stored_annotations",
]
