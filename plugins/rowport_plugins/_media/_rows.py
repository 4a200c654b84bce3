"""Walking a row's labels and objects, and the declarations every media-type plugin makes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rowport import hookimpl
from rowport.plugins import ExportContext

__all__ = ["MEDIA_SECTIONS", "declarations", "iter_labels", "iter_objects"]

#: the sections a media-type plugin reads (``rowport_declare_sections``)
MEDIA_SECTIONS = ("data_row", "media_attributes", "annotations")


def declarations(
    media_type: str, sections: tuple[str, ...] = MEDIA_SECTIONS
) -> tuple[Callable[[], list[str]], Callable[[], list[str]]]:
    """``rowport_declare_media_types`` and ``rowport_declare_sections`` hooks (built-in
    defaults, ``trylast``) for a plugin of ``media_type`` that reads ``sections``::

        rowport_declare_media_types, rowport_declare_sections = declarations("image")
    """

    @hookimpl(trylast=True)
    def rowport_declare_media_types() -> list[str]:
        return [media_type]

    @hookimpl(trylast=True)
    def rowport_declare_sections() -> list[str]:
        return list(sections)

    return rowport_declare_media_types, rowport_declare_sections


_LABELS = "rowport_plugins.labels"  # in ExportContext.batch: each row's labels, by its id


def iter_labels(
    row: Mapping[str, Any], context: ExportContext | None = None
) -> list[tuple[str, str, str, Mapping[str, Any]]]:
    """Every label and prediction of an export row: ``(kind, owner_id, path, label)``.

    ``kind`` is ``"project"`` (owner: the project id) or ``"model_run"`` (owner: the run id);
    ``path`` locates the label in the row (``projects.<id>.labels[0]``) for messages. A list,
    not a generator: every check of every row walks it (a generator costs a third more).
    With ``context`` (in a validate hook, where rows do not change), the list is made once per
    row and batch for every plugin that asks (kept in ``context.batch``); treat it as
    read-only.
    """
    if context is not None:
        memo: dict[int, tuple[Mapping[str, Any], list[Any]]] | None = context.batch.get(_LABELS)
        if memo is None:
            memo = context.batch[_LABELS] = {}
        known = memo.get(id(row))
        if known is None or known[0] is not row:  # (the row itself: an id may be reused)
            known = memo[id(row)] = (row, iter_labels(row))
        return known[1]
    found: list[tuple[str, str, str, Mapping[str, Any]]] = []
    projects = row.get("projects")
    if projects:
        for project_id, section in projects.items():
            labels = section.get("labels")
            if labels:
                for i, label in enumerate(labels):
                    found.append(
                        ("project", project_id, f"projects.{project_id}.labels[{i}]", label)
                    )
    experiments = row.get("experiments")
    if experiments:
        for model_id, experiment in experiments.items():
            for run_id, run in (experiment.get("runs") or {}).items():
                for key in ("labels", "predictions"):
                    for i, label in enumerate(run.get(key) or ()):
                        path = f"experiments.{model_id}.runs.{run_id}.{key}[{i}]"
                        found.append(("model_run", run_id, path, label))
    return found


def iter_objects(
    row: Mapping[str, Any], accept: Callable[[dict[str, Any]], bool]
) -> list[tuple[Mapping[str, Any], str, dict[str, Any]]]:
    """``(label, path, object)`` for every object of a row's labels and predictions that
    ``accept`` takes (``path`` locates it, ``projects.<id>.labels[0].annotations.objects[2]``)."""
    found = []
    for _, _, path, label in iter_labels(row):
        annotations = label.get("annotations")
        objects = annotations.get("objects") if isinstance(annotations, Mapping) else None
        if not isinstance(objects, list):
            continue
        for i, obj in enumerate(objects):
            if isinstance(obj, dict) and accept(obj):
                found.append((label, f"{path}.annotations.objects[{i}]", obj))
    return found
