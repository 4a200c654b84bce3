"""Annotations in the export format for each media type, valid and inside their asset's bounds.

Builders name features by ``name`` (the catalog fills in ids); they set ``feature_id`` only where
another part of the label refers to it (relationships, video frames and segments). The
``broken_*`` builders keep every feature valid and get only a geometry or a range wrong.
"""

from __future__ import annotations

import copy
import random
import re
import uuid
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from rowport._ids import new_id

__all__ = [
    "audio_annotations",
    "bulk_image_annotations",
    "conversational_annotations",
    "document_annotations",
    "geospatial_annotations",
    "html_annotations",
    "image_annotations",
    "image_prediction",
    "text_annotations",
    "video_annotations",
]

Ann = dict[str, Any]


def radio(name: str, answer: str, *sub: Ann) -> Ann:
    """A radio classification answered with ``answer`` (and nested classifications)."""
    return {"name": name, "radio_answer": {"name": answer, "classifications": list(sub)}}


def checklist(name: str, *answers: str) -> Ann:
    """A checklist classification with these answers."""
    return {
        "name": name,
        "checklist_answers": [{"name": a, "classifications": []} for a in answers],
    }


def text(name: str, content: str) -> Ann:
    """A free-text classification."""
    return {"name": name, "text_answer": {"content": content}}


def _xy(x: float, y: float) -> dict[str, float]:
    return {"x": round(float(x), 3), "y": round(float(y), 3)}


def _box(top: float, left: float, height: float, width: float) -> dict[str, float]:
    return {
        "top": float(round(top)),
        "left": float(round(left)),
        "height": float(round(height)),
        "width": float(round(width)),
    }


# -- image -----------------------------------------------------------------------------------


