"""Helpers shared by the demo tests: waiting on exports and reading their rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import orjson

from rowport.tasks import ExportTask

BULK_ROWS = 60


def finished(task: ExportTask) -> ExportTask:
    """``task`` after it ended (tests fail on a hang rather than wait forever)."""
    task.wait_till_done(timeout_seconds=60)
    return task


def rows_of(task: ExportTask) -> list[dict[str, Any]]:
    """Every RESULT row of a finished task."""
    done = finished(task)
    return [out.json for out in done.get_buffered_stream()] if done.has_result() else []


def _row_text(row_data: str) -> str:
    if row_data.startswith("file://"):
        return Path(unquote(urlparse(row_data).path)).read_text(encoding="utf-8")
    return row_data


def _inside_box(box: dict[str, float], width: float, height: float) -> bool:
    return (
        box["left"] >= 0
        and box["top"] >= 0
        and box["width"] > 0
        and box["height"] > 0
        and box["left"] + box["width"] <= width
        and box["top"] + box["height"] <= height
    )


def _points(obj: dict[str, Any]) -> list[dict[str, float]]:
    if "point" in obj:
        return [obj["point"]]
    return list(obj.get("polygon") or obj.get("line") or [])


def _geo_coordinates(geojson: dict[str, Any]) -> list[list[float]]:
    coords = geojson["coordinates"]
    if geojson["type"] == "Point":
        return [coords]
    if geojson["type"] == "LineString":
        return list(coords)
    return [p for ring in coords for p in ring]


def geometry_problems(row: dict[str, Any], media_type: str) -> list[str]:
    """What is out of bounds in the labels of an exported row: a tiny validator for the tests."""
    attrs = row["media_attributes"]
    out: list[str] = []
    labels = [lab for p in row.get("projects", {}).values() for lab in p["labels"]]
    for label in labels:
        a = label["annotations"]
        if media_type == "image":
            w, h = attrs["width"], attrs["height"]
            if attrs.get("exif_rotation") in ("5", "6", "7", "8"):
                w = h = min(w, h)
            for obj in a["objects"]:
                if "bounding_box" in obj and not _inside_box(obj["bounding_box"], w, h):
                    out.append(f"image box outside {w}x{h}")
                for pt in _points(obj):
                    if not (0 <= pt["x"] <= w and 0 <= pt["y"] <= h):
                        out.append(f"image point outside {w}x{h}")
            ids = {o["feature_id"] for o in a["objects"]}
            for rel in a["relationships"]:
                if {rel["relationship"]["source"], rel["relationship"]["target"]} - ids:
                    out.append("relationship to an unknown object")
        elif media_type == "text":
            content = _row_text(row["data_row"]["row_data"])
            for obj in a["objects"]:
                loc = obj["location"]
                if content[loc["start"] : loc["end"] + 1] != loc["token"] or loc["end"] >= len(
                    content
                ):
                    out.append("text entity does not match the text")
        elif media_type == "video":
            count, w, h = attrs["frame_count"], attrs["width"], attrs["height"]
            for number, frame in a["frames"].items():
                if not 1 <= int(number) <= count:
                    out.append(f"frame {number} outside 1..{count}")
                for obj in frame["objects"].values():
                    if not _inside_box(obj["bounding_box"], w, h):
                        out.append("video box outside the frame")
            for fid, ranges in a["segments"].items():
                for start, end in ranges:
                    if not 1 <= start <= end <= count:
                        out.append(f"segment [{start}, {end}] of {fid} is not a range of frames")
                for key in a["key_frame_feature_map"].get(fid, []):
                    if not any(s <= key <= e for s, e in ranges):
                        out.append(f"keyframe {key} outside the segments of {fid}")
        elif media_type == "conversational":
            messages = {
                m["messageId"]: m["content"]
                for m in orjson.loads(row["data_row"]["row_data"])["messages"]
            }
            for obj in a["objects"]:
                where = obj["conversational_location"]
                text = messages.get(where["message_id"])
                loc = where["location"]
                if text is None or not 0 <= loc["start"] <= loc["end"] < len(text):
                    out.append("conversational entity outside its message")
            for cls in a["classifications"]:
                if "message_id" in cls and cls["message_id"] not in messages:
                    out.append("classification of an unknown message")
        elif media_type == "document":
            for obj in a["objects"]:
                if not 1 <= obj.get("page_number", 1) <= attrs["page_count"]:
                    out.append("document page out of range")
                if obj["annotation_kind"] == "DocumentBoundingBox":
                    dims = obj["page_dimensions"]
                    if not _inside_box(obj["bounding_box"], dims["width"], dims["height"]):
                        out.append("document box off the page")
        elif media_type == "geospatial":
            (west, south), (east, north) = orjson.loads(row["data_row"]["row_data"])["bounds"]
            for obj in a["objects"]:
                for lng, lat in _geo_coordinates(obj["geojson"]):
                    if not (west <= lng <= east and south <= lat <= north):
                        out.append("geo coordinate outside the tile layer")
        elif media_type == "audio":
            for turns in a["timestamp"].values():
                for turn in turns:
                    if not 0 <= turn["start_ms"] <= turn["end_ms"] <= attrs["duration_ms"]:
                        out.append("audio timestamp outside the clip")
        elif media_type == "html" and a["objects"]:
            out.append("html labels hold no objects")
    return out
