"""What the conversational formats share: a row's messages with roles.

Roles: the ``roles`` option maps a message's ``user.userId`` to a role; otherwise messages
aligned ``right`` are the ``assistant``'s and the others the ``user``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from rowport.formats import FormatContext, FormatOption, Selected

__all__ = ["ROLES_OPTION", "messages"]

ROLES_OPTION = FormatOption(
    name="roles",
    type=dict,
    help="user id -> role (user, assistant, system...); default: messages aligned right are"
    " the assistant's, the others the user's.",
)


def messages(context: FormatContext, selected: Selected) -> list[dict[str, Any]] | None:
    """``[{"id", "role", "content"}]`` of the conversation; None (``row_unreadable_skipped``)
    when ``row_data`` is not a conversation."""
    row_data = (selected.row.get("data_row") or {}).get("row_data")
    try:
        conversation = orjson.loads(row_data) if isinstance(row_data, str) else None
    except orjson.JSONDecodeError:
        conversation = None
    if not isinstance(conversation, Mapping) or not isinstance(conversation.get("messages"), list):
        context.lose("row_unreadable_skipped", selected.row_id, "row_data is not a conversation")
        return None
    roles: Mapping[str, str] = context.options.get("roles") or {}
    out = []
    for message in conversation["messages"]:
        user = (message.get("user") or {}).get("userId")
        role = roles.get(str(user)) or ("assistant" if message.get("align") == "right" else "user")
        out.append(
            {"id": message.get("messageId"), "role": role, "content": message.get("content", "")}
        )
    return out
