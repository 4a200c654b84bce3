"""What an import knows exists, read once and kept across batches until a batch rolls back.

Entities an import creates are registered here when a row first needs them, with the insert
that creates them; every later row that uses one carries that insert too (``INSERT OR IGNORE``),
so a row stays loadable on its own when a batch falls back to row-by-row writes.
"""

from __future__ import annotations

from typing import Any

import attrs

from rowport.catalog._db import Connection
from rowport.catalog._ontology import Feature, OntologyIndex

__all__ = ["Entity", "Known"]

Write = tuple[str, tuple[Any, ...]]


@attrs.define
class Entity:
    """An entity by id: its stored fields, and the insert that creates it if it is new."""

    fields: tuple[Any, ...]
    create: tuple[Write, ...] = ()


@attrs.define
class Known:
    """Caches of entities by id, valid while the database holds what they say."""

    conn: Connection
    organization_id: str
    datasets: dict[str, Entity] = attrs.field(factory=dict)
    dataset_names: dict[str, str] = attrs.field(factory=dict)
    schemas: dict[str, Entity] = attrs.field(factory=dict)  # (name, kind, parent_id)
    schema_names: dict[tuple[str | None, str], str] = attrs.field(factory=dict)
    embeddings: dict[str, Entity] = attrs.field(factory=dict)  # (dimensions,)
    projects: dict[str, Entity] = attrs.field(factory=dict)  # (ontology_id, media_type)
    batches: dict[str, dict[str, Entity]] = attrs.field(factory=dict)  # project -> id -> (name,)
    batch_names: dict[str, dict[str, str]] = attrs.field(factory=dict)
    tags: dict[str, dict[str, Entity]] = attrs.field(factory=dict)  # project -> id -> (text,)
    models: dict[str, Entity] = attrs.field(factory=dict)
    runs: dict[str, Entity] = attrs.field(factory=dict)  # (model_id,)
    ontologies: dict[str, OntologyIndex] = attrs.field(factory=dict)
    next_position: dict[str, int] = attrs.field(factory=dict)
    missing: set[tuple[str, str]] = attrs.field(factory=set)

    def reset(self) -> None:
        """Forget everything (after a rollback, or when rows were written one by one)."""
        for cache in (
            self.datasets,
            self.dataset_names,
            self.schemas,
            self.schema_names,
            self.embeddings,
            self.projects,
            self.batches,
            self.batch_names,
            self.tags,
            self.models,
            self.runs,
            self.ontologies,
            self.next_position,
        ):
            cache.clear()
        self.missing.clear()

    def committed(self) -> None:
        """The batch that created the pending entities is committed: they exist now."""
        for cache in (
            self.datasets,
            self.schemas,
            self.embeddings,
            self.projects,
            self.models,
            self.runs,
        ):
            for entity in cache.values():
                entity.create = ()
        for group in (*self.batches.values(), *self.tags.values()):
            for entity in group.values():
                entity.create = ()
        self.missing.clear()

    # -- loading ------------------------------------------------------------------------------

    def _lookup(self, kind: str, key: str, sql: str) -> tuple[Any, ...] | None:
        if (kind, key) in self.missing:
            return None
        found = self.conn.execute(sql, (key,)).fetchone()
        if found is None:
            self.missing.add((kind, key))
        return None if found is None else tuple(found)

    def dataset(self, dataset_id: str) -> Entity | None:
        """The dataset ``dataset_id`` (fields: name), if it exists or is pending."""
        if dataset_id not in self.datasets:
            found = self._lookup("dataset", dataset_id, "SELECT name FROM datasets WHERE id = ?")
            if found is None:
                return None
            self.datasets[dataset_id] = Entity(found)
        return self.datasets[dataset_id]

    def dataset_named(self, name: str) -> str | None:
        """The first dataset of the organization called ``name``."""
        if name not in self.dataset_names:
            found = self.conn.execute(
                "SELECT id FROM datasets WHERE organization_id = ? AND name = ?"
                " ORDER BY id LIMIT 1",
                (self.organization_id, name),
            ).fetchone()
            if found is None:
                return None
            self.dataset_names[name] = found[0]
        return self.dataset_names[name]

    def schema(self, schema_id: str) -> Entity | None:
        """A metadata schema or option (fields: name, kind, parent_id)."""
        if schema_id not in self.schemas:
            found = self._lookup(
                "schema",
                schema_id,
                "SELECT name, kind, parent_id FROM metadata_schemas WHERE id = ?",
            )
            if found is None:
                return None
            self.schemas[schema_id] = Entity(found)
        return self.schemas[schema_id]

    def schema_named(self, parent_id: str | None, name: str) -> str | None:
        """The id of the schema (or option of ``parent_id``) called ``name``."""
        key = (parent_id, name)
        if key not in self.schema_names:
            found = self.conn.execute(
                "SELECT id FROM metadata_schemas WHERE organization_id = ?"
                " AND COALESCE(parent_id, '') = ? AND name = ?",
                (self.organization_id, parent_id or "", name),
            ).fetchone()
            if found is None:
                return None
            self.schema_names[key] = found[0]
            self.schema(found[0])
        return self.schema_names[key]

    def embedding(self, embedding_id: str) -> Entity | None:
        """An embedding (fields: dimensions)."""
        if embedding_id not in self.embeddings:
            found = self._lookup(
                "embedding", embedding_id, "SELECT dimensions FROM embeddings WHERE id = ?"
            )
            if found is None:
                return None
            self.embeddings[embedding_id] = Entity(found)
        return self.embeddings[embedding_id]

    def project(self, project_id: str) -> Entity | None:
        """A project (fields: ontology_id, media_type)."""
        if project_id not in self.projects:
            found = self._lookup(
                "project", project_id, "SELECT ontology_id, media_type FROM projects WHERE id = ?"
            )
            if found is None:
                return None
            self.projects[project_id] = Entity(found)
        return self.projects[project_id]

    def project_batches(self, project_id: str) -> tuple[dict[str, Entity], dict[str, str]]:
        """A project's batches by id (fields: name) and their ids by name."""
        if project_id not in self.batches:
            by_id: dict[str, Entity] = {}
            by_name: dict[str, str] = {}
            for batch_id, name in self.conn.execute(
                "SELECT id, name FROM batches WHERE project_id = ?", (project_id,)
            ):
                by_id[batch_id] = Entity((name,))
                by_name[name] = batch_id
            self.batches[project_id], self.batch_names[project_id] = by_id, by_name
        return self.batches[project_id], self.batch_names[project_id]

    def project_tags(self, project_id: str) -> dict[str, Entity]:
        """A project's tags by id (fields: text, position)."""
        if project_id not in self.tags:
            self.tags[project_id] = {
                tag_id: Entity((text, position))
                for tag_id, text, position in self.conn.execute(
                    "SELECT id, text, position FROM project_tags WHERE project_id = ?",
                    (project_id,),
                )
            }
        return self.tags[project_id]

    def model(self, model_id: str) -> Entity | None:
        """A model."""
        if model_id not in self.models:
            found = self._lookup("model", model_id, "SELECT name FROM models WHERE id = ?")
            if found is None:
                return None
            self.models[model_id] = Entity(found)
        return self.models[model_id]

    def run(self, run_id: str) -> Entity | None:
        """A model run (fields: model_id)."""
        if run_id not in self.runs:
            found = self._lookup("run", run_id, "SELECT model_id FROM model_runs WHERE id = ?")
            if found is None:
                return None
            self.runs[run_id] = Entity(found)
        return self.runs[run_id]

    def ontology(self, ontology_id: str) -> OntologyIndex:
        """The features of an ontology, keyed for the annotation walk."""
        index = self.ontologies.get(ontology_id)
        if index is None:
            index = OntologyIndex(ontology_id=ontology_id)
            last = -1
            for f in self.conn.execute(
                "SELECT id, parent_id, kind, type, name, value, position FROM features"
                " WHERE ontology_id = ? ORDER BY position",
                (ontology_id,),
            ):
                index.add(
                    Feature(id=f[0], parent_id=f[1], kind=f[2], type=f[3], name=f[4], value=f[5])
                )
                last = max(last, f[6])
            self.ontologies[ontology_id] = index
            self.next_position[ontology_id] = last + 1
        return index
