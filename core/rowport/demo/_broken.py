"""Deliberately broken rows for validation plugins: valid features, wrong geometry or ranges.

Each lives in the "Demo broken rows" dataset and in a per-media-type "validation fixtures"
project, so the demo's own projects stay clean and their exports hold no problems.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import orjson

from rowport.demo import _annotations as ann
from rowport.demo._media import (
    CONVERSATION,
    TEXT,
    TILE_LAYER,
    VIDEOS,
    pdf_media_boxes,
    video_attributes,
)

if TYPE_CHECKING:
    from rowport.client import Client
    from rowport.entities import DataRow, Ontology

__all__ = ["BrokenFixtures", "BrokenRow", "add_broken_rows"]


@attrs.frozen(kw_only=True)
class BrokenRow:
    """A row whose label imports (its features are valid) but whose geometry or range is not."""

    media_type: str
    problem: str
    data_row_id: str
    global_key: str
    project_id: str
    label_id: str


@attrs.define
class BrokenFixtures:
    """The broken rows made, by problem key, and their projects by media type."""

    dataset_id: str
    project_ids: dict[str, str] = attrs.Factory(dict)
    rows: dict[str, BrokenRow] = attrs.Factory(dict)


def add_broken_rows(
    client: Client,
    media: dict[str, Path],
    probed: dict[str, dict[str, Any]],
    ontologies: dict[str, Ontology],
) -> BrokenFixtures:
    """Add one row per known problem, labelled through the API and left in review."""
    uri = {key: path.as_uri() for key, path in media.items()}
    pages = pdf_media_boxes(media["invoice_pdf"].read_bytes())
    street = probed["street_jpg"]
    speech = probed["speech_wav"]
    video = video_attributes(*VIDEOS[0][1:])
    bounds = TILE_LAYER["bounds"]
    audio_classes = ontologies["audio"].classifications
    cases: list[tuple[str, str, str, str, dict[str, Any], dict[str, Any]]] = [
        # (key, media type, problem, row_data, media attributes, annotations)
        (
            "image_bbox_outside",
            "image",
            "bounding box runs past the right and bottom edges of the image",
            uri["street_jpg"],
            street,
            ann.broken_image_bbox(street["width"], street["height"]),
        ),
        (
            "text_entity_past_end",
            "text",
            "entity location ends 25 characters after the text does",
            TEXT,
            probed["article_txt"],
            ann.broken_text_entity(TEXT),
        ),
        (
            "video_segment_reversed",
            "video",
            "a segment's start frame is after its end frame",
            f"https://storage.example/demo/{VIDEOS[0][0]}",
            video,
            ann.broken_video_segment(video),
        ),
        (
            "video_keyframe_past_end",
            "video",
            "a keyframe lies 50 frames past the last frame",
            f"https://storage.example/demo/{VIDEOS[0][0]}",
            video,
            ann.broken_video_keyframe(video),
        ),
        (
            "audio_timestamp_past_end",
            "audio",
            "a timestamp classification ends 2 s after the clip",
            uri["speech_wav"],
            speech,
            ann.broken_audio_timestamp(speech["duration_ms"], audio_classes),
        ),
        (
            "document_bbox_off_page",
            "document",
            "a bounding box on page 2 extends past the page's right edge",
            uri["invoice_pdf"],
            probed["invoice_pdf"],
            ann.broken_document_bbox(pages),
        ),
        (
            "conversational_entity_past_message",
            "conversational",
            "an entity's location ends past its message's text",
            orjson.dumps(CONVERSATION).decode(),
            probed["conversation_json"],
            ann.broken_conversational_entity(CONVERSATION),
        ),
        (
            "geospatial_point_outside_bounds",
            "geospatial",
            "a point lies east of the tile layer's bounds",
            orjson.dumps(TILE_LAYER).decode(),
            probed["tile_layer_json"],
            ann.broken_geospatial_point(bounds),
        ),
    ]
    dataset = client.create_dataset(
        "Demo broken rows", description="rows whose labels are deliberately wrong"
    )
    fixtures = BrokenFixtures(dataset_id=dataset.uid)
    created = dataset.create_data_rows(
        [
            {
                "row_data": row_data,
                "global_key": f"demo/broken/{key}",
                "external_id": key,
                "media_type": media_type,
                "media_attributes": attributes,
            }
            for key, media_type, _, row_data, attributes, _ in cases
        ]
    )
    rows: dict[str, DataRow] = {case[0]: row for case, row in zip(cases, created, strict=True)}
    for media_type in dict.fromkeys(case[1] for case in cases):
        mine = [case for case in cases if case[1] == media_type]
        project = client.create_project(
            f"Demo {media_type} validation fixtures", media_type, ontologies[media_type]
        )
        fixtures.project_ids[media_type] = project.uid
        ids = [rows[case[0]].uid for case in mine]
        project.create_batch("broken rows", data_rows=ids, priority=2)
        labels = project.import_labels(
            [
                {"data_row_id": rid, "annotations": case[5]}
                for rid, case in zip(ids, mine, strict=True)
            ]
        )
        project.move_data_rows_to_status(ids, "IN_REVIEW")
        for case, label in zip(mine, labels, strict=True):
            fixtures.rows[case[0]] = BrokenRow(
                media_type=media_type,
                problem=case[2],
                data_row_id=label.data_row_id,
                global_key=f"demo/broken/{case[0]}",
                project_id=project.uid,
                label_id=label.uid,
            )
    return fixtures
