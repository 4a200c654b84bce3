"""Built-in plugin for ``video`` rows: media attributes from MP4/MOV headers, checks of frames,
segments and keyframes, ``key_frame_feature_map`` and interpolated frames.

Media attributes: the stored ones are the source (there is no video decoder here). Only when a
media probe (or an export with ``media.fetch`` on) meets a row lacking ``frame_rate`` or
``frame_count`` (with ``"always"``: any row) whose ``row_data`` is a local path or ``file://``
URL of an ``.mp4``/``.m4v``/``.mov`` file is the file's ISO-BMFF ``moov`` box parsed (with
``struct``): ``mvhd`` (timescale, duration), the video track's ``tkhd`` (width, height),
``mdhd`` (timescale, duration), ``stsd`` (codec fourcc) and ``stts`` (sample count, the frame
count). Only the top-level box headers and the ``moov`` box are read. Other rows are left alone.

Checks, per label and prediction (one problem per bad annotation: a frame, a frame's object, or
a feature's segment list):

- ``FRAME_OUT_OF_RANGE``: a ``frames`` key that is not a positive integer, or past
  ``frame_count``; a segment starting before 1 or ending past ``frame_count``;
- ``SEGMENT_INVALID`` (not ``[start, end]`` ints, or start after end), ``SEGMENTS_UNSORTED``,
  ``SEGMENTS_OVERLAP``;
- ``KEYFRAME_OUTSIDE_SEGMENT``: a keyframe object outside every segment of its feature;
- ``GEOMETRY_MALFORMED``, ``BBOX_INVALID`` (height/width not > 0), ``BBOX_OUT_OF_BOUNDS``
  (past ``width``/``height`` by more than ``tolerance`` px).

Transform: ``key_frame_feature_map`` is made ``{feature_id: [keyframes, sorted ints]}`` when it
differs from the keyframes present; with ``interpolated_frames`` every frame inside each segment
of an object gets the object, its box interpolated linearly between the surrounding keyframes of
that segment. See ``docs/media/video.md``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from rowport import hookimpl
from rowport.plugins import ExportContext, Problem
from rowport_plugins._formats.mp4 import read_mp4
from rowport_plugins._media import (
    MediaError,
    MediaFetcher,
    declarations,
    fill_media_attributes,
    is_int,
    is_number,
    iter_labels,
    local_path,
    plugin_options,
    probe_media_attributes,
    reads,
)
from rowport_plugins._media import number_text as _num
from rowport_plugins._media import tolerance as option_tolerance
from rowport_plugins._video_frames import (
    MAX_INTERPOLATED_FRAMES,
    box_tuple,
    frame_number,
    interpolate_frames,
    keyframe_map,
    segment_ranges,
)

__all__ = [
    "Finding",
    "VideoLimits",
    "check_label",
    "interpolate_frames",
    "keyframe_map",
    "rowport_declare_media_types",
    "rowport_declare_sections",
    "rowport_probe_media",
    "rowport_transform_rows",
    "rowport_validate_rows",
]

NAME = "video"
DEFAULT_TOLERANCE = 0.5
REQUIRED = ("frame_rate", "frame_count")
MP4_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".qt"})
# -- ISO-BMFF (MP4 / MOV) ------------------------------------------------------------------------


def _mp4_path(row: Mapping[str, Any]) -> Path | None:
    source = row["data_row"].get("row_data")
    path = local_path(source) if isinstance(source, str) else None
    return path if path is not None and path.suffix.lower() in MP4_SUFFIXES else None


def _compute(row: dict[str, Any], media: MediaFetcher) -> dict[str, Any]:
    path = _mp4_path(row)
    if path is None:  # filtered before; kept for safety
        raise MediaError("MEDIA_UNSUPPORTED_SOURCE", "not a local MP4/MOV file")
    return read_mp4(path, max_bytes=media.max_bytes).attributes()


# -- checks --------------------------------------------------------------------------------------


@attrs.frozen
class VideoLimits:
    """What the media attributes say: ``frame_count``, ``width``, ``height`` (None: unknown)."""

    frame_count: int | None = None
    width: float | None = None
    height: float | None = None
    tolerance: float = DEFAULT_TOLERANCE

    @classmethod
    def of(cls, attributes: Any, tolerance: float) -> VideoLimits:
        attributes = attributes if isinstance(attributes, Mapping) else {}
        count = attributes.get("frame_count")
        width, height = attributes.get("width"), attributes.get("height")
        return cls(
            frame_count=count if is_int(count) and count > 0 else None,
            width=float(width) if is_number(width) and width > 0 else None,
            height=float(height) if is_number(height) and height > 0 else None,
            tolerance=tolerance,
        )


@attrs.frozen
class Finding:
    """One problem of one annotation unit (``key``: a frame, a frame's object, or a feature's
    segments), with the feature it concerns."""

    key: tuple[str, ...]
    code: str
    at: str
    what: str
    value: Any
    feature_id: str | None = None
    name: str | None = None


def _check_segments(fid: str, raw: Any, at: str, limits: VideoLimits) -> Finding | None:
    def found(code: str, what: str) -> Finding:
        return Finding(("segments", fid), code, at, what, raw, fid)

    segments = segment_ranges(raw)
    if segments is None:
        return found("SEGMENT_INVALID", "segments must be [[start, end], ...] ints, start <= end")
    for start, end in segments:
        if start < 1 or (limits.frame_count is not None and end > limits.frame_count):
            top = limits.frame_count if limits.frame_count is not None else "frame_count"
            return found("FRAME_OUT_OF_RANGE", f"segment [{start}, {end}] is outside 1..{top}")
    for (s0, e0), (s1, e1) in itertools.pairwise(segments):
        if s1 < s0:
            return found("SEGMENTS_UNSORTED", f"segment [{s1}, {e1}] comes after [{s0}, {e0}]")
        if s1 <= e0:
            return found("SEGMENTS_OVERLAP", f"segment [{s1}, {e1}] overlaps [{s0}, {e0}]")
    return None


def _check_object(
    number: int, fid: str, obj: Any, at: str, segments: Any, limits: VideoLimits
) -> Finding | None:
    key = ("object", str(number), fid)
    if not isinstance(obj, Mapping):
        return Finding(key, "GEOMETRY_MALFORMED", at, "an object must be a dict", obj, fid)
    name = obj.get("name") if isinstance(obj.get("name"), str) else None

    def found(code: str, what: str, value: Any) -> Finding:
        return Finding(key, code, at, what, value, fid, name)

    has_box = "bounding_box" in obj or obj.get("annotation_kind") == "VideoBoundingBox"
    raw = obj.get("bounding_box")
    box = box_tuple(raw)
    if has_box:
        if box is None:
            return found(
                "GEOMETRY_MALFORMED",
                "bounding_box must be {top, left, height, width} with finite numbers",
                raw,
            )
        if box[2] <= 0 or box[3] <= 0:
            return found("BBOX_INVALID", "height and width must be > 0", raw)
    ranges = segment_ranges(segments)
    if segments is None or (ranges is not None and not any(s <= number <= e for s, e in ranges)):
        return found(
            "KEYFRAME_OUTSIDE_SEGMENT",
            f"keyframe {number} is inside none of the feature's segments {segments!r}",
            number,
        )
    if box is not None and limits.width is not None and limits.height is not None:
        top, left, height, width = box
        tol = limits.tolerance
        if not (
            -tol <= left
            and left + width <= limits.width + tol
            and -tol <= top
            and top + height <= limits.height + tol
        ):
            return found(
                "BBOX_OUT_OF_BOUNDS",
                f"the box spans x {_num(left)}..{_num(left + width)},"
                f" y {_num(top)}..{_num(top + height)}; allowed x in [0, {_num(limits.width)}],"
                f" y in [0, {_num(limits.height)}] (tolerance {_num(tol)} px)",
                raw,
            )
    return None


def check_label(annotations: Any, path: str, limits: VideoLimits) -> list[Finding]:
    """Every problem of a video label's ``annotations`` (at most one per unit)."""
    if not isinstance(annotations, Mapping):
        return []
    base = f"{path}.annotations"
    findings: list[Finding] = []
    segments = annotations.get("segments")
    if segments is None:
        segments = {}
    if not isinstance(segments, Mapping):
        findings.append(
            Finding(
                ("segments",),
                "SEGMENT_INVALID",
                f"{base}.segments",
                "segments must be {feature_id: [[start, end], ...]}",
                segments,
            )
        )
        segments = {}
    for fid, raw in segments.items():
        found = _check_segments(str(fid), raw, f"{base}.segments.{fid}", limits)
        if found is not None:
            findings.append(found)
    frames = annotations.get("frames")
    if not isinstance(frames, Mapping):
        return findings
    for key, frame in frames.items():
        at = f"{base}.frames.{key}"
        number = frame_number(key)
        top = limits.frame_count if limits.frame_count is not None else "frame_count"
        if number is None or (limits.frame_count is not None and number > limits.frame_count):
            findings.append(
                Finding(
                    ("frame", str(key)),
                    "FRAME_OUT_OF_RANGE",
                    at,
                    f"frame {key!r} is not an integer in 1..{top}",
                    key,
                )
            )
            continue
        objects = frame.get("objects") if isinstance(frame, Mapping) else None
        if objects is None and isinstance(frame, Mapping):
            continue
        if not isinstance(objects, Mapping):
            findings.append(
                Finding(
                    ("frame", str(key)),
                    "GEOMETRY_MALFORMED",
                    at,
                    "a frame must be {objects: {feature_id: {...}}, classifications: [...]}",
                    frame,
                )
            )
            continue
        for fid, obj in objects.items():
            found_obj = _check_object(
                number, str(fid), obj, f"{at}.objects.{fid}", segments.get(fid), limits
            )
            if found_obj is not None:
                findings.append(found_obj)
    return findings


