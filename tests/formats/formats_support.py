"""Catalogs the format tests convert: the demo (every media type) plus what it lacks (a
readable mask, timed transcripts, a preference), exported once per module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import orjson

from rowport.client import Client
from rowport.demo import DemoCatalog
from rowport.tasks import ExportTask

BULK_ROWS = 20


@attrs.frozen
class Catalogs:
    """The client, the demo and the extra projects (by media type)."""

    client: Client
    demo: DemoCatalog
    extra: dict[str, str]


TRANSCRIPT = (
    (0, 1200, "Good morning, this is the weather."),
    (1200, 2600, "Rain is expected after noon."),
    (2600, 4000, "Take an umbrella --> just in case."),
)

EXTRA_ONTOLOGIES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "image": ([{"tool": "mask", "name": "sky"}, {"tool": "bbox", "name": "sign"}], []),
    "audio": (
        [],
        [
            {"type": "text", "name": "transcription", "scope": "index"},
            {"type": "radio", "name": "speaker", "scope": "index", "options": ["ana", "bo"]},
        ],
    ),
    "conversational": (
        [],
        [
            {
                "type": "radio",
                "name": "preference",
                "scope": "index",
                "options": ["chosen", "rejected", "1", "2", "3"],
            }
        ],
    ),
}


def mask_png(path: Path, width: int, height: int) -> dict[str, Any]:
    """A composite mask: the top third red (the sky), a blue square, the rest black."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width - 1, height // 3 - 1], fill=(255, 0, 0))
    draw.rectangle([10, height // 2, 29, height // 2 + 19], fill=(0, 0, 255))
    image.save(path)
    return {"url": path.as_uri(), "color_rgb": [255, 0, 0]}


def _conversation(n: int) -> str:
    messages = [
        ("user", "left", "How do I reset my password?"),
        ("bot-a", "right", "Open settings, then security, then reset."),
        ("bot-b", "right", "I cannot help with that."),
        ("bot-c", "right", "Use the reset link on the sign-in page."),
    ][:n]
    return orjson.dumps(
        {
            "type": "application/vnd.labelbox.conversational",
            "version": 1,
            "messages": [
                {
                    "messageId": f"m{i}",
                    "content": content,
                    "user": {"userId": user, "name": user},
                    "align": align,
                    "canLabel": True,
                }
                for i, (user, align, content) in enumerate(messages)
            ],
        }
    ).decode()


def add_extras(client: Client, media: Path) -> dict[str, str]:
    """The rows the demo lacks, each in its own project; returns project ids by media type."""
    projects: dict[str, str] = {}
    width, height = 64, 48
    mask = mask_png(media / "mask.png", width, height)
    specs: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {
        "image": (
            {
                "row_data": "https://storage.example/masked.png",
                "global_key": "extra/image/masked",
                "media_attributes": {
                    "width": width,
                    "height": height,
                    "asset_type": "image",
                    "mime_type": "image/png",
                },
            },
            [
                {"name": "sky", "annotation_kind": "ImageSegmentationMask", "composite_mask": mask},
                {
                    "name": "sign",
                    "annotation_kind": "ImageBoundingBox",
                    "bounding_box": {"top": 40.0, "left": 50.0, "height": 20.0, "width": 30.0},
                },
            ],
        ),
        "audio": (
            {
                "row_data": "https://storage.example/weather.wav",
                "global_key": "extra/audio/weather",
                "media_attributes": {
                    "asset_type": "audio",
                    "mime_type": "audio/wav",
                    "duration_ms": 4000,
                    "sample_rate": 16000,
                    "channels": 1,
                },
            },
            [],
        ),
        "conversational": (
            {
                "row_data": _conversation(4),
                "global_key": "extra/conversational/ranked",
                "media_attributes": {
                    "asset_type": "conversational",
                    "mime_type": "application/vnd.labelbox.conversational",
                },
            },
            [],
        ),
    }
    for media_type, (row, objects) in specs.items():
        dataset = client.create_dataset(f"Extra {media_type}")
        (created,) = dataset.create_data_rows([{**row, "media_type": media_type}])
        tools, classifications = EXTRA_ONTOLOGIES[media_type]
        ontology = client.create_ontology(
            f"Extra {media_type}", tools, classifications, media_type=media_type
        )
        project = client.create_project(f"Extra {media_type}", media_type, ontology)
        project.create_batch("all", data_rows=[created.uid])
        if media_type == "image":
            annotations: dict[str, Any] = {
                "objects": objects,
                "classifications": [],
                "relationships": [],
            }
        elif media_type == "audio":
            annotations = {
                "classifications": [],
                "segments": {},
                "timestamp": {
                    "t1": [
                        {
                            "start_ms": s,
                            "end_ms": e,
                            "name": "transcription",
                            "text_answer": {"content": t},
                        }
                        for s, e, t in TRANSCRIPT
                    ],
                    "t2": [
                        {
                            "start_ms": 0,
                            "end_ms": 2600,
                            "name": "speaker",
                            "radio_answer": {"name": "ana"},
                        },
                        {
                            "start_ms": 2600,
                            "end_ms": 4000,
                            "name": "speaker",
                            "radio_answer": {"name": "bo"},
                        },
                    ],
                },
            }
        else:
            annotations = {
                "objects": [],
                "classifications": [
                    {
                        "name": "preference",
                        "message_id": f"m{i}",
                        "conversational_radio_answer": {"name": rank},
                    }
                    for i, rank in ((1, "1"), (2, "3"), (3, "2"))
                ],
                "relationships": [],
            }
        project.import_labels([{"data_row_id": created.uid, "annotations": annotations}])
        projects[media_type] = project.uid
    return projects


def export(client: Client, project_id: str, **params: Any) -> ExportTask:
    """A finished export of a project."""
    task = client.get_project(project_id).export(params=params or None)
    task.wait_till_done()
    assert task.status == "COMPLETE", task.errors_message
    return task


def rows_of(task: ExportTask) -> list[dict[str, Any]]:
    """Every RESULT row of a task."""
    return [orjson.loads(line.json_str) for line in task.stream(follow=False)]


def first_label(row: dict[str, Any]) -> dict[str, Any] | None:
    """The annotations of a row's first label (None when it has none)."""
    for project in row["projects"].values():
        if project["labels"]:
            annotations: dict[str, Any] = project["labels"][0]["annotations"]
            return annotations
    return None
