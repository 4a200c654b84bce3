"""Valid rows in the export format for the ingest tests, with fresh ids."""

from __future__ import annotations

from typing import Any

from rowport._ids import new_id

PROJECT_ID = "cingestproject00000000001"


def labelled_row(n: int, *, project_id: str = PROJECT_ID) -> dict[str, Any]:
    """An image row with one label: a box with a nested radio, and a checklist and text."""
    return {
        "data_row": {
            "id": new_id(),
            "global_key": f"labelled-{n}",
            "row_data": f"https://example.com/{n}.jpg",
        },
        "media_attributes": {
            "height": 100,
            "width": 200,
            "asset_type": "image",
            "mime_type": "image/jpeg",
            "exif_rotation": "1",
        },
        "attachments": [{"id": new_id(), "type": "RAW_TEXT", "value": f"note {n}", "name": "n"}],
        "projects": {
            project_id: {
                "name": "Ingest project",
                "labels": [
                    {
                        "label_kind": "Default",
                        "version": "1.0.0",
                        "id": new_id(),
                        "annotations": {
                            "objects": [
                                {
                                    "feature_id": new_id(),
                                    "name": "box",
                                    "value": "box",
                                    "annotation_kind": "ImageBoundingBox",
                                    "bounding_box": {
                                        "top": 1.0,
                                        "left": 2.0,
                                        "height": 3.0,
                                        "width": 4.0,
                                    },
                                    "classifications": [
                                        {
                                            "name": "occluded",
                                            "value": "occluded",
                                            "radio_answer": {
                                                "name": "yes",
                                                "value": "yes",
                                                "classifications": [],
                                            },
                                        }
                                    ],
                                }
                            ],
                            "classifications": [
                                {
                                    "name": "tags",
                                    "value": "tags",
                                    "checklist_answers": [
                                        {"name": "day", "value": "day", "classifications": []}
                                    ],
                                },
                                {"name": "note", "value": "note", "text_answer": {"content": "x"}},
                            ],
                            "relationships": [],
                        },
                        "performance_details": {
                            "seconds_to_create": 3,
                            "seconds_to_review": 1.5,
                            "skipped": False,
                        },
                    }
                ],
                "project_tags": [],
                "project_details": {"priority": 3, "workflow_status": "DONE"},
            }
        },
    }


def label_of(row: dict[str, Any]) -> dict[str, Any]:
    """The first label of the row's first project."""
    (section,) = row["projects"].values()
    label: dict[str, Any] = section["labels"][0]
    return label