# -- keyframes and interpolation -----------------------------------------------------------------


# -- hooks ---------------------------------------------------------------------------------------


def _findings(row: Mapping[str, Any], limits: VideoLimits) -> Iterator[tuple[Any, Finding]]:
    for _kind, _owner, path, label in iter_labels(row):
        for finding in check_label(label.get("annotations"), path, limits):
            yield label, finding


def _problem(index: int, label: Any, finding: Finding) -> Problem:
    who = f"{finding.name!r} ({finding.feature_id})" if finding.name else finding.feature_id
    return Problem(
        index=index,
        code=finding.code,
        message=f"{f'feature {who} ' if who else ''}at {finding.at}: {finding.what}"
        f" (got {finding.value!r})",
        details={
            "label_id": label.get("id") if isinstance(label, Mapping) else None,
            "feature_id": finding.feature_id,
            "name": finding.name,
            "path": finding.at,
            "value": finding.value,
        },
    )


rowport_declare_media_types, rowport_declare_sections = declarations(NAME)


@hookimpl(trylast=True)
def rowport_validate_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Check frames, segments, keyframes and boxes against the stored media attributes."""
    tolerance = option_tolerance(plugin_options(context, NAME), DEFAULT_TOLERANCE)
    problems: list[Problem] = []
    for index, row in enumerate(rows):
        limits = VideoLimits.of(row.get("media_attributes"), tolerance)
        for label, finding in _findings(row, limits):
            problems.append(_problem(index, label, finding))
    return problems


@hookimpl(trylast=True)
def rowport_transform_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Fill media attributes of local MP4/MOV rows, check what they newly allow, fix
    ``key_frame_feature_map`` and (with ``interpolated_frames``) fill in the frames."""
    tolerance = option_tolerance(plugin_options(context, NAME), DEFAULT_TOLERANCE)
    before = [VideoLimits.of(row.get("media_attributes"), tolerance) for row in rows]
    wanted = [
        i
        for i, row in enumerate(rows)
        if reads(context, row.get("media_attributes"), REQUIRED) and _mp4_path(row) is not None
    ]
    problems: list[Problem] = []
    if wanted:
        found = fill_media_attributes(
            [rows[i] for i in wanted], context, _compute, required=REQUIRED
        )
        problems.extend(attrs.evolve(p, index=wanted[p.index]) for p in found)
    interpolate = bool(getattr(context.params, "interpolated_frames", False))
    for index, row in enumerate(rows):
        after = VideoLimits.of(row.get("media_attributes"), tolerance)
        if after != before[index]:
            seen = {f.key for _, f in _findings(row, before[index])}
            for label, finding in _findings(row, after):
                if finding.key not in seen:
                    problems.append(_problem(index, label, finding))
        for _kind, _owner, path, label in iter_labels(row):
            annotations = label.get("annotations")
            if not isinstance(annotations, dict) or "frames" not in annotations:
                continue
            computed = keyframe_map(annotations["frames"])
            if annotations.get("key_frame_feature_map") != computed:
                annotations["key_frame_feature_map"] = computed
            if interpolate:
                frames = interpolate_frames(annotations, after.frame_count)
                if frames is None:
                    problems.append(
                        Problem(
                            index=index,
                            code="INTERPOLATION_SKIPPED",
                            message=f"{path}: over {MAX_INTERPOLATED_FRAMES} frames to"
                            " interpolate; frames hold keyframes only",
                            details={"label_id": label.get("id"), "path": path},
                        )
                    )
                else:
                    annotations["frames"] = frames
    return problems


@hookimpl(trylast=True)
def rowport_probe_media(
    rows: list[dict[str, Any]], context: ExportContext, only_missing: bool
) -> list[Problem]:
    """Parse the ``moov`` box of local MP4/MOV rows (those lacking attributes when
    ``only_missing``); other rows are left alone."""
    wanted = [i for i, row in enumerate(rows) if _mp4_path(row) is not None]
    found = probe_media_attributes(
        [rows[i] for i in wanted], context, _compute, required=REQUIRED, only_missing=only_missing
    )
    return [attrs.evolve(p, index=wanted[p.index]) for p in found]
