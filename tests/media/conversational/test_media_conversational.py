"""The conversational plugin inside real exports: media attributes from the conversation
(inline or fetched), entities and message-scoped classifications checked against messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from media_conversational_support import (
    SAMPLES,
    Server,
    by_key,
    conv_entity,
    conversation,
    make_project,
    run_export,
)

import rowport
from rowport.testing import labels_of

PLUGIN = "rowport_plugins.conversational"
CONVERSATION = conversation(
    ("m-0", "Bonjour, je m'appelle Zoë 👋 et j'habite à Zürich.", True),
    ("m-1", "Enchanté Zoë! What can I do for you?", None),  # no canLabel: labelable
    ("m-2", "Book a table at 李雷's place.", False),
)
EXPECTED = {
    "asset_type": "conversational",
    "mime_type": "application/vnd.labelbox.conversational",
    "labelable_ids": ["m-0", "m-1"],
    "message_count": 3,
}


def _span(message_index: int, token: str) -> tuple[int, int]:
    content = CONVERSATION["messages"][message_index]["content"]
    start = content.index(token)
    return start, start + len(token) - 1


def _good_annotations() -> dict[str, Any]:
    s0, e0 = _span(0, "Zürich")  # after an emoji: code points
    s1, e1 = _span(1, "Zoë")
    return {
        "objects": [
            conv_entity("place", "m-0", s0, e0),
            conv_entity("person", "m-1", s1, e1),
        ],
        "classifications": [
            {"name": "tone", "radio_answer": {"name": "calm"}},  # global
            {"name": "tone", "message_id": "m-0", "conversational_radio_answer": {"name": "calm"}},
            {
                "name": "topics",
                "message_id": "m-2",
                "conversational_checklist_answers": [{"name": "food"}, {"name": "travel"}],
            },
            {"name": "note", "message_id": "m-1", "conversational_text_answer": {"content": "ok"}},
        ],
        "relationships": [],
    }


def test_inline_conversation_gets_attributes_and_good_label_passes_unchanged(
    client: rowport.Client,
) -> None:
    row_data = json.dumps(CONVERSATION, ensure_ascii=False)
    project, rows = make_project(
        client, "conversational", [{"row_data": row_data, "global_key": "c"}]
    )
    project.import_labels([{"data_row_id": rows[0].uid, "annotations": _good_annotations()}])
    (before,), _ = run_export(project, plugin_options={"media": {"fetch": False}})

    (row,), errors = run_export(project)

    assert errors == []
    assert row["media_attributes"] == EXPECTED
    assert list(row["media_attributes"]) == list(EXPECTED)  # key order of the reference
    assert row["data_row"]["row_data"] == row_data
    assert {**row, "media_attributes": {}} == {**before, "media_attributes": {}}
    # cached in the catalog
    assert client.get_data_row(rows[0].uid).media_attributes == EXPECTED


def test_reference_sample_row_data_gives_exactly_its_media_attributes(
    client: rowport.Client,
) -> None:
    sample_path = SAMPLES / "conversational.data_row_and_media_attributes.json" if SAMPLES else None
    if sample_path is None or not sample_path.is_file():
        pytest.skip(f"needs: the reference samples at {SAMPLES}")
    sample = orjson.loads(sample_path.read_bytes())
    project, _ = make_project(
        client,
        "conversational",
        [{"row_data": sample["data_row"]["row_data"], "global_key": "sample"}],
    )
    (row,), errors = run_export(project)
    assert errors == []
    assert row["media_attributes"] == sample["media_attributes"]
    assert list(row["media_attributes"]) == list(sample["media_attributes"])


def test_stored_attributes_are_kept_when_complete(client: rowport.Client) -> None:
    stored = {"labelable_ids": ["m-0"], "message_count": 7}
    project, _ = make_project(
        client,
        "conversational",
        [{"row_data": json.dumps(CONVERSATION), "global_key": "c", "media_attributes": stored}],
    )
    (row,), errors = run_export(project)
    assert errors == [] and row["media_attributes"] == stored


def test_partial_stored_attributes_are_completed_and_win(client: rowport.Client) -> None:
    stored = {"mime_type": "application/vnd.labelbox.conversational", "extra": 1}
    project, _ = make_project(
        client,
        "conversational",
        [{"row_data": json.dumps(CONVERSATION), "global_key": "c", "media_attributes": stored}],
    )
    (row,), _ = run_export(project)
    assert row["media_attributes"] == {**EXPECTED, "extra": 1}


@pytest.mark.parametrize("how", ["path", "file_url", "http"])
def test_conversation_file_is_fetched_once(
    client: rowport.Client, media_dir: Path, server: Server, how: str
) -> None:
    (media_dir / "chat.json").write_bytes(orjson.dumps(CONVERSATION))
    source = {
        "path": str(media_dir / "chat.json"),
        "file_url": (media_dir / "chat.json").as_uri(),
        "http": server.url("chat.json"),
    }[how]
    project, rows = make_project(
        client,
        "conversational",
        [{"row_data": source, "global_key": "a"}, {"row_data": source, "global_key": "b"}],
    )
    project.import_labels(
        [{"data_row_id": r.uid, "annotations": _good_annotations()} for r in rows]
    )
    exported, errors = run_export(project, media_fetch="missing")
    assert errors == []
    for row in exported:
        assert row["media_attributes"] == EXPECTED
        assert row["data_row"]["row_data"] == source
    if how == "http":
        assert server.hits["/chat.json"] == 1


def test_each_bad_annotation_is_exactly_one_errors_line(client: rowport.Client) -> None:
    project, rows = make_project(
        client, "conversational", [{"row_data": json.dumps(CONVERSATION), "global_key": "bad"}]
    )
    m1 = CONVERSATION["messages"][1]["content"]
    s0, e0 = _span(0, "Zürich")
    bad_objects = [
        ("unknown_message", conv_entity("person", "m-9", 0, 1), "MESSAGE_NOT_FOUND"),
        ("past_end", conv_entity("person", "m-1", 0, len(m1)), "ENTITY_OUT_OF_RANGE"),
        ("reversed", conv_entity("person", "m-1", 4, 2), "ENTITY_OUT_OF_RANGE"),
        ("not_int", conv_entity("person", "m-1", 0, 2.5), "ENTITY_INVALID"),
        (
            "no_location",
            {"name": "place", "annotation_kind": "ConversationalTextEntity"},
            "ENTITY_INVALID",
        ),
        (
            "token",
            {
                "name": "place",
                "annotation_kind": "ConversationalTextEntity",
                "conversational_location": {
                    "message_id": "m-0",
                    "location": {"start": s0, "end": e0, "token": "Zurich"},
                },
            },
            "TOKEN_MISMATCH",
        ),
    ]
    good = _good_annotations()
    bad_classification = {
        "name": "tone",
        "message_id": "message-0",
        "conversational_radio_answer": {"name": "angry"},
    }
    project.import_labels(
        [
            {
                "data_row_id": rows[0].uid,
                "annotations": {
                    "objects": good["objects"] + [obj for _, obj, _ in bad_objects],
                    "classifications": [*good["classifications"], bad_classification],
                },
            }
        ]
    )

    (row,), errors = run_export(project)

    assert [e["code"] for e in errors] == [c for _, _, c in bad_objects] + ["MESSAGE_NOT_FOUND"]
    (label,) = labels_of(row)
    base = f"projects.{project.uid}.labels[0].annotations"
    for i, (error, (_, obj, _code)) in enumerate(
        zip(errors[:-1], bad_objects, strict=True), start=2
    ):
        path = f"{base}.objects[{i}]"
        assert error["plugin"] == PLUGIN and error["stage"] == "validate"
        assert error["data_row"] == {"id": rows[0].uid, "global_key": "bad"}
        assert path in error["message"] and obj["name"] in error["message"]
        assert error["details"]["path"] == path
        assert error["details"]["label_id"] == label["id"]
        assert error["details"]["feature_id"] == label["annotations"]["objects"][i]["feature_id"]
    assert errors[1]["details"]["text_length"] == len(m1)
    last = errors[-1]
    assert last["details"]["path"] == f"{base}.classifications[4]"
    assert last["details"]["message_id"] == "message-0"
    assert "tone" in last["message"]
    assert row["media_attributes"] == EXPECTED  # the row is kept and still completed


@pytest.mark.parametrize(
    "row_data",
    [
        "{not json",
        json.dumps({"messages": []}),
        json.dumps({"messages": [{"content": "no id"}]}),
        json.dumps([1, 2]),
        "just some words",
    ],
)
def test_invalid_conversation_is_one_errors_line_per_row(
    client: rowport.Client, row_data: str
) -> None:
    project, rows = make_project(
        client, "conversational", [{"row_data": row_data, "global_key": "broken"}]
    )
    project.import_labels(
        [
            {
                "data_row_id": rows[0].uid,
                "annotations": {
                    "objects": [conv_entity("person", "m-0", 0, 1)],
                    "classifications": [
                        {
                            "name": "note",
                            "message_id": "m-0",
                            "conversational_text_answer": {"content": "x"},
                        }
                    ],
                },
            }
        ]
    )
    (row,), errors = run_export(project)
    assert [(e["code"], e["plugin"]) for e in errors] == [("CONVERSATION_INVALID", PLUGIN)]
    assert row["media_attributes"] == {}


def test_missing_conversation_file_is_one_media_error(
    client: rowport.Client, media_dir: Path, server: Server
) -> None:
    project, _ = make_project(
        client,
        "conversational",
        [
            {"row_data": str(media_dir / "nope.json"), "global_key": "path"},
            {"row_data": server.url("nope.json"), "global_key": "http"},
        ],
    )
    exported, errors = run_export(project, media_fetch="missing")
    assert sorted((e["data_row"]["global_key"], e["code"]) for e in errors) == [
        ("http", "MEDIA_NOT_FOUND"),
        ("path", "MEDIA_NOT_FOUND"),
    ]
    assert all(r["media_attributes"] == {} for r in exported)


def test_fetch_off_leaves_referenced_conversations_alone(
    client: rowport.Client, media_dir: Path
) -> None:
    (media_dir / "chat.json").write_bytes(orjson.dumps(CONVERSATION))
    project, _ = make_project(
        client,
        "conversational",
        [
            {"row_data": str(media_dir / "chat.json"), "global_key": "file"},
            {"row_data": json.dumps(CONVERSATION), "global_key": "inline"},
        ],
    )
    exported, errors = run_export(project, plugin_options={"media": {"fetch": False}})
    assert errors == []
    assert all(r["media_attributes"] == {} for r in by_key(exported).values())
