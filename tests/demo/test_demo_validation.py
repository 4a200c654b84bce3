"""The demo's deliberately broken rows produce the expected ERRORS lines, and only those.

Each broken row sits in a per-media-type "validation fixtures" project; the media-type plugin
registered for its type must report it with the expected code (types whose plugin is not a
built-in are skipped, so the test grows with the plugins).
"""

from __future__ import annotations

from typing import Any

import pytest

from rowport import StreamType
from rowport.client import Client
from rowport.demo import DemoCatalog
from rowport_plugins import BUILTIN_PLUGINS

EXPECTED = {
    "image_bbox_outside": {"BBOX_OUT_OF_BOUNDS"},
    "text_entity_past_end": {"ENTITY_OUT_OF_RANGE"},
    "video_segment_reversed": {"SEGMENT_INVALID"},
    "video_keyframe_past_end": {"FRAME_OUT_OF_RANGE", "KEYFRAME_OUTSIDE_SEGMENT"},
    "audio_timestamp_past_end": {"TIMESTAMP_OUT_OF_RANGE"},
    "document_bbox_off_page": {"BBOX_OUT_OF_BOUNDS", "PAGE_OUT_OF_RANGE"},
    "conversational_entity_past_message": {"ENTITY_OUT_OF_RANGE"},
    "geospatial_point_outside_bounds": {"OUTSIDE_BOUNDS"},
}


def _errors(client: Client, project_id: str) -> list[dict[str, Any]]:
    task = client.get_project(project_id).export()
    task.wait_till_done(timeout_seconds=60)
    assert task.status == "COMPLETE"
    if not task.has_errors():
        return []
    return [o.json for o in task.get_buffered_stream(StreamType.ERRORS)]


@pytest.mark.parametrize("problem", sorted(EXPECTED))
def test_a_broken_demo_row_is_reported_by_its_media_plugin(
    built: tuple[Client, DemoCatalog], problem: str
) -> None:
    client, demo = built
    broken = demo.broken[problem]
    plugin = f"rowport_plugins.{broken.media_type}"
    if plugin not in BUILTIN_PLUGINS:
        pytest.skip(f"{plugin} is not a built-in plugin yet")
    lines = [e for e in _errors(client, broken.project_id) if e["plugin"] == plugin]
    mine = [e for e in lines if e["data_row"]["id"] == broken.data_row_id]
    assert mine, lines
    # a keyframe past the end is both a frame out of range and outside its segment
    assert len(mine) <= 2 and all(e["code"] in EXPECTED[problem] for e in mine), mine
    assert all(e["stage"] == "validate" for e in mine)
