"""Structuring one parsed line into an :class:`ImportRow`, with one clear message when it fails.

Two converters share the same hooks, both on the orjson preset like ``rowport._converters``:
a fast one without detailed validation for the common, valid line, and a detailed one that runs
only when the fast one refused a line, to say where. Its exception group is walked (as
``cattrs.transform_error`` does) into ``$.path: what is wrong, got <value>``; the walk is our
own because the message names the value found, which ``transform_error`` does not report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import attrs
import cattrs
import orjson
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn
from cattrs.preconf.orjson import make_converter

from rowport._time import parse_ts
from rowport.catalog._ingest import _records as r
from rowport.catalog._ingest._checks import Check, compile_check
from rowport.catalog._models import SPLITS
from rowport.catalog._projects import workflow_status
from rowport.errors import InvalidInput

__all__ = ["structure_row"]

_INT64 = (-(2**63), 2**63 - 1)
_SHOWN = 60

# Records stored as the JSON the file holds: known keys are checked, other keys are kept.
_OPEN_RECORDS: frozenset[type] = frozenset(
    {
        r.TextAnswer,
        r.Answer,
        r.Classification,
        r.TimestampClassification,
        r.Point,
        r.Box,
        r.PageDimensions,
        r.TextLocation,
        r.ConversationalLocation,
        r.TokenGroup,
        r.TokenLocation,
        r.Mask,
        r.GeoPointGeometry,
        r.GeoLineGeometry,
        r.GeoPolygonGeometry,
        r.Relation,
        r.AnnotationObject,
        *r.ANNOTATION_KINDS.values(),
        r.Frame,
        r.Annotations,
        *r.MEDIA_ATTRIBUTES.values(),
        r.MediaAttributes,
        r.Performance,
        r.PerformanceV2,
    }
)


def show(value: Any) -> str:
    """A short JSON rendering of ``value`` for a message."""
    try:
        text = orjson.dumps(value).decode()
    except TypeError:
        text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


class FieldError(ValueError):
    """A problem with the field ``field`` of the object being structured."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _expect(kind: str, value: Any) -> TypeError:
    return TypeError(f"expected {kind}, got {show(value)}")


# -- scalar hooks ------------------------------------------------------------------------------


def _str(value: Any, _: Any) -> str:
    if type(value) is not str:
        raise _expect("a string", value)
    return value


def _id(value: Any, _: Any) -> str:
    if type(value) is not str or not value.strip():
        raise _expect("a non-empty string", value)
    return value


def _bool(value: Any, _: Any) -> bool:
    if type(value) is not bool:
        raise _expect("true or false", value)
    return value


def _int64(value: Any, _: Any) -> int:
    if type(value) is not int or not _INT64[0] <= value <= _INT64[1]:
        raise _expect("an integer from -2**63 to 2**63-1", value)
    return value


def _count(value: Any, _: Any) -> int:
    if type(value) is not int or not 1 <= value <= _INT64[1]:
        raise _expect("a positive integer", value)
    return value


def _number(value: Any, _: Any) -> float:
    if type(value) is int or (type(value) is float and math.isfinite(value)):
        return value
    raise _expect("a number", value)


def _timestamp(value: Any, _: Any) -> str:
    if type(value) is str:
        try:
            parse_ts(value)
            return value
        except ValueError:
            pass
    raise _expect("an ISO 8601 timestamp such as 2023-03-15T14:46:58.000+00:00", value)


def _row_data(value: Any, _: Any) -> str:
    if type(value) is dict or type(value) is list:
        return orjson.dumps(value).decode()
    if type(value) is not str or not value:
        raise _expect("a non-empty string (a URL or inline content)", value)
    return value


def _workflow_status(value: Any, _: Any) -> str:
    try:
        return workflow_status(value)
    except InvalidInput as exc:
        raise ValueError(f"{exc}; got {show(value)}") from None


def _split(value: Any, _: Any) -> str:
    if type(value) is str and value.lower() in SPLITS:
        return value.lower()
    raise ValueError(f"expected one of {', '.join(SPLITS)}, got {show(value)}")


def _literal_factory(type_: Any) -> Callable[[Any, Any], Any]:
    allowed = get_args(type_)

    def hook(value: Any, _: Any) -> Any:
        if type(value) is str and value in allowed:
            return value
        raise ValueError(f"expected one of {', '.join(allowed)}, got {show(value)}")

    return hook


