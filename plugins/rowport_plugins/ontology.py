"""Built-in plugin: every annotation must name a feature of the right ontology.

Media-agnostic: it checks the labels of every project section against that project's ontology,
and model-run labels and predictions against the model's ontology (when it has one). Objects,
classifications and answers must name a feature by ``feature_schema_id`` or ``name``, of the
right kind (a radio has one answer, a checklist a list, a text answer a ``content`` string) and
under the right parent. Each problem is one ERRORS line naming the feature and where it is.

What a label was found to have (possibly nothing) is remembered in the catalog by the label's
content, the ontology's version and this plugin's :data:`VERSION`
(:func:`rowport.plugins.remembered`): an unchanged label is not walked again on the next export.
"""

from __future__ import annotations

from typing import Any

from rowport import hookimpl
from rowport.catalog import OntologyIndex
from rowport.errors import NotFound
from rowport.plugins import ExportContext, Problem, peek, remembered
from rowport_plugins._media import iter_labels

__all__ = ["VERSION", "rowport_declare_sections", "rowport_validate_rows"]

NAME = "rowport_plugins.ontology"
#: bump whenever the checks change: remembered findings of another version are not used
VERSION = "1"
_CACHE = "rowport_plugins.ontology.indexes"


def _index(context: ExportContext, kind: str, owner: str) -> OntologyIndex | None:
    """The index of the ontology of a project (``kind`` ``"project"``) or model run, read once
    per export."""
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
def rowport_declare_sections() -> list[str]:
    # annotations are parsed here, only for the labels whose findings are not remembered
    return ["data_row", "labels"]


@hookimpl(trylast=True)
def rowport_validate_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Check every label's features against its project's (or model's) ontology."""
    indexes: dict[tuple[str, str], OntologyIndex | None] = context.state.get(_CACHE, {})
    places: list[tuple[int, str, str, str, Any, OntologyIndex]] = []
    labels: list[tuple[Any, str]] = []
    for index, row in enumerate(rows):
        for kind, owner, path, label in iter_labels(row, context):
            known = (kind, owner)
            ontology = indexes[known] if known in indexes else _index(context, kind, owner)
            if ontology is not None:
                places.append((index, kind, owner, path, label, ontology))
                labels.append((label, ontology.version))
    check = context.catalog.ontologies.check_annotations

    def walk(i: int) -> list[Any]:
        label, ontology = places[i][4], places[i][5]
        # read, not parsed in place: the stored annotations are written back as they are
        _, found = check(peek(context, label, "annotations"), ontology, fill=False)
        return [[p.code, p.path, p.message] for p in found]

    findings = remembered(context, plugin=NAME, version=VERSION, labels=labels, check=walk)
    problems: list[Problem] = []
    for (index, kind, owner, path, label, ontology), found in zip(places, findings, strict=True):
        for code, at, message in found:
            problems.append(
                Problem(
                    index=index,
                    code=code,
                    message=f"{path}.{at}: {message}",
                    details={
                        "label_id": label.get("id"),
                        kind + "_id": owner,
                        "ontology_id": ontology.ontology_id,
                        "path": f"{path}.{at}",
                    },
                )
            )
    return problems
