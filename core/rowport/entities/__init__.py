"""Handles on catalog entities, shaped like the reference SDK's.

A handle is a snapshot of one record plus the :class:`~rowport.Client` it came from; its
methods act through ``client.catalog``. Handles compare equal when they name the same entity.
"""

from __future__ import annotations

from rowport.entities._dataset import DataRow, Dataset
from rowport.entities._handle import Handle
from rowport.entities._model import Model, ModelRun
from rowport.entities._ontology import Ontology
from rowport.entities._organization import Organization, User
from rowport.entities._project import Batch, Label, Project
from rowport.entities._slice import CatalogView, Slice

__all__ = [
    "Batch",
    "CatalogView",
    "DataRow",
    "Dataset",
    "Handle",
    "Label",
    "Model",
    "ModelRun",
    "Ontology",
    "Organization",
    "Project",
    "Slice",
    "User",
]
