"""Fast yes/no checks of stored-as-is JSON (annotations, media attributes, performance).

Compiled once from the same attrs records the detailed cattrs converter structures into, so the
two cannot drift apart: the record is the format. A check builds no objects and makes no call
per scalar, which makes the valid line about five times cheaper than structuring its
annotations; a line that fails a check is structured by the detailed converter to say where.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import attrs

from rowport._time import parse_ts
from rowport.catalog._ingest import _records as r

__all__ = ["Check", "compile_check"]

Check = Callable[[Any], bool]
_INT64 = (-(2**63), 2**63 - 1)


def _timestamp(value: Any) -> bool:
    if type(value) is not str:
        return False
    try:
        parse_ts(value)
    except ValueError:
        return False
    return True


def _number(value: Any) -> bool:
    return type(value) is int or (type(value) is float and math.isfinite(value))


def _is_optional(t: Any) -> bool:
    return get_origin(t) in (Union, UnionType) and type(None) in get_args(t)


def _object(value: Any) -> bool:
    return type(value) is dict


class _Compiler:
    def __init__(self) -> None:
        self.env: dict[str, Any] = {
            "_ts": _timestamp,
            "_num": _number,
            "_I0": _INT64[0],
            "_I1": _INT64[1],
            "_obj": _object,
            "_finite": math.isfinite,
            "_absent": object(),
        }
        self.done: dict[Any, str] = {}
        self.sources: list[str] = []
        self.counter = 0

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"_{prefix}{self.counter}"

    def expr(self, t: Any, v: str) -> str:
        """A Python expression that is true when ``v`` is a valid ``t``."""
        if t is str:
            return f"type({v}) is str"
        if t is r.Id:
            return f"(type({v}) is str and {v}.strip() != '')"
        if t is bool:
            return f"type({v}) is bool"
        if t is int or t is r.Int64:
            return f"(type({v}) is int and _I0 <= {v} <= _I1)"
        if t is r.Count:
            return f"(type({v}) is int and 1 <= {v} <= _I1)"
        if t is float or t is r.Number:
            return f"(type({v}) is int or (type({v}) is float and _finite({v})))"
        if t is r.Timestamp:
            return f"_ts({v})"
        if t is r.AnnotationsJSON:
            return f"{self.fn(r.Annotations)}({v})"
        if t is r.PerformanceJSON:
            return f"{self.fn(r.Performance)}({v})"
        if t is r.AnnotationObject:
            return f"{self.kinds()}({v})"
        origin = get_origin(t)
        if origin is Literal:
            key = self.name("lit")
            self.env[key] = frozenset(get_args(t))
            return f"(type({v}) is str and {v} in {key})"
        if origin in (Union, UnionType):
            (inner,) = [a for a in get_args(t) if a is not type(None)]
            return f"({v} is None or {self.expr(inner, v)})"
        if origin is list:
            return f"{self.fn(t)}({v})"
        if origin is dict:
            return f"{self.fn(t)}({v})"
        if attrs.has(t):
            return f"{self.fn(t)}({v})"
        raise TypeError(f"no check for {t!r}")

    def fn(self, t: Any) -> str:
        """The name of a function checking ``t`` (compiled on first use)."""
        if t in self.done:
            return self.done[t]
        name = self.name("check")
        self.done[t] = name
        lines = [f"def {name}(o):"]
        origin = get_origin(t)
        if origin is list:
            (elem,) = get_args(t)
            lines += [
                "    if type(o) is not list: return False",
                "    for e in o:",
                f"        if not {self.expr(elem, 'e')}: return False",
                "    return True",
            ]
        elif origin is dict:
            key_type, elem = get_args(t)
            lines += ["    if type(o) is not dict: return False", "    for k, e in o.items():"]
            if key_type is r.Id:
                lines.append("        if not k.strip(): return False")
            lines += [f"        if not {self.expr(elem, 'e')}: return False", "    return True"]
        else:
            lines.append("    if type(o) is not dict: return False")
            attrs.resolve_types(t, globalns=vars(r))
            for field in attrs.fields(t):
                # one lookup per field; None stands for "absent" where None is allowed anyway
                key, check = field.name, self.expr(field.type, "v")
                if field.default is attrs.NOTHING:
                    lines.append(f"    v = o.get({key!r}, _absent)")
                    lines.append(f"    if v is _absent or not {check}: return False")
                elif _is_optional(field.type):
                    (inner,) = [a for a in get_args(field.type) if a is not type(None)]
                    check = self.expr(inner, "v")
                    lines.append(f"    v = o.get({key!r})")
                    lines.append(f"    if v is not None and not {check}: return False")
                else:
                    lines.append(f"    v = o.get({key!r}, _absent)")
                    lines.append(f"    if v is not _absent and not {check}: return False")
            lines.append("    return True")
        self.sources.append("\n".join(lines))
        return name

    def kinds(self) -> str:
        if r.AnnotationObject in self.done:
            return self.done[r.AnnotationObject]
        name = self.name("kind")
        self.done[r.AnnotationObject] = name
        table = self.name("kinds")
        self.env[table] = {}
        for kind, cls in r.ANNOTATION_KINDS.items():
            self.env[table][kind] = self.fn(cls)
        self.sources.append(
            f"def {name}(o):\n"
            "    if type(o) is not dict: return False\n"
            "    k = o.get('annotation_kind')\n"
            f"    f = {table}.get(k) if type(k) is str else None\n"
            "    return f is not None and f(o)"
        )
        return name

    def build(self, t: Any) -> Check:
        top = self.fn(t)
        exec("\n\n".join(self.sources), self.env)
        for table in [k for k in self.env if k.startswith("_kinds")]:
            self.env[table] = {k: self.env[f] for k, f in self.env[table].items()}
        check: Check = self.env[top]
        return check


def compile_check(t: Any) -> Check:
    """A function telling whether a parsed JSON value is a valid ``t`` (an attrs record)."""
    return _Compiler().build(t)
