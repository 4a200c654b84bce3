"""rowport's built-in plugins: ordinary modules that use only the public hooks.

Each is registered by its module name, so any of them can be blocked like a third-party plugin
(``ROWPORT_BLOCK_PLUGINS=rowport_plugins.sinks``).
"""

from __future__ import annotations

BUILTIN_PLUGINS: tuple[str, ...] = (
    "rowport_plugins.sinks",
    "rowport_plugins.ontology",
    "rowport_plugins.media",
    "rowport_plugins.text",
    "rowport_plugins.conversational",
    "rowport_plugins.image",
    "rowport_plugins.video",
    "rowport_plugins.geospatial",
    "rowport_plugins.document",
    "rowport_plugins.audio",
    "rowport_plugins.html",
    *(
        f"rowport_plugins.formats.{name}"
        for name in (
            "coco",
            "yolo",
            "voc",
            "mot",
            "conll",
            "spacy",
            "webvtt",
            "srt",
            "rttm",
            "chat",
            "preference",
            "geojson",
            "layout",
        )
    ),
)

__all__ = ["BUILTIN_PLUGINS"]
