"""Ontologies (tools and classifications with nested options) and checking labels against them.

Annotations are stored as the JSON the export writes. On the way in they are walked once: every
object, classification and answer must name a feature of the ontology (by ``feature_schema_id``
or ``name``); missing ``feature_schema_id``, ``feature_id`` and ``value`` are filled in. Ingest
of exported rows may instead create the features it meets (``create_missing``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from rowport._ids import new_id
from rowport._time import now_ts
from rowport.catalog._base import Actor, optional_str, require_str
from rowport.catalog._db import Connection, Database
from rowport.errors import InvalidInput, NotFound

__all__ = [
    "CLASSIFICATION_TYPES",
    "TOOL_TYPES",
    "AnnotationProblem",
    "OntologyIndex",
    "OntologyStore",
]

TOOL_TYPES = (
    "bbox",
    "polygon",
    "line",
    "point",
    "mask",
    "entity",
    "relationship",
    "segment",
)
CLASSIFICATION_TYPES = ("radio", "checklist", "text")
_KIND_TO_TOOL = {
    "BoundingBox": "bbox",
    "Polygon": "polygon",
    "Polyline": "line",
    "Line": "line",
    "Point": "point",
    "SegmentationMask": "mask",
    "Mask": "mask",
    "Entity": "entity",
    "EntityToken": "entity",
    "Relationship": "relationship",
}
_ANSWER_ONE = ("radio_answer", "conversational_radio_answer")
_ANSWER_MANY = ("checklist_answers", "conversational_checklist_answers")
_ANSWER_TEXT = ("text_answer", "conversational_text_answer")
_MALFORMED = "MALFORMED_ANNOTATION"


def feature_value(name: str) -> str:
    """The ``value`` the reference derives from a feature name: lower snake case."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_") or name


def tool_type_of(annotation_kind: str | None) -> str:
    """The ontology tool type behind an export ``annotation_kind`` (``ImagePolygon``...)."""
    if not annotation_kind:
        return "bbox"
    for suffix, tool in _KIND_TO_TOOL.items():
        if annotation_kind.endswith(suffix):
            return tool
    return "segment"


@attrs.frozen(kw_only=True)
class Feature:
    """One node of an ontology: a tool, a classification or an option."""

    id: str
    parent_id: str | None
    kind: str
    type: str
    name: str
    value: str


@attrs.frozen(kw_only=True)
class AnnotationProblem:
    """What is wrong with one annotation, with a JSON path to it."""

    path: str
    message: str
    code: str = "MALFORMED_ANNOTATION"


@attrs.define
class OntologyIndex:
    """Features of an ontology keyed for lookup while walking annotations."""

    ontology_id: str
    #: a hash of the features as read (:meth:`OntologyStore.ontology_index`): it changes with
    #: any feature added, removed, renamed, retyped or moved, so it keys remembered checks
    version: str = ""
    by_id: dict[str, Feature] = attrs.field(factory=dict)
    by_parent_name: dict[tuple[str | None, str, str], Feature] = attrs.field(factory=dict)
    created: list[Feature] = attrs.field(factory=list)
    _checker: Checker | None = attrs.field(default=None, init=False, repr=False, eq=False)

    def add(self, feature: Feature) -> None:
        self._checker = None  # compiled for the features before this one
        self.by_id[feature.id] = feature
        group = "tool" if feature.kind == "tool" else feature.kind
        self.by_parent_name.setdefault((feature.parent_id, group, feature.name), feature)

    def find(self, parent_id: str | None, group: str, schema_id: Any, name: Any) -> Feature | None:
        if isinstance(schema_id, str) and schema_id in self.by_id:
            found = self.by_id[schema_id]
            if found.kind != group:
                return None
            if group != "tool" and found.parent_id != parent_id:
                return None  # nested under another parent
            return found
        if isinstance(name, str):
            return self.by_parent_name.get((parent_id, group, name))
        return None

    def checker(self) -> Checker:
        """The check of annotations against these features, compiled once
        (:func:`compile_checker`)."""
        if self._checker is None:
            self._checker = compile_checker(self)
        return self._checker


