"""Helpers of the conversational plugin tests: conversations and their entities (the rest is in
``media_support``)."""

from __future__ import annotations

from typing import Any

from media_support import (  # noqa: F401 (re-exported)
    SAMPLES,
    Server,
    by_key,
    entity,
    make_project,
    run_export,
    serving,
)


def conv_entity(name: str, message_id: Any, start: Any, end: Any, **extra: Any) -> dict[str, Any]:
    """A ConversationalTextEntity."""
    return {
        "name": name,
        "annotation_kind": "ConversationalTextEntity",
        "conversational_location": {
            "message_id": message_id,
            "location": {"start": start, "end": end},
        },
        **extra,
    }


def conversation(*messages: tuple[str, str, bool | None]) -> dict[str, Any]:
    """A conversation in the reference's JSON shape: ``(messageId, content, canLabel)``,
    canLabel left out when None."""
    out = []
    for i, (message_id, content, can_label) in enumerate(messages):
        message: dict[str, Any] = {
            "messageId": message_id,
            "timestampUsec": 1530718491 + i,
            "content": content,
            "user": {"userId": f"user-{i % 2}", "name": f"user {i % 2}"},
            "align": "left" if i % 2 == 0 else "right",
        }
        if can_label is not None:
            message["canLabel"] = can_label
        out.append(message)
    return {
        "type": "application/vnd.labelbox.conversational",
        "version": 1,
        "messages": out,
        "modelOutputs": [{"title": "Response 1", "content": "ignored", "modelConfigName": "null"}],
    }
