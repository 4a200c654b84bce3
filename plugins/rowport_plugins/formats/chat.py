"""Chat JSONL: ``chat.jsonl``, one ``{"messages": [{"role", "content"}], ...}`` per
conversation, the shape chat fine-tuning reads. Labels are not carried (each is a loss)."""

from __future__ import annotations

from typing import Any

import orjson

from rowport import hookimpl
from rowport.formats import FormatContext, FormatSpec
from rowport_plugins.formats._chat import ROLES_OPTION, messages

__all__ = ["SPEC", "ChatWriter"]


class ChatWriter:
    """Appends one line per conversation."""

    def __init__(self, context: FormatContext) -> None:
        self.context = context
        self.file = context.open("chat.jsonl", "wb")

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Write each row's conversation."""
        context = self.context
        for row in rows:
            selected = context.select(row)
            if selected is None:
                continue
            found = messages(context, selected)
            if found is None:
                continue
            context.drop_unsupported(selected)
            objects = (selected.annotations or {}).get("objects") or ()
            if objects:
                context.lose("object_dropped", selected.row_id, "entities", count=len(objects))
            line = {
                "messages": [{"role": m["role"], "content": m["content"]} for m in found],
                "data_row_id": selected.row_id,
            }
            self.file.write(orjson.dumps(line) + b"\n")
            context.wrote()

    def finish(self) -> None:
        """Nothing to complete: the context closes the file."""


SPEC = FormatSpec(
    name="chat",
    summary="Chat JSONL: one conversation per line as messages with roles",
    media_types=("conversational",),
    annotation_kinds=(),
    layout=("chat.jsonl", "lossiness.json"),
    writer=ChatWriter,
    options=(ROLES_OPTION,),
)


@hookimpl(trylast=True)
def rowport_register_formats(register: Any) -> None:
    """Register the chat JSONL format."""
    register(SPEC)
