"""Resolving the features a label's annotations name, creating the missing ones, copying nothing.

An import trusts the file's feature ids: every object, classification and answer is matched to a
feature of the project's ontology by ``feature_schema_id``, else by ``name`` under the same parent,
and a feature neither finds is created (and recorded in ``index.created``, in walk order, to be
written with the batch). The walk reads the parsed JSON as it is (it is stored as it is), so it
builds no copies; it reports the same problems, in the same order, as the catalog's annotation
walk in its create-missing mode (``OntologyStore.check_annotations(..., create_missing=True)``),
whose semantics it keeps: a node that gives neither a known id nor a name, and a section that is
``null`` where a list or an object is expected.
"""

from __future__ import annotations

from typing import Any

from rowport._ids import new_id
from rowport.catalog._ontology import Feature, OntologyIndex, tool_type_of

__all__ = ["resolve_features"]

_WHAT = {"tool": "object", "classification": "classification", "option": "answer"}
_ANSWER_ONE = tuple((k, f".{k}") for k in ("radio_answer", "conversational_radio_answer"))
_ANSWER_MANY = tuple(
    (k, f".{k}") for k in ("checklist_answers", "conversational_checklist_answers")
)
_ANSWER_TEXT = tuple((k, f".{k}") for k in ("text_answer", "conversational_text_answer"))


Path = Any  # a root name, or (parent path, ".key" or list index): built into text on failure


def _text(path: Path) -> str:
    parts: list[str] = []
    while type(path) is tuple:
        path, segment = path
        parts.append(f"[{segment}]" if type(segment) is int else segment)
    parts.append(path)
    return "".join(reversed(parts))


def _feature_type(node: dict[str, Any], group: str) -> str:
    """The type of a feature created for ``node`` (only then worked out)."""
    if group == "tool":
        return tool_type_of(node.get("annotation_kind"))
    if group == "option":
        return "option"
    if "radio_answer" in node or "conversational_radio_answer" in node:
        return "radio"
    if "checklist_answers" in node or "conversational_checklist_answers" in node:
        return "checklist"
    return "text"


class _Walk:
    __slots__ = ("by_id", "by_name", "index", "problem")

    def __init__(self, index: OntologyIndex) -> None:
        self.index = index
        self.by_id = index.by_id
        self.by_name = index.by_parent_name
        self.problem: tuple[str, str] | None = None

    def fail(self, path: Path, message: str) -> None:
        if self.problem is None:  # the first problem is the one reported; the walk goes on
            self.problem = (_text(path), message)

    def feature(
        self, node: dict[str, Any], parent_id: str | None, group: str, path: Path
    ) -> str | None:
        """The id of the feature ``node`` names (created if missing), or None with a problem."""
        schema_id = node.get("feature_schema_id")
        if type(schema_id) is str:
            found = self.by_id.get(schema_id)
            if found is not None:
                return found.id
        name = node.get("name")
        if type(name) is str:
            found = self.by_name.get((parent_id, group, name))
            if found is not None:
                return found.id
            value = node.get("value")
            feature = Feature(
                id=schema_id if type(schema_id) is str else new_id(),
                parent_id=parent_id,
                kind=group,
                type=_feature_type(node, group),
                name=name,
                value=value if type(value) is str else name,
            )
            self.index.add(feature)
            self.index.created.append(feature)
            return feature.id
        self.fail(path, f"{_WHAT[group]} {schema_id!r} is not a feature of the ontology")
        return None

    def objects(self, items: Any, path: Path) -> None:
        if type(items) is not list:
            self.fail(path, "objects must be a list")
            return
        for i, node in enumerate(items):
            self.object(node, (path, i))

    def object(self, node: Any, path: Path) -> None:
        if type(node) is not dict:
            self.fail(path, "an object must be a dict")
            return
        feature_id = self.feature(node, None, "tool", path)
        if feature_id is not None and "classifications" in node:
            self.classifications(node["classifications"], (path, ".classifications"), feature_id)

    def classifications(self, items: Any, path: Path, parent_id: str | None = None) -> None:
        if type(items) is not list:
            self.fail(path, "classifications must be a list")
            return
        for i, node in enumerate(items):
            self.classification(node, (path, i), parent_id)

    def classification(self, node: Any, path: Path, parent_id: str | None) -> None:
        if type(node) is not dict:
            self.fail(path, "a classification must be a dict")
            return
        feature_id = self.feature(node, parent_id, "classification", path)
        if feature_id is None:
            return
        for key, at in _ANSWER_ONE:
            if key in node:
                self.answer(node[key], (path, at), feature_id)
        for key, at in _ANSWER_MANY:
            if key in node:
                answers = node[key]
                if type(answers) is not list:
                    self.fail((path, at), "checklist answers must be a list")
                    continue
                for i, answer in enumerate(answers):
                    self.answer(answer, ((path, at), i), feature_id)
        for key, at in _ANSWER_TEXT:
            if key in node:
                text = node[key]
                if type(text) is not dict or type(text.get("content")) is not str:
                    self.fail((path, at), 'a text answer must be {"content": <string>}')

    def answer(self, node: Any, path: Path, parent_id: str) -> None:
        if type(node) is not dict:
            self.fail(path, "an answer must be a dict")
            return
        feature_id = self.feature(node, parent_id, "option", path)
        if feature_id is not None and "classifications" in node:
            self.classifications(node["classifications"], (path, ".classifications"), feature_id)

    def annotations(self, ann: Any) -> None:
        if type(ann) is not dict:
            self.fail("annotations", "annotations must be a dict")
            return
        if "objects" in ann:
            self.objects(ann["objects"], ("annotations", ".objects"))
        if "classifications" in ann:
            self.classifications(ann["classifications"], ("annotations", ".classifications"))
        relationships = ann.get("relationships")
        if type(relationships) is list:
            for i, node in enumerate(relationships):
                self.object(node, (("annotations", ".relationships"), i))
        frames = ann.get("frames")
        if type(frames) is dict:
            for number, frame in frames.items():
                at = ("annotations", f".frames.{number}")
                if type(frame) is not dict:
                    self.fail(at, "a frame must be a dict")
                    continue
                objects = frame.get("objects")
                if type(objects) is dict:
                    for key, node in objects.items():
                        self.object(node, (at, f".objects.{key}"))
                if "classifications" in frame:
                    self.classifications(frame["classifications"], (at, ".classifications"))


def resolve_features(annotations: Any, index: OntologyIndex) -> tuple[str, str] | None:
    """Resolve (creating what is missing) every feature ``annotations`` names in ``index``.

    Returns the first problem as ``(path, message)``, or None. Features are created even past a
    problem, as the catalog's walk does, so the features an import records do not depend on
    which of its lines were refused.
    """
    walk = _Walk(index)
    walk.annotations(annotations)
    return walk.problem
