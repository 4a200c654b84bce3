"""Built-in plugin for ``image`` rows: reads height, width, MIME type and EXIF orientation from
the image's header, and checks the geometry of image annotations against the image's size.

Media attributes come from the real image when a media probe (or an export with
``media.fetch`` on) meets a row whose stored ones lack ``height``, ``width`` or ``mime_type``
(with ``"always"``: every row): the first 64 KiB are read (an HTTP Range request where the
server honours it; ``plugin_options["image"]["head_bytes"]``) and parsed with Pillow; when
Pillow cannot parse the head (an EXIF block far into the file), the whole file is read within
the fetcher's size cap.
``width``/``height`` are the stored pixel dimensions (EXIF rotation is reported, not applied).
Each source is read once per export.

Geometry, per object of every label and prediction (``iter_labels``): bounding boxes, polygons,
polylines, points and composite masks. Exactly one problem per bad annotation, with the
feature's name, the label path, the value and the allowed range. Bounds are checked against the
row's ``media_attributes`` width and height, with ``tolerance`` pixels of slack (0.5 by
default); when they are unknown, bounds are not checked. With ``clip: true`` an annotation past
the image is clipped to it (box edges, point and vertex coordinates clamped) instead of being
reported; one lying wholly outside cannot be clipped and is still ``BBOX_OUT_OF_BOUNDS``.

Stage: shape problems and bounds against *stored* dimensions are reported in ``validate``;
bounds against dimensions computed by this plugin (and clipping) happen in ``transform``, after
the attributes are filled, so an annotation never yields two outcomes. See
``docs/media/image.md``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import attrs

from rowport import hookimpl
from rowport.plugins import ExportContext, Problem, parsed, peek, remembered
from rowport_plugins._media import (
    MediaError,
    MediaFetcher,
    box_values,
    declarations,
    fetch_mode,
    fill_media_attributes,
    fills_attributes,
    is_number,
    iter_labels,
    plugin_options,
    probe_media_attributes,
    read_once,
)
from rowport_plugins._media import number_text as _num
from rowport_plugins._media import tolerance as option_tolerance

__all__ = [
    "Bounds",
    "Finding",
    "check_object",
    "clip_object",
    "image_attributes",
    "rowport_declare_media_types",
    "rowport_declare_sections",
    "rowport_probe_media",
    "rowport_transform_rows",
    "rowport_validate_rows",
]

NAME = "image"
#: bump whenever the geometry checks change: remembered findings of another version are unused
VERSION = "1"
DEFAULT_HEAD_BYTES = 64 * 1024
DEFAULT_TOLERANCE = 0.5
REQUIRED = ("height", "width", "mime_type")
OUT_OF_BOUNDS = frozenset(
    {"BBOX_OUT_OF_BOUNDS", "POLYGON_OUT_OF_BOUNDS", "POLYLINE_OUT_OF_BOUNDS", "POINT_OUT_OF_BOUNDS"}
)
_CACHE_KEY = "rowport_plugins.image.probed"
_ORIENTATION_TAG = 0x0112
_KIND_BY_KEY = (
    ("bounding_box", "ImageBoundingBox"),
    ("polygon", "ImagePolygon"),
    ("line", "ImagePolyline"),
    ("point", "ImagePoint"),
    ("composite_mask", "ImageSegmentationMask"),
)


# -- media attributes ----------------------------------------------------------------------------


def _parse(data: bytes, content_type: str | None) -> dict[str, Any]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        width, height = img.size
        orientation = img.getexif().get(_ORIENTATION_TAG)
        fmt = img.format
    mime = Image.MIME.get(fmt or "") or (content_type or "").split(";")[0].strip()
    return {
        "height": int(height),
        "width": int(width),
        "asset_type": "image",
        "mime_type": mime or "application/octet-stream",
        "exif_rotation": str(orientation) if orientation is not None else "1",
    }


def image_attributes(
    source: str, media: MediaFetcher, head: int = DEFAULT_HEAD_BYTES
) -> dict[str, Any]:
    """Read ``source``'s head (then, if Pillow needs more, all of it) and return its attributes.

    :raises MediaError: the fetcher's ``MEDIA_*`` codes, or ``MEDIA_UNREADABLE`` (not an image
        Pillow can read).
    """
    first = media.read(source, head=head)
    try:
        return _parse(first.data, first.content_type)
    except Exception as exc:
        if not first.partial:
            raise MediaError(
                "MEDIA_UNREADABLE", f"not a readable image: {type(exc).__name__}: {exc}"
            ) from None
    whole = media.read(source)
    try:
        return _parse(whole.data, whole.content_type)
    except Exception as exc:
        raise MediaError(
            "MEDIA_UNREADABLE", f"not a readable image: {type(exc).__name__}: {exc}"
        ) from None


def _compute(context: ExportContext) -> Any:
    options = plugin_options(context, NAME)
    head = int(options.get("head_bytes", DEFAULT_HEAD_BYTES))

    def compute(row: dict[str, Any], media: MediaFetcher) -> dict[str, Any]:
        found = read_once(
            context,
            _CACHE_KEY,
            row["data_row"]["row_data"],
            lambda source: image_attributes(source, media, head),
        )
        if isinstance(found, MediaError):
            raise found
        return dict(found)

    return compute


# -- geometry ------------------------------------------------------------------------------------


@attrs.frozen
class Bounds:
    """The image's size and the slack allowed past its edges."""

    width: float
    height: float
    tolerance: float = DEFAULT_TOLERANCE

    def inside_x(self, x: float) -> bool:
        return -self.tolerance <= x <= self.width + self.tolerance

    def inside_y(self, y: float) -> bool:
        return -self.tolerance <= y <= self.height + self.tolerance

    def holds(self, x0: float, x1: float, y0: float, y1: float) -> bool:
        """Whether both x and both y are inside (a box's edges)."""
        low, t = -self.tolerance, self.tolerance
        return (
            low <= x0 <= self.width + t
            and low <= x1 <= self.width + t
            and (low <= y0 <= self.height + t and low <= y1 <= self.height + t)
        )

    def describe(self) -> str:
        return (
            f"x in [0, {_num(self.width)}], y in [0, {_num(self.height)}]"
            f" (tolerance {_num(self.tolerance)} px)"
        )