def image_annotations(width: int, height: int) -> Ann:
    """The scene :func:`~rowport.demo._media.make_media` draws, annotated with every tool."""
    horizon = height // 2
    vehicle, pedestrian = new_id(), new_id()
    return {
        "objects": [
            {
                "feature_id": vehicle,
                "name": "vehicle",
                "annotation_kind": "ImageBoundingBox",
                "bounding_box": _box(horizon + 20, width // 8, 50, 90),
                "classifications": [radio("occlusion", "none")],
            },
            {
                "feature_id": pedestrian,
                "name": "pedestrian",
                "annotation_kind": "ImageBoundingBox",
                "bounding_box": _box(horizon + 10, width * 0.6, 60, 25),
                "classifications": [],
            },
            {
                "name": "road surface",
                "annotation_kind": "ImagePolygon",
                "polygon": [
                    _xy(0, height - 1),
                    _xy(width * 0.45, horizon),
                    _xy(width * 0.55, horizon),
                    _xy(width - 1, height - 1),
                    _xy(0, height - 1),
                ],
                "classifications": [],
            },
            {
                "name": "lane marking",
                "annotation_kind": "ImagePolyline",
                "line": [_xy(width / 2, height - 1), _xy(width / 2, horizon)],
                "classifications": [checklist("marking type", "dashed")],
            },
            {
                "name": "traffic light",
                "annotation_kind": "ImagePoint",
                "point": _xy(width - 45, 35),
                "classifications": [radio("state", "green")],
            },
        ],
        "classifications": [
            radio("scene", "urban", radio("density", "dense")),
            checklist("weather", "clear"),
            text("notes", "Sunny street, one parked car, lane marking in the middle."),
        ],
        "relationships": [
            {
                "name": "near",
                "annotation_kind": "Relationship",
                "relationship": {
                    "source": pedestrian,
                    "target": vehicle,
                    "type": "unidirectional",
                },
            }
        ],
    }


def bulk_image_annotations(width: int, height: int, rng: random.Random) -> Ann:
    """One to three vehicle boxes at random places inside the image, and scene classifications."""
    objects = []
    for _ in range(rng.randint(1, 3)):
        w, h = rng.randint(40, 300), rng.randint(30, 200)
        objects.append(
            {
                "name": "vehicle",
                "annotation_kind": "ImageBoundingBox",
                "bounding_box": _box(
                    rng.randint(0, height - h - 1), rng.randint(0, width - w - 1), h, w
                ),
                "classifications": [radio("occlusion", rng.choice(["none", "partial", "heavy"]))],
            }
        )
    scene = (
        radio("scene", "urban", radio("density", rng.choice(["sparse", "dense"])))
        if rng.random() < 0.7
        else radio("scene", "rural")
    )
    return {
        "objects": objects,
        "classifications": [scene, checklist("weather", rng.choice(["clear", "rain", "fog"]))],
        "relationships": [],
    }


def _without_feature_ids(node: Any) -> Any:
    """A deep copy with every ``feature_id`` dropped (a prediction gets its own)."""
    if isinstance(node, Mapping):
        return {k: _without_feature_ids(v) for k, v in node.items() if k != "feature_id"}
    if isinstance(node, list):
        return [_without_feature_ids(v) for v in node]
    return node


def image_prediction(annotations: Mapping[str, Any], width: int, height: int, seed: str) -> Ann:
    """A model's guess at a labelled image: its boxes nudged a few pixels (kept inside)."""
    rng = random.Random(seed)
    objects = []
    for obj in annotations.get("objects", ()):
        box = obj.get("bounding_box")
        if box is None:
            continue
        w = min(box["width"] + rng.randint(-4, 4), width - 1)
        h = min(box["height"] + rng.randint(-4, 4), height - 1)
        left = min(max(0, box["left"] + rng.randint(-3, 3)), width - w)
        top = min(max(0, box["top"] + rng.randint(-3, 3)), height - h)
        pred = _without_feature_ids(obj)
        pred["bounding_box"] = _box(top, left, h, w)
        objects.append(pred)
    classifications = [
        _without_feature_ids(c)
        for c in annotations.get("classifications", ())
        if c["name"] == "scene"
    ]
    return {"objects": objects, "classifications": classifications, "relationships": []}


def broken_image_bbox(width: int, height: int) -> Ann:
    """A vehicle box that runs past the right and bottom edges of the image."""
    return {
        "objects": [
            {
                "name": "vehicle",
                "annotation_kind": "ImageBoundingBox",
                "bounding_box": _box(height - 30, width - 40, 80, 120),
                "classifications": [radio("occlusion", "partial")],
            }
        ],
        "classifications": [],
        "relationships": [],
    }


# -- video -----------------------------------------------------------------------------------


def _video_object(
    fid: str, name: str, box: dict[str, float], moving: str | None, ids: dict[str, str]
) -> Ann:
    """A keyframe's box; its nested answer keeps one ``feature_id`` across frames (``ids``)."""
    classifications = []
    if moving is not None:
        question = radio("moving", moving)
        question["feature_id"] = ids.setdefault("moving", new_id())
        question["radio_answer"]["feature_id"] = ids.setdefault(f"moving={moving}", new_id())
        classifications.append(question)
    return {
        "feature_id": fid,
        "name": name,
        "annotation_kind": "VideoBoundingBox",
        "classifications": classifications,
        "bounding_box": box,
    }


def video_annotations(attributes: Mapping[str, Any]) -> Ann:
    """A car tracked over two segments and a cyclist over one, keyframes only."""
    width, height, count = attributes["width"], attributes["height"], attributes["frame_count"]
    car, cyclist = new_id(), new_id()
    car_keys = [1, count // 10, count // 5, (2 * count) // 5, count // 2]
    car_segments = [[car_keys[0], car_keys[2]], [car_keys[3], car_keys[4]]]
    cyclist_keys = [count // 30 or 1, count // 7]
    frames: dict[int, Ann] = {}
    car_ids: dict[str, str] = {}
    for i, frame in enumerate(car_keys):
        box = _box(height * 0.55, width * 0.1 + i * width * 0.08, height * 0.2, width * 0.15)
        entry = frames.setdefault(frame, {"objects": {}, "classifications": []})
        entry["objects"][car] = _video_object(car, "car", box, "yes" if i < 3 else "no", car_ids)
    for i, frame in enumerate(cyclist_keys):
        box = _box(height * 0.5, width * 0.7 - i * width * 0.1, height * 0.3, width * 0.08)
        entry = frames.setdefault(frame, {"objects": {}, "classifications": []})
        entry["objects"][cyclist] = _video_object(cyclist, "cyclist", box, None, {})
    frames[car_keys[1]]["classifications"].append(radio("frame quality", "sharp"))
    return {
        "frames": {str(k): frames[k] for k in sorted(frames)},
        "segments": {car: car_segments, cyclist: [[cyclist_keys[0], cyclist_keys[1]]]},
        "key_frame_feature_map": {car: car_keys, cyclist: cyclist_keys},
        "classifications": [
            checklist("events", "lane change", "overtake"),
            text("summary", "A car changes lanes and overtakes a cyclist."),
        ],
    }


def broken_video_segment(attributes: Mapping[str, Any]) -> Ann:
    """A car segment whose start frame comes after its end frame."""
    ann = video_annotations(attributes)
    car = next(iter(ann["segments"]))
    first, last = ann["segments"][car][0]
    ann["segments"][car][0] = [last, first]
    return ann


def broken_video_keyframe(attributes: Mapping[str, Any]) -> Ann:
    """A keyframe (and its segment) past the last frame of the video."""
    ann = video_annotations(attributes)
    car = next(iter(ann["segments"]))
    late = attributes["frame_count"] + 50
    last_box = ann["frames"][str(ann["key_frame_feature_map"][car][-1])]["objects"][car]
    ann["frames"][str(late)] = {"objects": {car: copy.deepcopy(last_box)}, "classifications": []}
    ann["segments"][car].append([late, late])
    ann["key_frame_feature_map"][car].append(late)
    return ann


# -- text ------------------------------------------------------------------------------------

_ENTITIES: tuple[tuple[str, str], ...] = (
    ("person", "Ada Lovelace"),
    ("person", "Charles Babbage"),
    ("person", "Grace Hopper"),
    ("person", "Alan Turing"),
    ("location", "London"),
    ("work", "Analytical Engine"),
    ("work", "Harvard Mark I"),
    ("work", "Automatic Computing Engine"),
)
_YEAR = re.compile(r"\b1[89]\d\d\b")


def _entity(name: str, start: int, token: str, fid: str | None = None) -> Ann:
    out: Ann = {"feature_id": fid} if fid else {}
    out.update(
        {
            "name": name,
            "annotation_kind": "TextEntity",
            "classifications": [],
            "location": {"start": start, "end": start + len(token) - 1, "token": token},
        }
    )
    return out


def text_annotations(content: str) -> Ann:
    """Named entities found in ``content`` (``end`` inclusive), a relationship, classifications."""
    objects = []
    people: list[str] = []
    for name, token in _ENTITIES:
        start = content.find(token)
        if start < 0:
            continue
        fid = new_id()
        if name == "person":
            people.append(fid)
        entity = _entity(name, start, token, fid)
        if name == "work":
            entity["classifications"] = [
                text("wikidata id", f"Q{zlib.crc32(token.encode()) % 10**6}")
            ]
        objects.append(entity)
    for m in _YEAR.finditer(content):
        objects.append(_entity("date", m.start(), m.group()))
    relationships = []
    if len(people) >= 2:
        relationships.append(
            {
                "name": "collaborated with",
                "annotation_kind": "Relationship",
                "relationship": {"source": people[0], "target": people[1], "type": "bidirectional"},
            }
        )
    return {
        "objects": objects,
        "classifications": [
            radio("tone", "opinionated", checklist("signals", "hedging")),
            checklist("topics", "history", "computing"),
            text("summary", content[:60].rsplit(" ", 1)[0] + "..."),
        ],
        "relationships": relationships,
    }


def broken_text_entity(content: str) -> Ann:
    """An entity whose end runs 25 characters past the end of the text."""
    start = max(0, len(content) - 10)
    entity = _entity("work", start, content[start:])
    entity["location"]["end"] = len(content) + 25
    return {"objects": [entity], "classifications": [], "relationships": []}


# -- conversational --------------------------------------------------------------------------


def _message_entity(name: str, message: Mapping[str, Any], token: str) -> Ann | None:
    start = message["content"].find(token)
    if start < 0:
        return None
    return {
        "name": name,
        "annotation_kind": "ConversationalTextEntity",
        "classifications": [],
        "conversational_location": {
            "message_id": message["messageId"],
            "location": {"start": start, "end": start + len(token) - 1},
        },
    }


def conversational_annotations(conversation: Mapping[str, Any]) -> Ann:
    """Entities inside messages and message-scoped classifications (by ``message_id``)."""
    messages = conversation["messages"]
    objects = [
        entity
        for message in messages
        for entity in (
            _message_entity("product", message, "Acme X200"),
            _message_entity("order number", message, "88-1234"),
        )
        if entity is not None
    ]
    intents = ("complaint", "answer", "request", "answer", "thanks")
    classifications: list[Ann] = [radio("resolved", "yes", radio("satisfaction", "high"))]
    for i, message in enumerate(messages):
        mid = message["messageId"]
        classifications.append(
            {
                "name": "intent",
                "message_id": mid,
                "conversational_radio_answer": {
                    "name": intents[i % len(intents)],
                    "classifications": [],
                },
            }
        )
        if message["user"]["userId"] == "agent":
            classifications.append(
                {
                    "name": "tone",
                    "message_id": mid,
                    "conversational_checklist_answers": [
                        {"name": "polite", "classifications": []},
                        {"name": "apologetic", "classifications": []},
                    ],
                }
            )
    classifications.append(
        {
            "name": "agent note",
            "message_id": messages[-1]["messageId"],
            "conversational_text_answer": {"content": "Customer left satisfied."},
        }
    )
    return {"objects": objects, "classifications": classifications, "relationships": []}


def broken_conversational_entity(conversation: Mapping[str, Any]) -> Ann:
    """An entity in the last message whose end is past that message's text."""
    message = conversation["messages"][-1]
    entity = {
        "name": "product",
        "annotation_kind": "ConversationalTextEntity",
        "classifications": [],
        "conversational_location": {
            "message_id": message["messageId"],
            "location": {"start": 3, "end": len(message["content"]) + 40},
        },
    }
    return {"objects": [entity], "classifications": [], "relationships": []}


# -- document --------------------------------------------------------------------------------


def _doc_box(name: str, page: int, box: dict[str, float], size: Sequence[float]) -> Ann:
    return {
        "name": name,
        "annotation_kind": "DocumentBoundingBox",
        "classifications": [radio("legible", "yes")] if name == "title block" else [],
        "page_number": page,
        "bounding_box": box,
        "page_dimensions": {"height": float(size[1]), "width": float(size[0])},
    }


def document_annotations(pages: Sequence[tuple[float, float]], seed: str) -> Ann:
    """A title block on page 1, a table on page 2 (PDF points), an entity token group."""
    rng = random.Random(seed)

    def uid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    (w1, h1), (w2, h2) = pages[0], pages[1]
    return {
        "objects": [
            _doc_box("title block", 1, _box(h1 * 0.06, 66, 30, w1 * 0.75), pages[0]),
            _doc_box("table", 2, _box(100, 60, h2 * 0.5, w2 * 0.8), pages[1]),
            {
                "name": "invoice number",
                "annotation_kind": "DocumentEntityToken",
                "classifications": [],
                "location": {
                    "groups": [
                        {
                            "id": uid(),
                            "page_number": 1,
                            "tokens": [uid(), uid()],
                            "text": "2024-0042",
                        }
                    ]
                },
            },
        ],
        "classifications": [
            checklist("document type", "invoice"),
            radio("language", "english", radio("variant", "us")),
            text("summary", "Invoice 2024-0042 with two line items."),
        ],
        "relationships": [],
    }


def broken_document_bbox(pages: Sequence[tuple[float, float]]) -> Ann:
    """A table box on page 2 that extends past the page's right edge."""
    width = pages[1][0]
    return {
        "objects": [_doc_box("table", 2, _box(100, width - 60, 200, 150), pages[1])],
        "classifications": [],
        "relationships": [],
    }


# -- geospatial ------------------------------------------------------------------------------


def _lnglat(bounds: Sequence[Sequence[float]], u: float, v: float) -> list[float]:
    (west, south), (east, north) = bounds
    return [round(west + u * (east - west), 6), round(south + v * (north - south), 6)]


def _geo_box(bounds: Sequence[Sequence[float]], u0: float, v0: float, u1: float, v1: float) -> Ann:
    ring = [
        _lnglat(bounds, u0, v0),
        _lnglat(bounds, u0, v1),
        _lnglat(bounds, u1, v1),
        _lnglat(bounds, u1, v0),
        _lnglat(bounds, u0, v0),
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def geospatial_annotations(bounds: Sequence[Sequence[float]]) -> Ann:
    """A tree, a building, a parking lot and a road, all inside the tile layer's bounds."""
    building = [
        _lnglat(bounds, u, v)
        for u, v in ((0.50, 0.50), (0.50, 0.58), (0.61, 0.60), (0.62, 0.51), (0.50, 0.50))
    ]
    return {
        "objects": [
            {
                "name": "tree",
                "annotation_kind": "GeoPoint",
                "classifications": [],
                "geojson": {"type": "Point", "coordinates": _lnglat(bounds, 0.3, 0.6)},
            },
            {
                "name": "building",
                "annotation_kind": "GeoPolygon",
                "classifications": [radio("roof", "flat")],
                "geojson": {"type": "Polygon", "coordinates": [building]},
            },
            {
                "name": "parking lot",
                "annotation_kind": "GeoBoundingBox",
                "classifications": [],
                "geojson": _geo_box(bounds, 0.2, 0.2, 0.35, 0.3),
            },
            {
                "name": "road",
                "annotation_kind": "GeoLine",
                "classifications": [],
                "geojson": {
                    "type": "LineString",
                    "coordinates": [_lnglat(bounds, 0.05, 0.1), _lnglat(bounds, 0.9, 0.8)],
                },
            },
        ],
        "classifications": [
            radio("land use", "residential"),
            checklist("visible issues", "shadow"),
            text("notes", "Dense housing next to a small park."),
        ],
        "relationships": [],
    }


def broken_geospatial_point(bounds: Sequence[Sequence[float]]) -> Ann:
    """A tree east of the tile layer's bounds."""
    point = _lnglat(bounds, 1.4, 0.5)
    return {
        "objects": [
            {
                "name": "tree",
                "annotation_kind": "GeoPoint",
                "classifications": [],
                "geojson": {"type": "Point", "coordinates": point},
            }
        ],
        "classifications": [],
        "relationships": [],
    }


# -- audio -----------------------------------------------------------------------------------


def _find(nodes: Sequence[Mapping[str, Any]], name: str) -> Mapping[str, Any]:
    return next(n for n in nodes if n["name"] == name)


def _speaker_turn(
    ontology_classifications: Sequence[Mapping[str, Any]], start_ms: int, end_ms: int, who: str
) -> Ann:
    question = _find(ontology_classifications, "speaker")
    option = _find(question["options"], who)
    return {
        "start_ms": start_ms,
        "end_ms": end_ms,
        "feature_schema_id": question["feature_schema_id"],
        "name": question["name"],
        "value": question["value"],
        "radio_answer": {
            "feature_id": new_id(),
            "feature_schema_id": option["feature_schema_id"],
            "name": option["name"],
            "value": option["value"],
            "classifications": [],
        },
    }


def audio_annotations(
    duration_ms: int, ontology_classifications: Sequence[Mapping[str, Any]]
) -> Ann:
    """Global classifications and two speaker turns under ``timestamp`` (inside the clip)."""
    half = duration_ms // 2
    return {
        "classifications": [
            radio("language", "english", radio("accent", "us")),
            checklist("sounds", "tone"),
            text("transcript", "(a steady test tone)"),
        ],
        "segments": {},
        "timestamp": {
            new_id(): [
                _speaker_turn(ontology_classifications, 0, half, "speaker a"),
                _speaker_turn(ontology_classifications, half, duration_ms, "speaker b"),
            ]
        },
    }


def broken_audio_timestamp(
    duration_ms: int, ontology_classifications: Sequence[Mapping[str, Any]]
) -> Ann:
    """A speaker turn that ends two seconds after the clip does."""
    return {
        "classifications": [],
        "segments": {},
        "timestamp": {
            new_id(): [_speaker_turn(ontology_classifications, 0, duration_ms + 2000, "speaker a")]
        },
    }


# -- html ------------------------------------------------------------------------------------


def html_annotations() -> Ann:
    """Classifications only, as HTML labels have no objects."""
    return {
        "objects": [],
        "classifications": [
            radio("page kind", "policy", text("policy area", "returns")),
            checklist("quality", "clear", "complete"),
            text("summary", "30-day return window; keep the receipt."),
        ],
        "relationships": [],
    }