def _is_map(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)  # dict first: ABC checks are slow


def _not_found(index: OntologyIndex, group: str, schema_id: Any, name: Any) -> tuple[str, str]:
    """``(message, code)`` for a node that names no feature of ``group`` where it stands."""
    what = {"tool": "object", "classification": "classification", "option": "answer"}[group]
    label = name if isinstance(name, str) else schema_id
    if isinstance(name, str) and isinstance(schema_id, str):
        label = f"{name} ({schema_id})"
    wrong_place = index.by_id.get(schema_id) if isinstance(schema_id, str) else None
    if wrong_place is not None:
        return (
            f"{what} {label!r} is the {wrong_place.kind} {wrong_place.name!r} of the ontology,"
            " which does not belong here",
            "FEATURE_IN_WRONG_PLACE",
        )
    return f"{what} {label!r} is not a feature of the ontology", "UNKNOWN_FEATURE"


class _Walker:
    def __init__(self, index: OntologyIndex, *, create_missing: bool, fill: bool = True) -> None:
        self.fill = fill
        self.index = index
        self.create_missing = create_missing
        self.problems: list[AnnotationProblem] = []

    def problem(self, path: str, message: str, code: str = "MALFORMED_ANNOTATION") -> None:
        self.problems.append(AnnotationProblem(path=path, message=message, code=code))

    def resolve(
        self,
        node: Mapping[str, Any],
        parent_id: str | None,
        group: str,
        ftype: str,
        path: str,
        *,
        with_feature_id: bool = True,
    ) -> tuple[dict[str, Any], Feature | None]:
        schema_id, name = node.get("feature_schema_id"), node.get("name")
        feature = self.index.find(parent_id, group, schema_id, name)
        if feature is not None and not self.fill and not self.create_missing:
            return node if type(node) is dict else dict(node), feature  # the common case
        if feature is None and self.create_missing and isinstance(schema_id, str):
            feature = self.index.by_id.get(schema_id)  # ingest trusts the file's ids
        if feature is None and self.create_missing and isinstance(name, str):
            feature = Feature(
                id=schema_id if isinstance(schema_id, str) else new_id(),
                parent_id=parent_id,
                kind=group,
                type=ftype,
                name=name,
                value=str(node["value"]) if isinstance(node.get("value"), str) else name,
            )
            self.index.add(feature)
            self.index.created.append(feature)
        if feature is None:
            self.problem(path, *_not_found(self.index, group, schema_id, name))
            return dict(node), None
        if self.create_missing:
            # ingest keeps what the file says, byte for byte: nothing is added or reordered
            return dict(node), feature
        if not self.fill:
            # checking only: the caller's dicts are not copied
            return node if isinstance(node, dict) else dict(node), feature
        head: dict[str, Any] = {}
        if with_feature_id:
            head["feature_id"] = node.get("feature_id") or new_id()
        head["feature_schema_id"] = feature.id
        head["name"] = feature.name
        head["value"] = node.get("value", feature.value)
        return {**head, **{k: v for k, v in node.items() if k not in head}}, feature

    def objects(self, items: Any, path: str) -> Any:
        if not isinstance(items, list):
            self.problem(path, "objects must be a list")
            return items
        return [self.object(o, f"{path}[{i}]") for i, o in enumerate(items)]

    def object(self, node: Any, path: str, feature_id: str | None = None) -> Any:
        if type(node) is not dict and not isinstance(node, Mapping):
            self.problem(path, "an object must be a dict")
            return node
        if feature_id is not None and "feature_id" not in node:
            node = {"feature_id": feature_id, **node}
        kind = node.get("annotation_kind")
        out, feature = self.resolve(node, None, "tool", tool_type_of(kind), path)
        if self.fill and not self.create_missing:
            out.setdefault("classifications", [])
        if feature is not None and "classifications" in out:
            out["classifications"] = self.classifications(
                out["classifications"], f"{path}.classifications", feature.id
            )
        return out

    def classifications(self, items: Any, path: str, parent_id: str | None = None) -> Any:
        if not isinstance(items, list):
            self.problem(path, "classifications must be a list")
            return items
        return [self.classification(c, f"{path}[{i}]", parent_id) for i, c in enumerate(items)]

    def classification(self, node: Any, path: str, parent_id: str | None) -> Any:
        if type(node) is not dict and not isinstance(node, Mapping):
            self.problem(path, "a classification must be a dict")
            return node
        if "radio_answer" in node or "conversational_radio_answer" in node:
            ftype = "radio"
        elif "checklist_answers" in node or "conversational_checklist_answers" in node:
            ftype = "checklist"
        else:
            ftype = "text"
        out, feature = self.resolve(node, parent_id, "classification", ftype, path)
        if feature is None:
            return out
        if feature.type != ftype and not self.create_missing:
            self.problem(
                path,
                f"{feature.name!r} is a {feature.type} classification, not {ftype}",
                "WRONG_CLASSIFICATION_TYPE",
            )
        for key in _ANSWER_ONE:
            if key in out:
                out[key] = self.answer(out[key], f"{path}.{key}", feature.id)
        for key in _ANSWER_MANY:
            if key in out:
                if not isinstance(out[key], list):
                    self.problem(f"{path}.{key}", "checklist answers must be a list")
                else:
                    out[key] = [
                        self.answer(a, f"{path}.{key}[{i}]", feature.id)
                        for i, a in enumerate(out[key])
                    ]
        for key in _ANSWER_TEXT:
            if key in out and not (_is_map(out[key]) and isinstance(out[key].get("content"), str)):
                self.problem(f"{path}.{key}", 'a text answer must be {"content": <string>}')
        return out

    def answer(self, node: Any, path: str, parent_id: str) -> Any:
        if type(node) is not dict and not isinstance(node, Mapping):
            self.problem(path, "an answer must be a dict")
            return node
        out, feature = self.resolve(node, parent_id, "option", "option", path)
        if self.fill and not self.create_missing:
            out.setdefault("classifications", [])
        if feature is not None and "classifications" in out:
            out["classifications"] = self.classifications(
                out["classifications"], f"{path}.classifications", feature.id
            )
        return out

    def annotations(self, ann: Any) -> Any:
        if not isinstance(ann, Mapping):
            self.problem("annotations", "annotations must be a dict")
            return ann
        out = dict(ann)
        if "objects" in out:
            out["objects"] = self.objects(out["objects"], "annotations.objects")
        if "classifications" in out:
            out["classifications"] = self.classifications(
                out["classifications"], "annotations.classifications"
            )
        if "relationships" in out:
            rels = out["relationships"]
            if isinstance(rels, list):
                out["relationships"] = [
                    self.object(r, f"annotations.relationships[{i}]") for i, r in enumerate(rels)
                ]
        frames = out.get("frames")
        if isinstance(frames, Mapping):
            new_frames = {}
            for number, frame in frames.items():
                at = f"annotations.frames.{number}"
                if not isinstance(frame, Mapping):
                    self.problem(at, "a frame must be a dict")
                    new_frames[number] = frame
                    continue
                frame = dict(frame)
                objs = frame.get("objects")
                if isinstance(objs, Mapping):
                    frame["objects"] = {
                        fid: self.object(o, f"{at}.objects.{fid}", fid) for fid, o in objs.items()
                    }
                if "classifications" in frame:
                    frame["classifications"] = self.classifications(
                        frame["classifications"], f"{at}.classifications"
                    )
                new_frames[number] = frame
            out["frames"] = new_frames
        return out


