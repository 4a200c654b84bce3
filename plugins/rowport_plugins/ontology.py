"""Built-in plugin: every annotation must name a feature of the right ontology.

Media-agnostic: it checks the labels of every project section against that project's ontology,
and model-run labels and predictions against the model's ontology (when it has one). Objects,
classifications and answers must name a feature by ``feature_schema_id`` or ``name``, of the
right kind (a radio has one answer, a checklist a list, a text answer a ``content`` string) and
under the right parent. Each problem is one ERRORS line naming the feature and where it is.
"""

from __future__ import annotations

from typing import Any

from rowport import hookimpl
from rowport.catalog import OntologyIndex
from rowport.errors import NotFound
from rowport.plugins import ExportContext, Problem
from rowport_plugins._media import iter_labels

__all__ = ["rowport_validate_rows"]

_CACHE = "rowport_plugins.ontology.indexes"


def _index(context: ExportContext, kind: str, owner: str) -> OntologyIndex | None:
    cache: dict[tuple[str, str], OntologyIndex | None] = context.state.setdefault(_CACHE, {})
    key = (kind, owner)
    if key not in cache:
        catalog = context.catalog
        try:
            if kind == "project":
                ontology_id = catalog.projects.get_project(owner)["ontology_id"]
            else:
                run = catalog.models.get_model_run(owner)
                ontology_id = catalog.models.get_model(run["model_id"])["ontology_id"]
        except NotFound:
            ontology_id = None
        cache[key] = catalog.ontologies.ontology_index(ontology_id) if ontology_id else None
    return cache[key]


@hookimpl(trylast=True)
def rowport_validate_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Check every label's features against its project's (or model's) ontology."""
    problems: list[Problem] = []
    for index, row in enumerate(rows):
        for kind, owner, path, label in iter_labels(row):
            ontology = _index(context, kind, owner)
            if ontology is None:
                continue
            _, found = context.catalog.ontologies.check_annotations(
                label.get("annotations"), ontology, fill=False
            )
            for p in found:
                problems.append(
                    Problem(
                        index=index,
                        code=p.code,
                        message=f"{path}.{p.path}: {p.message}",
                        details={
                            "label_id": label.get("id"),
                            kind + "_id": owner,
                            "ontology_id": ontology.ontology_id,
                            "path": f"{path}.{p.path}",
                        },
                    )
                )
    return problems
