"""Turning an export request into rows: planning (in the catalog) and assembly."""

from __future__ import annotations

from rowport.export._assemble import RowAssembler, problem

__all__ = ["RowAssembler", "problem"]