_Path = tuple[Any, "str | int"] | None  # (parent path, part): joined only when a problem needs it


def _joined(path: _Path) -> str:
    parts: list[str] = []
    while path is not None:
        path, part = path
        parts.append(f"[{part}]" if type(part) is int else str(part))
    return "".join(reversed(parts))


#: where a node may be found: ``(features by id, features by name)``, each to ``(the feature,
#: the scope of its children)``
_Scope = tuple[dict[str, "_Node"], dict[str, "_Node"]]
_Node = tuple[Feature, _Scope]
_CHILDREN = {"tool": "classification", "classification": "option", "option": "classification"}
_RADIO = tuple((key, f".{key}") for key in _ANSWER_ONE)
_CHECKLIST = tuple((key, f".{key}") for key in _ANSWER_MANY)
_TEXT = tuple((key, f".{key}") for key in _ANSWER_TEXT)
_CLASSIFICATIONS = ".classifications"
_NOT_A_DICT = {"tool": "an object must be a dict", "option": "an answer must be a dict"}

#: checks one label's annotations: its problems (none: an empty list)
Checker = Callable[[Any], list[AnnotationProblem]]


def compile_checker(index: OntologyIndex) -> Checker:
    """The check of :meth:`OntologyStore.check_annotations` with nothing filled or created,
    compiled for ``index``: each place a node may stand (the top level, under a tool, a
    classification or an answer) is a pair of dicts made once, so checking a node is one or two
    dict lookups; nothing is copied, and a node's path is joined only for a problem."""
    scopes: dict[tuple[str | None, str], _Scope] = {}

    def scope(parent_id: str | None, group: str) -> _Scope:
        found = scopes.get((parent_id, group))
        if found is None:
            found = scopes[(parent_id, group)] = ({}, {})
        return found

    def node(feature: Feature) -> _Node:
        return feature, scope(feature.id, _CHILDREN[feature.kind])

    for feature in index.by_id.values():
        if feature.kind in _CHILDREN:  # a tool is found by id under any parent
            parent = None if feature.kind == "tool" else feature.parent_id
            scope(parent, feature.kind)[0][feature.id] = node(feature)
    for (parent_id, group, name), feature in index.by_parent_name.items():
        if feature.kind in _CHILDREN:
            scope(parent_id, group)[1][name] = node(feature)
    tools, top = scope(None, "tool"), scope(None, "classification")
    known = index.by_id

    def problem(out: list[AnnotationProblem], path: _Path, message: str, code: str) -> None:
        out.append(AnnotationProblem(path=_joined(path), message=message, code=code))

    def find(
        item: Mapping[str, Any], where: _Scope, group: str, path: _Path, out: list[Any]
    ) -> _Node | None:
        """The node ``item`` names where it stands (the callers try its id there first, the
        common case, and call this when that misses), or None with a problem."""
        schema_id = item.get("feature_schema_id")
        if isinstance(schema_id, str) and schema_id in known:
            found = where[0].get(schema_id)  # a known id elsewhere is not looked up by name
        else:
            name = item.get("name")
            found = where[1].get(name) if isinstance(name, str) else None
        if found is None:
            message, code = _not_found(index, group, schema_id, item.get("name"))
            problem(out, path, message, code)
        return found

    def holder(
        item: Any, path: _Path, where: _Scope, group: str, out: list[AnnotationProblem]
    ) -> None:
        """An object (``group`` ``"tool"``) or an answer (``"option"``), and what is nested in
        it."""
        if type(item) is not dict and not isinstance(item, Mapping):
            problem(out, path, _NOT_A_DICT[group], _MALFORMED)
            return
        schema_id = item.get("feature_schema_id")
        found = where[0].get(schema_id) if type(schema_id) is str else None
        if found is None:
            found = find(item, where, group, path, out)
        if found is not None and "classifications" in item:
            subs = item["classifications"]
            if type(subs) is not list or subs:  # most answers have an empty list
                classifications(subs, (path, _CLASSIFICATIONS), found[1], out)

    def classifications(
        items: Any, path: _Path, where: _Scope, out: list[AnnotationProblem]
    ) -> None:
        if type(items) is not list and not isinstance(items, list):
            problem(out, path, "classifications must be a list", _MALFORMED)
            return
        for i, item in enumerate(items):
            classification(item, (path, i), where, out)

    def classification(item: Any, path: _Path, where: _Scope, out: list[AnnotationProblem]) -> None:
        if type(item) is not dict and not isinstance(item, Mapping):
            problem(out, path, "a classification must be a dict", _MALFORMED)
            return
        if "radio_answer" in item or "conversational_radio_answer" in item:
            ftype = "radio"
        elif "checklist_answers" in item or "conversational_checklist_answers" in item:
            ftype = "checklist"
        else:
            ftype = "text"
        schema_id = item.get("feature_schema_id")
        found = where[0].get(schema_id) if type(schema_id) is str else None
        if found is None:
            found = find(item, where, "classification", path, out)
            if found is None:
                return
        feature, options = found
        if feature.type != ftype:
            problem(
                out,
                path,
                f"{feature.name!r} is a {feature.type} classification, not {ftype}",
                "WRONG_CLASSIFICATION_TYPE",
            )
        if ftype == "radio":
            for key, suffix in _RADIO:
                if key in item:
                    holder(item[key], (path, suffix), options, "option", out)
        elif ftype == "checklist":
            for key, suffix in _CHECKLIST:
                if key in item:
                    answers = item[key]
                    if not isinstance(answers, list):
                        problem(out, (path, suffix), "checklist answers must be a list", _MALFORMED)
                    else:
                        at = (path, suffix)
                        for i, a in enumerate(answers):
                            holder(a, (at, i), options, "option", out)
        for key, suffix in _TEXT:
            if key in item:
                text = item[key]
                if not (_is_map(text) and isinstance(text.get("content"), str)):
                    problem(
                        out,
                        (path, suffix),
                        'a text answer must be {"content": <string>}',
                        _MALFORMED,
                    )

    def check(ann: Any) -> list[AnnotationProblem]:
        out: list[AnnotationProblem] = []
        if not _is_map(ann):
            problem(out, (None, "annotations"), "annotations must be a dict", _MALFORMED)
            return out
        if "objects" in ann:
            items = ann["objects"]
            at: _Path = (None, "annotations.objects")
            if not isinstance(items, list):
                problem(out, at, "objects must be a list", _MALFORMED)
            else:
                for i, o in enumerate(items):
                    holder(o, (at, i), tools, "tool", out)
        if "classifications" in ann:
            classifications(ann["classifications"], (None, "annotations.classifications"), top, out)
        rels = ann.get("relationships")
        if isinstance(rels, list):
            at = (None, "annotations.relationships")
            for i, r in enumerate(rels):
                holder(r, (at, i), tools, "tool", out)
        frames = ann.get("frames")
        if frames is not None and _is_map(frames):
            for number, frame in frames.items():
                at = (None, f"annotations.frames.{number}")
                if not isinstance(frame, Mapping):
                    problem(out, at, "a frame must be a dict", _MALFORMED)
                    continue
                objs = frame.get("objects")
                if isinstance(objs, Mapping):
                    for fid, o in objs.items():
                        holder(o, (at, f".objects.{fid}"), tools, "tool", out)
                if "classifications" in frame:
                    classifications(frame["classifications"], (at, _CLASSIFICATIONS), top, out)
        return out

    return check


