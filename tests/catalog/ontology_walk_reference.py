"""The ontology walk as it was before :func:`rowport.catalog._ontology.compile_checker`
replaced it (a frozen copy, the oracle of ``test_catalog_ontology_checker.py``): a compiled
checker must find exactly what this walk finds, in the same order, with the same paths."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rowport.catalog._ontology import (
    _ANSWER_MANY,
    _ANSWER_ONE,
    _ANSWER_TEXT,
    AnnotationProblem,
    Feature,
    OntologyIndex,
    _is_map,
    _not_found,
)

__all__ = ["walk"]


def walk(annotations: Any, index: OntologyIndex) -> list[AnnotationProblem]:
    """The problems the old walk found in ``annotations``."""
    checker = _Checker(index)
    checker.annotations(annotations)
    return checker.problems


_Path = tuple[Any, str] | None  # (parent path, suffix): joined only when a problem needs it


def _joined(path: _Path) -> str:
    parts: list[str] = []
    while path is not None:
        path, part = path
        parts.append(part)
    return "".join(reversed(parts))


class _Checker:
    """The walk of :class:`_Walker` with nothing filled or created, for checking only: it
    builds no copies and joins a node's path only for a problem (same problems, same paths)."""

    def __init__(self, index: OntologyIndex) -> None:
        self.index = index
        self.find = index.find
        self.problems: list[AnnotationProblem] = []

    def problem(self, path: _Path, message: str, code: str = "MALFORMED_ANNOTATION") -> None:
        self.problems.append(AnnotationProblem(path=_joined(path), message=message, code=code))

    def resolve(self, node: Any, parent_id: str | None, group: str, path: _Path) -> Feature | None:
        schema_id, name = node.get("feature_schema_id"), node.get("name")
        feature = self.find(parent_id, group, schema_id, name)
        if feature is not None:
            return feature
        self.problem(path, *_not_found(self.index, group, schema_id, name))
        return None

    def object(self, node: Any, path: _Path) -> None:
        if type(node) is not dict and not isinstance(node, Mapping):
            self.problem(path, "an object must be a dict")
            return
        feature = self.resolve(node, None, "tool", path)
        if feature is not None and "classifications" in node:
            self.classifications(node["classifications"], (path, ".classifications"), feature.id)

    def classifications(self, items: Any, path: _Path, parent_id: str | None = None) -> None:
        if type(items) is not list and not isinstance(items, list):
            self.problem(path, "classifications must be a list")
            return
        for i, node in enumerate(items):
            self.classification(node, (path, f"[{i}]"), parent_id)

    def classification(self, node: Any, path: _Path, parent_id: str | None) -> None:
        if type(node) is not dict and not isinstance(node, Mapping):
            self.problem(path, "a classification must be a dict")
            return
        if "radio_answer" in node or "conversational_radio_answer" in node:
            ftype = "radio"
        elif "checklist_answers" in node or "conversational_checklist_answers" in node:
            ftype = "checklist"
        else:
            ftype = "text"
        feature = self.resolve(node, parent_id, "classification", path)
        if feature is None:
            return
        if feature.type != ftype:
            self.problem(
                path,
                f"{feature.name!r} is a {feature.type} classification, not {ftype}",
                "WRONG_CLASSIFICATION_TYPE",
            )
        if ftype == "radio":
            for key in _ANSWER_ONE:
                if key in node:
                    self.answer(node[key], (path, f".{key}"), feature.id)
        elif ftype == "checklist":
            for key in _ANSWER_MANY:
                if key in node:
                    answers = node[key]
                    if not isinstance(answers, list):
                        self.problem((path, f".{key}"), "checklist answers must be a list")
                    else:
                        for i, a in enumerate(answers):
                            self.answer(a, (path, f".{key}[{i}]"), feature.id)
        for key in _ANSWER_TEXT:
            if key in node and not (
                _is_map(node[key]) and isinstance(node[key].get("content"), str)
            ):
                self.problem((path, f".{key}"), 'a text answer must be {"content": <string>}')

    def answer(self, node: Any, path: _Path, parent_id: str) -> None:
        if type(node) is not dict and not isinstance(node, Mapping):
            self.problem(path, "an answer must be a dict")
            return
        feature = self.resolve(node, parent_id, "option", path)
        if feature is not None and "classifications" in node:
            self.classifications(node["classifications"], (path, ".classifications"), feature.id)

    def annotations(self, ann: Any) -> None:
        if not isinstance(ann, Mapping):
            self.problem((None, "annotations"), "annotations must be a dict")
            return
        if "objects" in ann:
            items = ann["objects"]
            at: _Path = (None, "annotations.objects")
            if not isinstance(items, list):
                self.problem(at, "objects must be a list")
            else:
                for i, o in enumerate(items):
                    self.object(o, (at, f"[{i}]"))
        if "classifications" in ann:
            self.classifications(ann["classifications"], (None, "annotations.classifications"))
        rels = ann.get("relationships")
        if isinstance(rels, list):
            for i, r in enumerate(rels):
                self.object(r, (None, f"annotations.relationships[{i}]"))
        frames = ann.get("frames")
        if isinstance(frames, Mapping):
            for number, frame in frames.items():
                at = (None, f"annotations.frames.{number}")
                if not isinstance(frame, Mapping):
                    self.problem(at, "a frame must be a dict")
                    continue
                objs = frame.get("objects")
                if isinstance(objs, Mapping):
                    for fid, o in objs.items():
                        self.object(o, (at, f".objects.{fid}"))
                if "classifications" in frame:
                    self.classifications(frame["classifications"], (at, ".classifications"))
