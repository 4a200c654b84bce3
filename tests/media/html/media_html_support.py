"""Helpers for the HTML plugin tests: real catalogs, real exports, and a real HTTP server on
127.0.0.1 that counts the requests it answers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import rowport
from rowport.testing import MediaServer as Server
from rowport.testing import by_global_key as by_key  # noqa: F401 (re-exported)
from rowport.testing import export_rows as run_export  # noqa: F401 (re-exported)
from rowport.testing import serve_media

PLUGIN = "rowport_plugins.html"

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Returns — policy</title></head>
<body><h1>Returns</h1><p>Return anything within 30 days, café receipts too.</p></body>
</html>
"""

CLASSIFICATIONS: list[dict[str, Any]] = [
    {
        "type": "radio",
        "name": "page kind",
        "options": [
            {"name": "policy", "classifications": [{"type": "text", "name": "policy area"}]},
            {"name": "blog"},
        ],
    },
    {"type": "checklist", "name": "quality", "options": [{"name": "clear"}, {"name": "complete"}]},
    {"type": "text", "name": "summary"},
]

GOOD_ANNOTATIONS: dict[str, Any] = {
    "objects": [],
    "classifications": [
        {
            "name": "page kind",
            "radio_answer": {
                "name": "policy",
                "classifications": [{"name": "policy area", "text_answer": {"content": "returns"}}],
            },
        },
        {"name": "quality", "checklist_answers": [{"name": "clear"}, {"name": "complete"}]},
        {"name": "summary", "text_answer": {"content": "30-day returns"}},
    ],
    "relationships": [],
}


def make_project(
    client: rowport.Client, specs: Sequence[Mapping[str, Any]], *, labelled: bool = True
) -> tuple[Any, list[Any]]:
    """A dataset of html ``specs`` queued in a new project, each row labelled (good labels)."""
    dataset = client.create_dataset("html rows")
    rows = dataset.create_data_rows([{"media_type": "html", **spec} for spec in specs])
    ontology = client.create_ontology(
        "html ontology", tools=[], classifications=list(CLASSIFICATIONS)
    )
    project = client.create_project("html project", "html", ontology)
    project.create_batch("batch", data_rows=rows)
    if labelled:
        project.import_labels(
            [{"data_row_id": row.uid, "annotations": GOOD_ANNOTATIONS} for row in rows]
        )
    return project, rows


def html_attributes(size: int) -> dict[str, Any]:
    return {"asset_type": "html", "mime_type": "text/html", "size": size}


def serving(root: Path) -> Iterator[Server]:
    """The files under ``root`` over HTTP, whole (no Range support)."""
    return serve_media(root, honour_range=False)