class OntologyStore:
    """Ontologies and their features, and checking annotations against them."""

    def __init__(self, db: Database, actor: Actor) -> None:
        self.db = db
        self.actor = actor

    def create_ontology(
        self,
        name: str,
        *,
        tools: Sequence[Mapping[str, Any]] = (),
        classifications: Sequence[Mapping[str, Any]] = (),
        media_type: str | None = None,
        id: str | None = None,
    ) -> dict[str, Any]:
        """Create an ontology from tool and classification specs (see the catalog guide)."""
        require_str(name, "ontology name")
        ontology_id = id or new_id()
        rows: list[tuple[Any, ...]] = []
        for i, tool in enumerate(tools):
            self._spec_tool(tool, f"tools[{i}]", rows)
        for i, cls in enumerate(classifications):
            self._spec_classification(cls, None, f"classifications[{i}]", rows)
        _check_unique_features(rows)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO ontologies (id, organization_id, name, media_type, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (ontology_id, self.actor.organization_id, name, media_type, now_ts()),
            )
            self._insert_features(conn, ontology_id, rows)
        return self.get_ontology(ontology_id)

    def _insert_features(
        self, conn: Connection, ontology_id: str, rows: Sequence[tuple[Any, ...]]
    ) -> None:
        start = conn.execute(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM features WHERE ontology_id = ?",
            (ontology_id,),
        ).fetchone()[0]
        conn.executemany(
            "INSERT INTO features (id, ontology_id, parent_id, kind, type, name, value, scope,"
            " position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r[0], ontology_id, *r[1:], start + i) for i, r in enumerate(rows)],
        )

    def _spec_tool(self, spec: Any, at: str, rows: list[tuple[Any, ...]]) -> None:
        if not isinstance(spec, Mapping):
            raise InvalidInput(f"{at} must be a dict with tool and name")
        tool = spec.get("tool")
        if tool not in TOOL_TYPES:
            raise InvalidInput(f"{at}: unknown tool {tool!r}; allowed: {', '.join(TOOL_TYPES)}")
        name = require_str(spec.get("name"), f"{at}.name")
        fid = optional_str(spec.get("feature_schema_id") or spec.get("id"), f"{at}.id") or new_id()
        value = optional_str(spec.get("value"), f"{at}.value") or feature_value(name)
        rows.append((fid, None, "tool", tool, name, value, None))
        for j, cls in enumerate(spec.get("classifications") or ()):
            self._spec_classification(cls, fid, f"{at}.classifications[{j}]", rows)

    def _spec_classification(
        self, spec: Any, parent: str | None, at: str, rows: list[tuple[Any, ...]]
    ) -> None:
        if not isinstance(spec, Mapping):
            raise InvalidInput(f"{at} must be a dict with type and name")
        ctype = spec.get("type")
        if ctype not in CLASSIFICATION_TYPES:
            raise InvalidInput(
                f"{at}: unknown classification type {ctype!r};"
                f" allowed: {', '.join(CLASSIFICATION_TYPES)}"
            )
        name = require_str(spec.get("name"), f"{at}.name")
        fid = optional_str(spec.get("feature_schema_id") or spec.get("id"), f"{at}.id") or new_id()
        value = optional_str(spec.get("value"), f"{at}.value") or feature_value(name)
        scope = spec.get("scope", "global")
        if scope not in ("global", "index"):
            raise InvalidInput(f"{at}.scope must be 'global' or 'index', got {scope!r}")
        options = spec.get("options") or ()
        if ctype != "text" and not options:
            raise InvalidInput(f"{at}: a {ctype} classification needs options")
        rows.append((fid, parent, "classification", ctype, name, value, scope))
        for j, option in enumerate(options):
            oat = f"{at}.options[{j}]"
            if isinstance(option, str):
                option = {"name": option}
            if not isinstance(option, Mapping):
                raise InvalidInput(f"{oat} must be a dict or a string")
            oname = require_str(option.get("name") or option.get("label"), f"{oat}.name")
            oid = optional_str(option.get("feature_schema_id") or option.get("id"), oat) or new_id()
            ovalue = optional_str(option.get("value"), f"{oat}.value") or feature_value(oname)
            rows.append((oid, fid, "option", "option", oname, ovalue, None))
            for k, sub in enumerate(option.get("classifications") or ()):
                self._spec_classification(sub, oid, f"{oat}.classifications[{k}]", rows)

    def get_ontology(self, ontology_id: str) -> dict[str, Any]:
        """An ontology with its features nested as tools and classifications."""
        row = self.db.one(
            "SELECT id, name, media_type, created_at FROM ontologies WHERE id = ?",
            (ontology_id,),
            "ontology",
            ontology_id,
        )
        feats = self.db.conn.execute(
            "SELECT id, parent_id, kind, type, name, value, scope FROM features"
            " WHERE ontology_id = ? ORDER BY position",
            (ontology_id,),
        ).fetchall()
        children: dict[str | None, list[tuple[Any, ...]]] = {}
        for f in feats:
            children.setdefault(f[1], []).append(tuple(f))

        def node(f: tuple[Any, ...]) -> dict[str, Any]:
            out: dict[str, Any] = {"feature_schema_id": f[0], "name": f[4], "value": f[5]}
            subs = children.get(f[0], [])
            if f[2] == "tool":
                out["tool"] = f[3]
                out["classifications"] = [node(s) for s in subs]
            elif f[2] == "classification":
                out["type"] = f[3]
                out["scope"] = f[6]
                out["options"] = [node(s) for s in subs]
            else:
                out["classifications"] = [node(s) for s in subs]
            return out

        top = children.get(None, [])
        return {
            "id": row[0],
            "name": row[1],
            "media_type": row[2],
            "created_at": row[3],
            "tools": [node(f) for f in top if f[2] == "tool"],
            "classifications": [node(f) for f in top if f[2] == "classification"],
        }

    def ontology_index(self, ontology_id: str) -> OntologyIndex:
        """The features of an ontology, keyed for :meth:`check_annotations`."""
        index = OntologyIndex(ontology_id=ontology_id)
        digest = hashlib.sha256(ontology_id.encode())
        for f in self.db.conn.execute(
            "SELECT id, parent_id, kind, type, name, value FROM features WHERE ontology_id = ?"
            " ORDER BY position, id",
            (ontology_id,),
        ):
            index.add(Feature(id=f[0], parent_id=f[1], kind=f[2], type=f[3], name=f[4], value=f[5]))
            digest.update("\x1f".join(str(v) for v in f).encode() + b"\x1e")
        index.version = digest.hexdigest()[:32]
        return index

    @staticmethod
    def check_annotations(
        annotations: Any,
        index: OntologyIndex,
        *,
        create_missing: bool = False,
        fill: bool = True,
    ) -> tuple[Any, list[AnnotationProblem]]:
        """Resolve every feature of ``annotations``; return the filled copy and the problems
        (with neither ``fill`` nor ``create_missing``: ``annotations`` itself, checked by a
        check compiled once per index, :meth:`OntologyIndex.checker`, that copies nothing)."""
        if not fill and not create_missing:
            return annotations, index.checker()(annotations)
        walker = _Walker(index, create_missing=create_missing, fill=fill)
        out = walker.annotations(annotations)
        return out, walker.problems

    def save_created_features(self, conn: Connection, index: OntologyIndex) -> None:
        """Persist the features an ingest walk created (``create_missing``)."""
        if not index.created:
            return
        existing = {
            r[0]
            for r in conn.execute(
                "SELECT id FROM features WHERE ontology_id = ?", (index.ontology_id,)
            )
        }
        rows = [
            (f.id, f.parent_id, f.kind, f.type, f.name, f.value, None)
            for f in index.created
            if f.id not in existing
        ]
        self._insert_features(conn, index.ontology_id, rows)
        index.created.clear()

    def require_ontology(self, ontology_id: str) -> None:
        """:class:`NotFound` unless the ontology exists."""
        if not self.db.conn.execute(
            "SELECT 1 FROM ontologies WHERE id = ?", (ontology_id,)
        ).fetchone():
            raise NotFound("ontology", ontology_id)


def _check_unique_features(rows: Sequence[tuple[Any, ...]]) -> None:
    """Refuse repeated feature ids, and repeated names among siblings of the same kind."""
    ids: set[str] = set()
    names: set[tuple[Any, str, str]] = set()
    for fid, parent, kind, _type, name, _value, _scope in rows:
        if fid in ids:
            raise InvalidInput(f"feature id {fid!r} is used twice in the ontology")
        ids.add(fid)
        group = "tool" if kind == "tool" else kind
        if (parent, group, name) in names:
            where = "at the top level" if parent is None else f"under {parent!r}"
            raise InvalidInput(f"two {group} features are named {name!r} {where}")
        names.add((parent, group, name))