class _Hooks:
    """The hooks of one converter (fast or detailed)."""

    def __init__(self, converter: cattrs.Converter, detailed: bool) -> None:
        self.c = converter
        self.detailed = detailed
        # the fast converter checks stored-as-is JSON with compiled checks, building nothing
        self.checks: dict[type, Check] | None = (
            None
            if detailed
            else {
                cls: compile_check(cls)
                for cls in (r.Annotations, r.Performance, *set(r.MEDIA_ATTRIBUTES.values()))
            }
        )
        if self.checks is not None:
            self.checks[r.MediaAttributes] = compile_check(r.MediaAttributes)

    def _verbatim(self, value: Any, cls: type) -> dict[str, Any]:
        if type(value) is not dict:
            raise _expect("an object", value)
        if self.checks is None:
            self.c.structure(value, cls)
        elif not self.checks[cls](value):
            raise ValueError("invalid")  # the detailed converter says where
        return value

    # containers: strictly JSON lists and objects, element hooks looked up on first use
    def list_factory(self, type_: Any) -> Callable[[Any, Any], Any]:
        (elem,) = get_args(type_)
        cache: list[Callable[[Any, Any], Any]] = []
        detailed = self.detailed

        def hook(value: Any, _: Any) -> list[Any]:
            if type(value) is not list:
                raise _expect("a list", value)
            if not cache:
                cache.append(self.c.get_structure_hook(elem))
            h = cache[0]
            if not detailed:
                return [h(v, elem) for v in value]
            out, errors = [], []
            for i, v in enumerate(value):
                try:
                    out.append(h(v, elem))
                except Exception as exc:
                    exc.__notes__ = [
                        *getattr(exc, "__notes__", []),
                        IterableValidationNote(f"@ index {i}", i, elem),
                    ]
                    errors.append(exc)
            if errors:
                raise IterableValidationError("list", errors, type_)
            return out

        return hook

    def dict_factory(self, type_: Any) -> Callable[[Any, Any], Any]:
        key_type, elem = get_args(type_)
        cache: list[Callable[[Any, Any], Any]] = []
        detailed = self.detailed

        def hook(value: Any, _: Any) -> dict[str, Any]:
            if type(value) is not dict:
                raise _expect("an object", value)
            if not cache:
                cache.append(self.c.get_structure_hook(elem))
            h = cache[0]
            out, errors = {}, []
            for k, v in value.items():
                try:
                    if key_type is r.Id and not k.strip():
                        raise ValueError("an empty key is not an id")
                    out[k] = h(v, elem)
                except Exception as exc:
                    if not detailed:
                        raise
                    exc.__notes__ = [
                        *getattr(exc, "__notes__", []),
                        IterableValidationNote(f"@ key {k!r}", k, elem),
                    ]
                    errors.append(exc)
            if errors:
                raise IterableValidationError("object", errors, type_)
            return out

        return hook

    def optional_factory(self, type_: Any) -> Callable[[Any, Any], Any]:
        (inner,) = [a for a in get_args(type_) if a is not type(None)]
        cache: list[Callable[[Any, Any], Any]] = []

        def hook(value: Any, _: Any) -> Any:
            if value is None:
                return None
            if not cache:
                cache.append(self.c.get_structure_hook(inner))
            return cache[0](value, inner)

        return hook

    def record_factory(self, cls: type) -> Callable[[Any, Any], Any]:
        fn: Callable[[Any, Any], Any] = make_dict_structure_fn(
            cls,
            self.c,
            _cattrs_forbid_extra_keys=cls not in _OPEN_RECORDS,
            _cattrs_detailed_validation=self.detailed,
        )

        def hook(value: Any, _: Any) -> Any:
            if type(value) is not dict:
                raise _expect("an object", value)
            return fn(value, cls)

        return hook

    # the JSON stored as it is, after checking it against its record
    def annotations(self, value: Any, _: Any) -> dict[str, Any]:
        return self._verbatim(value, r.Annotations)

    def annotation_object(self, value: Any, _: Any) -> r.AnnotationObject:
        if type(value) is not dict:
            raise _expect("an object", value)
        kind = value.get("annotation_kind")
        cls = r.ANNOTATION_KINDS.get(kind) if type(kind) is str else None
        if cls is None:
            allowed = ", ".join(r.ANNOTATION_KINDS)
            got = "missing" if kind is None else f"got {show(kind)}"
            raise FieldError("annotation_kind", f"expected one of {allowed}; {got}")
        return self.c.structure(value, cls)

    def media_attributes(self, value: Any, _: Any) -> dict[str, Any]:
        if type(value) is not dict:
            raise _expect("an object", value)
        asset = value.get("asset_type")
        cls = r.MEDIA_ATTRIBUTES.get(asset, r.MediaAttributes) if type(asset) is str else None
        return self._verbatim(value, cls or r.MediaAttributes)

    def performance(self, value: Any, _: Any) -> dict[str, Any]:
        return self._verbatim(value, r.Performance)

    def metadata_value(self, value: Any, _: Any) -> Any:
        if type(value) is dict:
            return self.c.structure(value, r.MetadataOption)
        if type(value) is str or type(value) is int:
            return value
        if type(value) is float and math.isfinite(value):
            return value
        raise _expect("a string, a number or an option {schema_id, schema_name}", value)


