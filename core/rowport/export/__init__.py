"""Turning an export request into rows: planning (in the catalog) and assembly."""

from __future__ import annotations

from rowport._canonical import annotation_skeleton, canonical_annotations
from rowport.export._assemble import RowAssembler, problem, sections_read_by
from rowport.export._labels import CatalogLabel

__all__ = [
    "CatalogLabel",
    "RowAssembler",
    "annotation_skeleton",
    "canonical_annotations",
    "problem",
    "sections_read_by",
]
