"""Helpers every media test may use (``tests/media`` is on ``sys.path``): entity projects and
entities for the text and conversational tests, the reference samples, a server of whole files."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import rowport
from rowport.testing import MediaServer as Server
from rowport.testing import by_global_key as by_key  # noqa: F401 (re-exported)
from rowport.testing import export_rows as run_export  # noqa: F401 (re-exported)
from rowport.testing import make_project as shared_project
from rowport.testing import serve_media

SHARED = next(
    (p / "shared" for p in Path(__file__).resolve().parents if (p / "shared").is_dir()),
    None,
)
SAMPLES = SHARED / "reference" / "labelbox-samples" / "partial" if SHARED else None

ENTITY_TOOLS = [{"tool": "entity", "name": "person"}, {"tool": "entity", "name": "place"}]
CLASSIFICATIONS = [
    {"type": "radio", "name": "tone", "options": [{"name": "calm"}, {"name": "angry"}]},
    {"type": "checklist", "name": "topics", "options": [{"name": "travel"}, {"name": "food"}]},
    {"type": "text", "name": "note"},
]


def make_project(
    client: rowport.Client,
    media_type: str,
    specs: Sequence[Mapping[str, Any]],
    *,
    tools: Sequence[Mapping[str, Any]] = ENTITY_TOOLS,
    classifications: Sequence[Mapping[str, Any]] = CLASSIFICATIONS,
) -> tuple[Any, list[Any]]:
    """A dataset holding ``specs`` (media type added), queued in a new project."""
    project, rows, _ = shared_project(
        client, media_type, specs, tools=tools, classifications=classifications
    )
    return project, rows


def entity(name: str, start: Any, end: Any, token: Any = None, **extra: Any) -> dict[str, Any]:
    """A TextEntity; ``token`` left out when None."""
    location: dict[str, Any] = {"start": start, "end": end}
    if token is not None:
        location["token"] = token
    return {"name": name, "annotation_kind": "TextEntity", "location": location, **extra}


def serving(root: Path) -> Iterator[Server]:
    """The files under ``root`` over HTTP, whole (no Range support)."""
    return serve_media(root, honour_range=False)