def _is_list(t: Any) -> bool:
    return get_origin(t) is list


def _is_dict(t: Any) -> bool:
    return get_origin(t) is dict


def _is_optional(t: Any) -> bool:
    args = get_args(t)
    return len(args) == 2 and type(None) in args and get_origin(t) in (Union, UnionType)


def _is_literal(t: Any) -> bool:
    return get_origin(t) is Literal


def _make(detailed: bool) -> cattrs.Converter:
    c = make_converter(forbid_extra_keys=True, detailed_validation=detailed)
    hooks = _Hooks(c, detailed)
    c.register_structure_hook_factory(_is_list, hooks.list_factory)
    c.register_structure_hook_factory(_is_dict, hooks.dict_factory)
    c.register_structure_hook_factory(_is_literal, _literal_factory)
    c.register_structure_hook_factory(_is_optional, hooks.optional_factory)
    c.register_structure_hook_factory(attrs.has, hooks.record_factory)
    scalars: dict[Any, Callable[[Any, Any], Any]] = {
        str: _str,
        bool: _bool,
        int: _int64,
        float: _number,
        r.Id: _id,
        r.Int64: _int64,
        r.Count: _count,
        r.Number: _number,
        r.Timestamp: _timestamp,
        r.RowData: _row_data,
        r.WorkflowStatus: _workflow_status,
        r.Split: _split,
        r.AnnotationsJSON: hooks.annotations,
        r.MediaAttributesJSON: hooks.media_attributes,
        r.PerformanceJSON: hooks.performance,
        r.MetadataValue: hooks.metadata_value,
    }
    for type_, hook in scalars.items():
        c.register_structure_hook(type_, hook)
    # by identity: a plain registration would also catch the subclasses it dispatches to
    c.register_structure_hook_func(lambda t: t is r.AnnotationObject, hooks.annotation_object)
    return c


_FAST = _make(detailed=False)
_DETAILED = _make(detailed=True)

# -- messages ----------------------------------------------------------------------------------


def _child(data: Any, key: Any) -> Any:
    try:
        return data[key]
    except (KeyError, IndexError, TypeError):
        return None


def _problems(exc: BaseException, path: str, data: Any) -> Iterator[tuple[str, str]]:
    """``(path, message)`` for each leaf of a cattrs exception group (as ``transform_error``)."""
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        with_notes, without = exc.group_exceptions()
        for inner, note in with_notes:
            key = getattr(note, "name", None)
            if key is None:
                key = note.index
            sub = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"
            if isinstance(inner, KeyError) and not isinstance(data, list):
                yield sub, "required, missing"
            else:
                yield from _problems(inner, sub, _child(data, key))
        for inner in without:
            yield from _problems(inner, path, data)
    elif isinstance(exc, ForbiddenExtraKeysError):
        extra = ", ".join(sorted(exc.extra_fields))
        allowed = ", ".join(a.name for a in attrs.fields(exc.cl))
        where = "top-level keys" if path == "$" else "keys"
        yield path, f"unknown {where} {extra}; allowed: {allowed}"
    elif isinstance(exc, FieldError):
        yield f"{path}.{exc.field}", str(exc)
    elif isinstance(exc, (TypeError, ValueError)):
        yield path, str(exc)
    else:
        yield path, f"{type(exc).__name__}: {exc}"


def describe(exc: BaseException, data: Any) -> str:
    """One message for a refused line: the first problem, and how many more there are."""
    found = list(_problems(exc, "$", data))
    if not found:
        return f"invalid row: {exc}"
    path, message = found[0]
    text = f"{path}: {message}" if path != "$" or "top-level" not in message else message
    if len(found) > 1:
        text += f" (and {len(found) - 1} more problem{'s' if len(found) > 2 else ''})"
    return text


def structure_row(data: Any) -> r.ImportRow:
    """The :class:`ImportRow` of a parsed line.

    :raises InvalidInput: one message naming the path, the value found and what is allowed.
    """
    if type(data) is not dict:
        raise InvalidInput(f"a row must be a JSON object, got {show(data)}")
    try:
        return _FAST.structure(data, r.ImportRow)
    except Exception:
        pass
    try:
        row = _DETAILED.structure(data, r.ImportRow)
    except Exception as exc:
        raise InvalidInput(describe(exc, data)) from None
    return row  # the fast converter refused what the detailed one accepts: should not happen