@attrs.frozen
class Finding:
    """One problem of one annotation: ``code``, what is wrong (``what``), and the value."""

    code: str
    what: str
    value: Any


def _kind(obj: Mapping[str, Any]) -> str | None:
    kind = obj.get("annotation_kind")
    if isinstance(kind, str):
        return kind
    for key, found in _KIND_BY_KEY:
        if key in obj:
            return found
    return None


def _points(value: Any) -> list[tuple[float, float]] | None:
    if not isinstance(value, list):
        return None
    out = []
    for p in value:
        if not isinstance(p, Mapping) or not (is_number(p.get("x")) and is_number(p.get("y"))):
            return None
        out.append((float(p["x"]), float(p["y"])))
    return out


def check_object(obj: Any, bounds: Bounds | None) -> Finding | None:
    """The first problem of one image object, or None; bounds unchecked when ``bounds`` is None.

    Objects of other kinds (not image geometry) are None.
    """
    if type(obj) is not dict and not isinstance(obj, Mapping):
        return None
    kind = _kind(obj)
    if kind == "ImageBoundingBox":
        raw = obj.get("bounding_box")
        parsed_box = box_values(raw)
        if parsed_box is None:
            return Finding(
                "GEOMETRY_MALFORMED",
                "bounding_box must be {top, left, height, width} with finite numbers",
                raw,
            )
        top, left, height, width = parsed_box
        if height <= 0 or width <= 0:
            return Finding("BBOX_INVALID", "height and width must be > 0", raw)
        if bounds is not None and not bounds.holds(left, left + width, top, top + height):
            return Finding(
                "BBOX_OUT_OF_BOUNDS",
                f"the box spans x {_num(left)}..{_num(left + width)},"
                f" y {_num(top)}..{_num(top + height)}; allowed {bounds.describe()}",
                raw,
            )
        return None
    if kind in ("ImagePolygon", "ImagePolyline"):
        key, few, oob, least = (
            ("polygon", "POLYGON_TOO_FEW_POINTS", "POLYGON_OUT_OF_BOUNDS", 3)
            if kind == "ImagePolygon"
            else ("line", "POLYLINE_TOO_FEW_POINTS", "POLYLINE_OUT_OF_BOUNDS", 2)
        )
        raw = obj.get(key)
        points = _points(raw)
        if points is None:
            return Finding(
                "GEOMETRY_MALFORMED", f"{key} must be a list of {{x, y}} with finite numbers", raw
            )
        count = len(set(points)) if kind == "ImagePolygon" else len(points)
        if count < least:
            what = "distinct points" if kind == "ImagePolygon" else "points"
            return Finding(few, f"{count} {what}; at least {least} needed", raw)
        if bounds is not None:
            for i, (x, y) in enumerate(points):
                if not (bounds.inside_x(x) and bounds.inside_y(y)):
                    return Finding(
                        oob,
                        f"point {i} ({_num(x)}, {_num(y)}) is outside; allowed {bounds.describe()}",
                        raw,
                    )
        return None
    if kind == "ImagePoint":
        raw = obj.get("point")
        pts = _points([raw])
        if pts is None:
            return Finding("GEOMETRY_MALFORMED", "point must be {x, y} with finite numbers", raw)
        ((x, y),) = pts
        if bounds is not None and not (bounds.inside_x(x) and bounds.inside_y(y)):
            return Finding(
                "POINT_OUT_OF_BOUNDS",
                f"({_num(x)}, {_num(y)}) is outside; allowed {bounds.describe()}",
                raw,
            )
        return None
    if kind == "ImageSegmentationMask":
        raw = obj.get("composite_mask")
        color = raw.get("color_rgb") if isinstance(raw, Mapping) else None
        if not (
            isinstance(raw, Mapping)
            and isinstance(raw.get("url"), str)
            and raw["url"]
            and isinstance(color, list)
            and len(color) == 3
            and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in color)
        ):
            return Finding(
                "MASK_INVALID",
                "composite_mask must be {url: <string>, color_rgb: [r, g, b]} with ints 0-255",
                raw,
            )
        return None
    return None


