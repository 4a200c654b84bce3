"""The reference's shape of a label's ``annotations``, applied once, where annotations are stored.

Labels, predictions and model-run labels are stored as the JSON the export writes and passed
through unparsed at export time, so the shape a reader sees is the shape they were stored in.
:func:`canonical_annotations` is what every write path calls first (project labels, model-run
predictions and labels, and ingest of exported rows), so that code written for the reference
can read ``annotations["classifications"]`` whatever the label was imported with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rowport.errors import InvalidInput
from rowport.media_types import MediaType

__all__ = ["annotation_skeleton", "canonical_annotations"]

_Empty = Callable[[], Any]

# The top-level keys of each media type's annotations, in the reference's order, with the
# empty value a label without them gets.
_VIDEO: tuple[tuple[str, _Empty], ...] = (
    ("frames", dict),
    ("segments", dict),
    ("key_frame_feature_map", dict),
    ("classifications", list),
)
_AUDIO: tuple[tuple[str, _Empty], ...] = (
    ("classifications", list),
    ("segments", dict),
    ("timestamp", dict),
)
_DEFAULT: tuple[tuple[str, _Empty], ...] = (
    ("objects", list),
    ("classifications", list),
    ("relationships", list),
)
_SKELETONS: dict[MediaType, tuple[tuple[str, _Empty], ...]] = {
    MediaType.VIDEO: _VIDEO,
    MediaType.AUDIO: _AUDIO,
}
_FRAME: tuple[tuple[str, _Empty], ...] = (("objects", dict), ("classifications", list))

_HEAD = ("feature_id", "feature_schema_id", "name", "value")
# An object: its feature, then its kind and nested classifications, then its geometry (each
# media type uses a few of these; a document box runs page_number, bounding_box,
# page_dimensions), then whatever else it carries, as it came.
_OBJECT_KEYS = (
    *_HEAD,
    "annotation_kind",
    "classifications",
    "page_number",
    "bounding_box",
    "page_dimensions",
    "polygon",
    "line",
    "point",
    "composite_mask",
    "location",
    "conversational_location",
    "geojson",
    "relationship",
)
_CLASSIFICATION_KEYS = (*_HEAD, "message_id")
_ANSWER_KEYS = (*_HEAD, "classifications")
_ONE_ANSWER = ("radio_answer", "conversational_radio_answer")
_MANY_ANSWERS = ("checklist_answers", "conversational_checklist_answers")


def annotation_skeleton(media_type: str | MediaType) -> dict[str, Any]:
    """The empty ``annotations`` of a label of ``media_type``, in the reference's key order:
    ``{frames, segments, key_frame_feature_map, classifications}`` for video,
    ``{classifications, segments, timestamp}`` for audio, ``{objects, classifications,
    relationships}`` for every other media type."""
    skeleton = _SKELETONS.get(MediaType.parse(media_type), _DEFAULT)
    return {key: empty() for key, empty in skeleton}


def canonical_annotations(
    media_type: str | MediaType, annotations: Mapping[str, Any]
) -> dict[str, Any]:
    """``annotations`` in the reference's shape for ``media_type``; a pure function.

    The contract, for every caller that stores annotations (``import_labels``, model-run
    labels and predictions, ingest of exported rows):

    - **Top level**: the media type's keys (see :func:`annotation_skeleton`) come first, in
      that order; a missing one is added empty (``[]`` or ``{}``). Keys the skeleton does not
      list follow, in the order given, with their values untouched.
    - **Objects** (``objects`` items, ``relationships`` items, and the values of each video
      frame's ``objects``): keys run ``feature_id, feature_schema_id, name, value,
      annotation_kind, classifications``, then the geometry (``page_number, bounding_box,
      page_dimensions, polygon, line, point, composite_mask, location,
      conversational_location, geojson, relationship``), then any other key in the order
      given. Inside the geometry: ``bounding_box`` runs ``top, left, height, width``;
      ``page_dimensions`` ``height, width``; points (``point``, ``polygon`` and ``line``
      items) ``x, y``; ``location`` ``start, end, token`` (a document's ``groups`` items
      ``id, page_number, tokens, text``); ``conversational_location`` ``message_id,
      location``; ``composite_mask`` ``url, color_rgb``; ``geojson`` ``type, coordinates``;
      ``relationship`` ``source, target, type``; each then any other key, as given.
    - **Classifications** (top level, inside objects, answers and video frames): ``feature_id,
      feature_schema_id, name, value, message_id``, then the rest as given (the answer).
      **Answers** (``radio_answer``, ``checklist_answers`` items and their conversational
      forms): ``feature_id, feature_schema_id, name, value, classifications``, then the rest.
    - **Video frames**: each frame runs ``objects, classifications`` (added empty when
      missing), then the rest.
    - Nothing else is added: a key absent from an object, classification or answer stays
      absent (``feature_id`` is not invented, ``classifications`` is not added to an object),
      and no value is changed, so equal inputs give equal outputs and ``canonical(canonical(x))
      == canonical(x)`` (idempotent). A value of an unexpected type (``objects`` that is not a
      list, an object that is not a dict) is left as it is, for validation to report.
    - The input is not modified; the result shares no dict or list that was reordered with it
      (values that were not reordered, such as a polygon's points, may be shared).

    :param media_type: the data row's media type (a :class:`MediaType` or any name
        :meth:`MediaType.parse` accepts).
    :param annotations: the label's ``annotations`` object.
    :raises InvalidInput: when ``annotations`` is not a dict or the media type is unknown.
    """
    if not isinstance(annotations, Mapping):
        raise InvalidInput(f"annotations must be a dict, got {type(annotations).__name__}")
    media = MediaType.parse(media_type)
    skeleton = _SKELETONS.get(media, _DEFAULT)
    out = _with_defaults(annotations, skeleton)
    for key in ("objects", "relationships"):
        items = out.get(key)
        if isinstance(items, list):
            out[key] = [_object(o) for o in items]
    out["classifications"] = _classifications(out["classifications"])
    frames = out.get("frames")
    if media is MediaType.VIDEO and isinstance(frames, Mapping):
        out["frames"] = {number: _frame(frame) for number, frame in frames.items()}
    return out


def _ordered(node: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    out = {key: node[key] for key in keys if key in node}
    if len(out) < len(node):
        out.update((k, v) for k, v in node.items() if k not in out)
    return out


def _with_defaults(
    node: Mapping[str, Any], skeleton: tuple[tuple[str, _Empty], ...]
) -> dict[str, Any]:
    out = {key: node[key] if key in node else empty() for key, empty in skeleton}
    out.update((k, v) for k, v in node.items() if k not in out)
    return out


def _object(node: Any) -> Any:
    if not isinstance(node, Mapping):
        return node
    out = _ordered(node, _OBJECT_KEYS)
    if "classifications" in out:
        out["classifications"] = _classifications(out["classifications"])
    for key, order in _GEOMETRY.items():
        if key in out:
            out[key] = order(out[key])
    return out


def _keys(*keys: str) -> Callable[[Any], Any]:
    """Orders a dict's keys as listed (the rest after, as given)."""

    def order(node: Any) -> Any:
        return _ordered(node, keys) if isinstance(node, Mapping) else node

    return order


def _each(order: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Applies ``order`` to every item of a list."""

    def each(items: Any) -> Any:
        return [order(i) for i in items] if isinstance(items, list) else items

    return each


def _nested(
    outer: Callable[[Any], Any], key: str, inner: Callable[[Any], Any]
) -> Callable[[Any], Any]:
    """Orders a dict with ``outer``, then its ``key`` with ``inner``."""

    def order(node: Any) -> Any:
        out = outer(node)
        if isinstance(out, dict) and key in out:
            out[key] = inner(out[key])
        return out

    return order


_XY = _keys("x", "y")
_TEXT_LOCATION = _keys("start", "end", "token")
_DOCUMENT_GROUP = _keys("id", "page_number", "tokens", "text")
# The inner key order of each geometry the format lists.
_GEOMETRY: dict[str, Callable[[Any], Any]] = {
    "bounding_box": _keys("top", "left", "height", "width"),
    "page_dimensions": _keys("height", "width"),
    "polygon": _each(_XY),
    "line": _each(_XY),
    "point": _XY,
    "composite_mask": _keys("url", "color_rgb"),
    # a text entity's {start, end, token}, or a document entity's {groups: [...]}
    "location": _nested(_TEXT_LOCATION, "groups", _each(_DOCUMENT_GROUP)),
    "conversational_location": _nested(_keys("message_id", "location"), "location", _TEXT_LOCATION),
    "geojson": _keys("type", "coordinates"),
    "relationship": _keys("source", "target", "type"),
}


def _classifications(items: Any) -> Any:
    if not isinstance(items, list):
        return items
    return [_classification(c) for c in items]


def _classification(node: Any) -> Any:
    if not isinstance(node, Mapping):
        return node
    out = _ordered(node, _CLASSIFICATION_KEYS)
    for key in _ONE_ANSWER:
        if key in out:
            out[key] = _answer(out[key])
    for key in _MANY_ANSWERS:
        if isinstance(out.get(key), list):
            out[key] = [_answer(a) for a in out[key]]
    return out


def _answer(node: Any) -> Any:
    if not isinstance(node, Mapping):
        return node
    out = _ordered(node, _ANSWER_KEYS)
    if "classifications" in out:
        out["classifications"] = _classifications(out["classifications"])
    return out


def _frame(frame: Any) -> Any:
    if not isinstance(frame, Mapping):
        return frame
    out = _with_defaults(frame, _FRAME)
    objects = out["objects"]
    if isinstance(objects, Mapping):
        out["objects"] = {fid: _object(o) for fid, o in objects.items()}
    out["classifications"] = _classifications(out["classifications"])
    return out
