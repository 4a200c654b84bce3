"""A video label's frames: frame numbers, segments, keyframes, and filling in the frames
between keyframes (``interpolated_frames``). Pure functions of a label's annotations."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from rowport_plugins._media import Box, is_int

__all__ = [
    "MAX_INTERPOLATED_FRAMES",
    "box_tuple",
    "frame_number",
    "interpolate_frames",
    "keyframe_map",
    "segment_ranges",
]

MAX_INTERPOLATED_FRAMES = 1_000_000


def frame_number(key: Any) -> int | None:
    if isinstance(key, str) and key.isascii() and key.isdigit():
        number = int(key)
        return number if number >= 1 else None
    return None


def box_tuple(value: Any) -> tuple[float, float, float, float] | None:
    box = Box.parse(value)
    return box.as_tuple() if box is not None else None


def segment_ranges(value: Any) -> list[tuple[int, int]] | None:
    """Well-formed ``[[start, end], ...]`` (ints, start <= end), else None."""
    if not isinstance(value, list):
        return None
    out = []
    for pair in value:
        if not (
            isinstance(pair, list | tuple)
            and len(pair) == 2
            and is_int(pair[0])
            and is_int(pair[1])
            and pair[0] <= pair[1]
        ):
            return None
        out.append((int(pair[0]), int(pair[1])))
    return out


def _keyframes(frames: Mapping[str, Any]) -> dict[str, dict[int, Mapping[str, Any]]]:
    """``{feature_id: {frame: object}}`` of the objects in frames with valid numbers."""
    out: dict[str, dict[int, Mapping[str, Any]]] = {}
    for key in sorted(frames, key=lambda k: frame_number(k) or 0):
        number = frame_number(key)
        frame = frames[key]
        objects = frame.get("objects") if isinstance(frame, Mapping) else None
        if number is None or not isinstance(objects, Mapping):
            continue
        for fid, obj in objects.items():
            if isinstance(obj, Mapping):
                out.setdefault(str(fid), {})[number] = obj
    return out


def keyframe_map(frames: Any) -> dict[str, list[int]]:
    """``{feature_id: [keyframe numbers, sorted]}`` from a label's ``frames``."""
    if not isinstance(frames, Mapping):
        return {}
    return {fid: sorted(found) for fid, found in _keyframes(frames).items()}


def _lerp(a: tuple[float, ...], b: tuple[float, ...], t: float) -> tuple[float, ...]:
    return tuple(x + (y - x) * t for x, y in zip(a, b, strict=True))


def interpolate_frames(
    annotations: Mapping[str, Any], frame_count: int | None = None
) -> dict[str, Any] | None:
    """The ``frames`` with every frame of each object's segments filled in, or None when there
    would be more than :data:`MAX_INTERPOLATED_FRAMES` frames.

    Boxes are interpolated linearly between the keyframes around a frame in the same segment;
    before the first (after the last) keyframe of a segment the first (last) is carried; a
    segment without keyframes adds nothing. The object (its classifications included) is
    copied from the keyframe before (else the one after).
    """
    frames = annotations.get("frames")
    segments = annotations.get("segments")
    if not isinstance(frames, Mapping):
        return None
    keyframes = _keyframes(frames)
    out: dict[int, Any] = {}
    invalid: dict[str, Any] = {}
    for key, frame in frames.items():
        number = frame_number(key)
        if number is None:
            invalid[key] = frame
        elif isinstance(frame, Mapping) and isinstance(frame.get("objects"), Mapping):
            out[number] = {**frame, "objects": dict(frame["objects"])}  # ours to add to
        else:
            out[number] = frame
    budget = MAX_INTERPOLATED_FRAMES
    for fid, raw in segments.items() if isinstance(segments, Mapping) else ():
        ranges = segment_ranges(raw)
        known = keyframes.get(str(fid), {})
        if not ranges or not known:
            continue
        boxed = {n: o for n, o in known.items() if box_tuple(o.get("bounding_box")) is not None}
        for start, end in ranges:
            start = max(start, 1)
            if frame_count is not None:
                end = min(end, frame_count)
            inside = sorted(n for n in boxed if start <= n <= end)
            if not inside:
                continue
            budget -= end - start + 1
            if budget < 0:
                return None
            at = 0
            for n in range(start, end + 1):
                while at + 1 < len(inside) and inside[at + 1] <= n:
                    at += 1
                if n in known:
                    continue  # the keyframe itself stays as it is
                before = inside[at] if inside[at] <= n else None
                after = inside[at + 1] if at + 1 < len(inside) else None
                if before is None:
                    after = inside[0]
                base = boxed[before if before is not None else after]  # type: ignore[index]
                box_from = box_tuple(base["bounding_box"])
                assert box_from is not None
                box: tuple[float, ...] = box_from
                if before is not None and after is not None and after > n:
                    box_to = box_tuple(boxed[after]["bounding_box"])
                    assert box_to is not None
                    box = _lerp(box_from, box_to, (n - before) / (after - before))
                obj = copy.deepcopy(dict(base))
                obj["bounding_box"] = {
                    **obj["bounding_box"],
                    **dict(zip(("top", "left", "height", "width"), box, strict=True)),
                }
                frame = out.get(n)
                if frame is None:
                    frame = out[n] = {"objects": {}, "classifications": []}
                elif isinstance(frame, dict) and "objects" not in frame:
                    frame = out[n] = {**frame, "objects": {}}
                elif not (isinstance(frame, dict) and isinstance(frame["objects"], dict)):
                    continue  # a malformed frame (reported by validate) is left alone
                frame["objects"][str(fid)] = obj
    result: dict[str, Any] = {str(n): out[n] for n in sorted(out)}
    result.update(invalid)
    return result