def clip_object(obj: dict[str, Any], bounds: Bounds) -> bool:
    """Clip an (otherwise valid) image object to the image in place; False when it lies wholly
    outside and cannot be clipped."""
    kind = _kind(obj)
    w, h = bounds.width, bounds.height
    if kind == "ImageBoundingBox":
        top, left, height, width = box_values(obj["bounding_box"]) or (0.0, 0.0, 0.0, 0.0)
        x0, y0 = max(left, 0.0), max(top, 0.0)
        x1, y1 = min(left + width, w), min(top + height, h)
        if x1 <= x0 or y1 <= y0:
            return False
        obj["bounding_box"] = {
            **obj["bounding_box"],
            "top": y0,
            "left": x0,
            "height": y1 - y0,
            "width": x1 - x0,
        }
        return True
    key = {"ImagePolygon": "polygon", "ImagePolyline": "line", "ImagePoint": "point"}.get(
        kind or ""
    )
    if key is None:
        return True
    raw = obj[key]
    items = raw if isinstance(raw, list) else [raw]
    clipped = [
        {**p, "x": min(max(float(p["x"]), 0.0), w), "y": min(max(float(p["y"]), 0.0), h)}
        for p in items
    ]
    obj[key] = clipped if isinstance(raw, list) else clipped[0]
    return True


# -- hooks ---------------------------------------------------------------------------------------


def _size(attributes: Any) -> tuple[float, float] | None:
    """``(width, height)`` of stored media attributes, when both are positive numbers."""
    if type(attributes) is not dict and not isinstance(attributes, Mapping):
        return None
    width: Any = attributes.get("width")
    height: Any = attributes.get("height")
    if is_number(width) and is_number(height) and width > 0 and height > 0:
        return float(width), float(height)
    return None


def _bounds(attributes: Any, tolerance: float) -> Bounds | None:
    size = _size(attributes)
    return None if size is None else Bounds(size[0], size[1], tolerance)


def _objects(row: Mapping[str, Any]) -> Any:
    """``(path, label, obj_path, obj)`` for every object of every label of the row."""
    for _, _owner, path, label in iter_labels(row):
        for i, obj in enumerate(_label_objects(label)):  # type: ignore[arg-type]
            yield path, label, f"{path}.annotations.objects[{i}]", obj


def _problem(index: int, label: Any, at: str, obj: Any, finding: Finding) -> Problem:
    name = obj.get("name") if isinstance(obj, Mapping) else None
    kind = _kind(obj) if isinstance(obj, Mapping) else None
    return Problem(
        index=index,
        code=finding.code,
        message=f"{kind or 'object'} {name!r} at {at}: {finding.what} (got {finding.value!r})",
        details={
            "label_id": label.get("id") if isinstance(label, Mapping) else None,
            "feature_id": obj.get("feature_id") if isinstance(obj, Mapping) else None,
            "feature_schema_id": obj.get("feature_schema_id") if isinstance(obj, Mapping) else None,
            "name": name,
            "annotation_kind": kind,
            "path": at,
            "value": finding.value,
        },
    )


