"""One ontology spec per media type: realistic tools and classifications, nested answers.

Specs are in the catalog guide's format (``client.create_ontology(name, tools, classifications)``);
the label builders in :mod:`rowport.demo._annotations` name these features.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ONTOLOGIES"]

Spec = dict[str, Any]


def _radio(name: str, options: list[Any], scope: str = "global") -> Spec:
    return {"type": "radio", "name": name, "scope": scope, "options": options}


def _checklist(name: str, options: list[Any], scope: str = "global") -> Spec:
    return {"type": "checklist", "name": name, "scope": scope, "options": options}


def _text(name: str, scope: str = "global") -> Spec:
    return {"type": "text", "name": name, "scope": scope}


def _tool(tool: str, name: str, *classifications: Spec) -> Spec:
    return {"tool": tool, "name": name, "classifications": list(classifications)}


_SCENE = _radio(
    "scene",
    [
        {"name": "urban", "classifications": [_radio("density", ["sparse", "dense"])]},
        {"name": "rural", "classifications": []},
    ],
)

IMAGE: tuple[list[Spec], list[Spec]] = (
    [
        _tool("bbox", "vehicle", _radio("occlusion", ["none", "partial", "heavy"])),
        _tool("bbox", "pedestrian"),
        _tool("polygon", "road surface"),
        _tool("line", "lane marking", _checklist("marking type", ["solid", "dashed"])),
        _tool("point", "traffic light", _radio("state", ["red", "yellow", "green"])),
        _tool("mask", "sky"),
        _tool("relationship", "near"),
    ],
    [_SCENE, _checklist("weather", ["clear", "rain", "fog"]), _text("notes")],
)

VIDEO: tuple[list[Spec], list[Spec]] = (
    [
        _tool("bbox", "car", _radio("moving", ["yes", "no"])),
        _tool("bbox", "cyclist"),
    ],
    [
        _checklist("events", ["lane change", "hard braking", "overtake"]),
        _radio("frame quality", ["sharp", "blurry"], scope="index"),
        _text("summary"),
    ],
)

TEXT: tuple[list[Spec], list[Spec]] = (
    [
        _tool("entity", "person"),
        _tool("entity", "location"),
        _tool("entity", "date"),
        _tool("entity", "work", _text("wikidata id")),
        _tool("relationship", "collaborated with"),
    ],
    [
        _radio(
            "tone",
            [
                {"name": "neutral", "classifications": []},
                {
                    "name": "opinionated",
                    "classifications": [_checklist("signals", ["hedging", "superlatives"])],
                },
            ],
        ),
        _checklist("topics", ["history", "computing", "mathematics"]),
        _text("summary"),
    ],
)

CONVERSATIONAL: tuple[list[Spec], list[Spec]] = (
    [_tool("entity", "product"), _tool("entity", "order number")],
    [
        _radio(
            "resolved",
            [
                {"name": "yes", "classifications": [_radio("satisfaction", ["high", "low"])]},
                {"name": "no", "classifications": []},
            ],
        ),
        _radio("intent", ["complaint", "request", "answer", "thanks"], scope="index"),
        _checklist("tone", ["polite", "frustrated", "apologetic"], scope="index"),
        _text("agent note", scope="index"),
    ],
)

DOCUMENT: tuple[list[Spec], list[Spec]] = (
    [
        _tool("bbox", "title block", _radio("legible", ["yes", "no"])),
        _tool("bbox", "table"),
        _tool("entity", "invoice number"),
    ],
    [
        _checklist("document type", ["invoice", "receipt", "contract"]),
        _radio(
            "language",
            [{"name": "english", "classifications": [_radio("variant", ["us", "uk"])]}, "other"],
        ),
        _text("summary"),
    ],
)

GEOSPATIAL: tuple[list[Spec], list[Spec]] = (
    [
        _tool("point", "tree"),
        _tool("polygon", "building", _radio("roof", ["flat", "pitched"])),
        _tool("bbox", "parking lot"),
        _tool("line", "road"),
    ],
    [
        _radio("land use", ["residential", "commercial", "park"]),
        _checklist("visible issues", ["cloud cover", "shadow", "blur"]),
        _text("notes"),
    ],
)

AUDIO: tuple[list[Spec], list[Spec]] = (
    [],
    [
        _radio(
            "language",
            [{"name": "english", "classifications": [_radio("accent", ["us", "uk"])]}, "other"],
        ),
        _checklist("sounds", ["speech", "tone", "noise"]),
        _text("transcript"),
        _radio("speaker", ["speaker a", "speaker b"], scope="index"),
    ],
)

HTML: tuple[list[Spec], list[Spec]] = (
    [],
    [
        _radio(
            "page kind",
            [{"name": "policy", "classifications": [_text("policy area")]}, "product", "blog"],
        ),
        _checklist("quality", ["clear", "complete", "up to date"]),
        _text("summary"),
    ],
)

ONTOLOGIES: dict[str, tuple[list[Spec], list[Spec]]] = {
    "image": IMAGE,
    "video": VIDEO,
    "text": TEXT,
    "geospatial": GEOSPATIAL,
    "document": DOCUMENT,
    "audio": AUDIO,
    "conversational": CONVERSATIONAL,
    "html": HTML,
}
