"""Ontologies: the tools and classifications labels are checked against."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from rowport.entities._handle import Handle

if TYPE_CHECKING:
    from rowport.client import Client

__all__ = ["Ontology"]


@attrs.define(kw_only=True, eq=False, repr=False)
class Ontology(Handle):
    """An ontology with its features nested as the spec gave them, ids filled in.

    ``tools`` and ``classifications`` are lists of dicts in the spec format of the catalog
    guide, each with its ``feature_schema_id`` and ``value``.
    """

    name: str
    media_type: str | None
    created_at: str
    tools: list[dict[str, Any]]
    classifications: list[dict[str, Any]]

    @classmethod
    def from_record(cls, client: Client, record: Mapping[str, Any]) -> Ontology:
        """A handle on a catalog record of an ontology."""
        return cls(
            client=client,
            uid=record["id"],
            name=record["name"],
            media_type=record["media_type"],
            created_at=record["created_at"],
            tools=record["tools"],
            classifications=record["classifications"],
        )

    def features(self) -> dict[str, str]:
        """Every feature's name by its ``feature_schema_id`` (tools, questions, answers)."""
        out: dict[str, str] = {}

        def walk(nodes: list[dict[str, Any]]) -> None:
            for node in nodes:
                out[node["feature_schema_id"]] = node["name"]
                walk(node.get("classifications") or [])
                walk(node.get("options") or [])

        walk(self.tools)
        walk(self.classifications)
        return out