def _label_objects(label: dict[str, Any], context: ExportContext | None = None) -> list[Any]:
    """A label's objects: read (:func:`~rowport.plugins.peek`) with ``context``, else parsed in
    place (to be clipped)."""
    annotations = (
        parsed(label, "annotations") if context is None else peek(context, label, "annotations")
    )
    objects = annotations.get("objects") if isinstance(annotations, Mapping) else None
    return objects if isinstance(objects, list) else []


# annotations are parsed here, for the labels whose findings are not remembered and for
# the rows whose bounds this plugin computes or clips to
rowport_declare_media_types, rowport_declare_sections = declarations(
    NAME, ("data_row", "media_attributes", "labels")
)


@hookimpl(trylast=True)
def rowport_validate_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Check the geometry of every image object (bounds against stored dimensions, unless
    ``clip`` is on); what a label was found to have is remembered by its content and bounds."""
    options = plugin_options(context, NAME)
    tolerance = option_tolerance(options, DEFAULT_TOLERANCE)
    clip = options.get("clip") is True
    # per image size: its bounds and what its labels are checked against (one repr per size)
    sizes: dict[tuple[float, float] | None, tuple[Bounds | None, str]] = {None: (None, "None")}
    places: list[tuple[int, str, Any, Bounds | None]] = []
    labels: list[tuple[Any, str]] = []
    for index, row in enumerate(rows):
        size = None if clip else _size(row.get("media_attributes"))
        known = sizes.get(size)
        if known is None:
            bounds = Bounds(size[0], size[1], tolerance) if size is not None else None
            known = sizes[size] = (bounds, repr(bounds))
        for _, _, path, label in iter_labels(row, context):
            places.append((index, path, label, known[0]))
            labels.append((label, known[1]))

    def check(i: int) -> list[Any]:
        bounds = places[i][3]
        found = []
        for n, obj in enumerate(_label_objects(places[i][2], context)):
            finding = check_object(obj, bounds)
            if finding is not None:
                found.append([n, finding.code, finding.what, finding.value])
        return found

    findings = remembered(
        context, plugin=f"rowport_plugins.{NAME}", version=VERSION, labels=labels, check=check
    )
    problems: list[Problem] = []
    for (index, path, label, _), found in zip(places, findings, strict=True):
        objects = _label_objects(label, context) if found else []
        for n, code, what, value in found:
            at = f"{path}.annotations.objects[{n}]"
            problems.append(_problem(index, label, at, objects[n], Finding(code, what, value)))
    return problems


@hookimpl(trylast=True)
def rowport_transform_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Fill the media attributes, then check bounds the validate stage could not (dimensions
    computed here) or clip (``clip: true``)."""
    options = plugin_options(context, NAME)
    tolerance = option_tolerance(options, DEFAULT_TOLERANCE)
    clip = options.get("clip") is True
    if not clip and (fetch_mode(context) == "off" or not fills_attributes(context)):
        return []  # no attributes are computed and nothing is clipped: validate did it all
    before = [None if clip else _bounds(row.get("media_attributes"), tolerance) for row in rows]
    problems = fill_media_attributes(rows, context, _compute(context), required=REQUIRED)
    for index, row in enumerate(rows):
        after = _bounds(row.get("media_attributes"), tolerance)
        if after is None or after == before[index]:
            continue  # nothing known, or validate already checked against these bounds
        for _path, label, at, obj in _objects(row):
            if check_object(obj, before[index]) is not None:
                continue  # reported by validate
            finding = check_object(obj, after)
            if finding is None:
                continue
            if clip and finding.code in OUT_OF_BOUNDS and clip_object(obj, after):
                continue
            problems.append(_problem(index, label, at, obj, finding))
    return problems


@hookimpl(trylast=True)
def rowport_probe_media(
    rows: list[dict[str, Any]], context: ExportContext, only_missing: bool
) -> list[Problem]:
    """Read each image's header (only those lacking attributes when ``only_missing``)."""
    return probe_media_attributes(
        rows, context, _compute(context), required=REQUIRED, only_missing=only_missing
    )
