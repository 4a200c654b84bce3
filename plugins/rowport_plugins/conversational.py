"""Built-in plugin for ``conversational`` rows: parses the conversation, checks entities and
message-scoped classifications against its messages, fills the media attributes.

A conversational row's ``row_data`` is the conversation JSON (``{"messages": [{"messageId",
"content", "canLabel", ...}], "modelOutputs": [...]}``), inline, or a reference to a JSON file:
a local path (``/...``, ``./...``, ``../...``), a ``file://`` or an ``http(s)://`` URL, read
whole (up to ``plugin_options["media"]["max_bytes"]``) as UTF-8. An inline conversation starts
with ``{``, so every other reference-shaped ``row_data`` is a file, read by an export only with
``media.fetch`` on (``"missing"`` or ``"always"``; by default its labels are not checked) and
by a media probe, which stores the file's attributes. Parsed conversations are kept
per export in ``context.state`` (a bounded LRU).

Offsets inside a message are **Unicode code points** of its ``content``, ``end`` inclusive.

Codes: ``CONVERSATION_INVALID`` (one per row), ``MESSAGE_NOT_FOUND``, ``ENTITY_INVALID``,
``ENTITY_OUT_OF_RANGE``, ``TOKEN_MISMATCH`` (one per bad annotation), and the fetcher's
``MEDIA_*`` codes. See ``docs/media/conversational.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import orjson

from rowport import hookimpl
from rowport.plugins import ExportContext, Problem
from rowport_plugins._media import (
    BoundedCache,
    MediaError,
    MediaFetcher,
    cache_for,
    cut,
    declarations,
    entity_details,
    entity_text_problem,
    fetch_enabled,
    fetch_mode,
    fetcher,
    fill_media_attributes,
    is_reference,
    iter_labels,
    probe_media_attributes,
    read_text,
    source_option,
)

__all__ = [
    "Conversation",
    "parse_conversation",
    "rowport_declare_media_types",
    "rowport_declare_sections",
    "rowport_probe_media",
    "rowport_transform_rows",
    "rowport_validate_rows",
]

NAME = "conversational"
MIME_TYPE = "application/vnd.labelbox.conversational"
REQUIRED = ("labelable_ids", "message_count")
_CACHE_KEY = "rowport_plugins.conversational.cache"


@attrs.frozen
class Conversation:
    """A parsed conversation: message contents by id, in order, and the labelable ids."""

    contents: dict[str, str]
    labelable_ids: list[str]
    size: int

    def attributes(self) -> dict[str, Any]:
        """The media attributes of the conversation, in the reference's key order."""
        return {
            "asset_type": "conversational",
            "mime_type": MIME_TYPE,
            "labelable_ids": list(self.labelable_ids),
            "message_count": len(self.contents),
        }


@attrs.frozen
class _Unread:
    """Why a row's conversation is unavailable (``code`` None: not read on purpose)."""

    code: str | None
    message: str = ""


def parse_conversation(text: str) -> Conversation:
    """Parse conversation JSON.

    :raises ValueError: not JSON, not an object, no ``messages``, or a message without a string
        ``messageId`` (or with a repeated one) or with a non-string ``content``.
    """
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"the conversation must be a JSON object, got {type(data).__name__}")
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValueError("the conversation has no messages (a non-empty 'messages' list)")
    contents: dict[str, str] = {}
    labelable: list[str] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise ValueError(f"messages[{i}] is not an object")
        message_id = message.get("messageId")
        if not isinstance(message_id, str) or not message_id:
            raise ValueError(f"messages[{i}] has no messageId string")
        if message_id in contents:
            raise ValueError(f"messages[{i}] repeats messageId {message_id!r}")
        content = message.get("content", "")
        if not isinstance(content, str):
            raise ValueError(f"messages[{i}].content is not a string")
        contents[message_id] = content
        if message.get("canLabel", True) is not False:
            labelable.append(message_id)
    return Conversation(contents=contents, labelable_ids=labelable, size=len(text))


def _fetches(row_data: str, context: ExportContext) -> bool:
    source = source_option(context, NAME)
    if source == "inline":
        return False
    return is_reference(row_data) and not row_data.startswith("{")


def _conversation(row: Mapping[str, Any], context: ExportContext) -> Conversation | _Unread:
    """The row's parsed conversation (read and parsed once per export), or why not."""
    row_data = row["data_row"]["row_data"]
    if not isinstance(row_data, str):
        return _Unread("CONVERSATION_INVALID", "row_data is not a string")
    fetched = _fetches(row_data, context)
    if fetched and not fetch_enabled(context):
        return _Unread(None)
    cache: BoundedCache = cache_for(context, NAME, _CACHE_KEY, _size)
    hit, value = cache.get(row_data)
    if hit:
        return value if isinstance(value, (Conversation, _Unread)) else _Unread(None)
    parsed: Conversation | _Unread
    try:
        text = read_text(fetcher(context), row_data) if fetched else row_data
        parsed = parse_conversation(text)
    except MediaError as exc:
        parsed = _Unread(exc.code, f"cannot read the conversation: {exc.message}")
    except ValueError as exc:
        where = "the conversation file" if fetched else "row_data"
        parsed = _Unread("CONVERSATION_INVALID", f"{where} is not a valid conversation: {exc}")
    cache.put(row_data, parsed)
    return parsed


def _size(value: Any) -> int:
    return value.size if isinstance(value, Conversation) else 1


# -- checking annotations ----------------------------------------------------------------------


def _check_label(
    index: int, label: Mapping[str, Any], path: str, conversation: Conversation
) -> list[Problem]:
    annotations = label.get("annotations")
    if not isinstance(annotations, Mapping):
        return []
    problems: list[Problem] = []
    objects = annotations.get("objects")
    for i, obj in enumerate(objects if isinstance(objects, list) else ()):
        if not isinstance(obj, Mapping):
            continue
        kind = obj.get("annotation_kind")
        if kind == "ConversationalTextEntity" or (
            kind is None and "conversational_location" in obj
        ):
            found = _check_entity(
                index, obj, label, f"{path}.annotations.objects[{i}]", conversation
            )
            if found is not None:
                problems.append(found)
    classifications = annotations.get("classifications")
    for i, cls in enumerate(classifications if isinstance(classifications, list) else ()):
        if not isinstance(cls, Mapping) or "message_id" not in cls:
            continue
        message_id = cls["message_id"]
        if isinstance(message_id, str) and message_id in conversation.contents:
            continue
        where = f"{path}.annotations.classifications[{i}]"
        name = cls.get("name")
        problems.append(
            Problem(
                index=index,
                code="MESSAGE_NOT_FOUND",
                message=(
                    f"{where} ({name}): message_id {message_id!r} names no message of the"
                    f" conversation"
                ),
                details={
                    "label_id": label.get("id"),
                    "feature_id": cls.get("feature_id"),
                    "name": name,
                    "path": where,
                    "message_id": message_id,
                    "message_ids": _some_ids(conversation),
                },
            )
        )
    return problems


def _check_entity(
    index: int,
    obj: Mapping[str, Any],
    label: Mapping[str, Any],
    where: str,
    conversation: Conversation,
) -> Problem | None:
    label_name, details = entity_details(obj, label, where, message_id=None, start=None, end=None)

    def problem(code: str, reason: str) -> Problem:
        return Problem(index=index, code=code, message=f"{label_name}: {reason}", details=details)

    place = obj.get("conversational_location")
    if not isinstance(place, Mapping):
        return problem(
            "ENTITY_INVALID",
            "a ConversationalTextEntity needs conversational_location {message_id, location}",
        )
    message_id = place.get("message_id")
    location = place.get("location")
    details["message_id"] = message_id
    if not isinstance(message_id, str) or not isinstance(location, Mapping):
        return problem(
            "ENTITY_INVALID",
            "conversational_location needs a message_id string and a location {start, end}",
        )
    details["start"], details["end"] = location.get("start"), location.get("end")
    content = conversation.contents.get(message_id)
    if content is None:
        details["message_ids"] = _some_ids(conversation)
        return problem(
            "MESSAGE_NOT_FOUND", f"message_id {message_id!r} names no message of the conversation"
        )
    details["text_length"] = len(content)
    found = entity_text_problem(
        location,
        content,
        details,
        of=f"the text of message {message_id!r}",
        within=f"message {message_id!r}",
    )
    return None if found is None else problem(*found)


def _some_ids(conversation: Conversation, limit: int = 20) -> list[str]:
    return list(conversation.contents)[:limit]


# -- hooks -------------------------------------------------------------------------------------


rowport_declare_media_types, rowport_declare_sections = declarations(NAME)


@hookimpl(trylast=True)
def rowport_validate_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Parse each row's conversation once; check its entities and message-scoped
    classifications."""
    problems: list[Problem] = []
    for index, row in enumerate(rows):
        conversation = _conversation(row, context)
        if isinstance(conversation, _Unread):
            if conversation.code is not None:
                problems.append(
                    Problem(
                        index=index,
                        code=conversation.code,
                        message=conversation.message,
                        details={"source": cut(str(row["data_row"]["row_data"]))},
                    )
                )
            continue
        for _, _, path, label in iter_labels(row):
            problems.extend(_check_label(index, label, path, conversation))
    return problems


@hookimpl(trylast=True)
def rowport_transform_rows(rows: list[dict[str, Any]], context: ExportContext) -> list[Problem]:
    """Add ``{asset_type, mime_type, labelable_ids, message_count}`` to rows missing
    ``labelable_ids`` or ``message_count`` (stored values win) and cache them in the catalog."""
    mode = "always" if fetch_mode(context) == "always" else "missing"
    readable: list[tuple[int, dict[str, Any]]] = []
    for index, row in enumerate(rows):
        stored = row.get("media_attributes") or {}
        if all(key in stored for key in REQUIRED) and mode != "always":
            continue
        if isinstance(_conversation(row, context), Conversation):
            readable.append((index, row))  # unreadable ones were reported by validate

    batch = [row for _, row in readable]
    # the conversations were read (or not) above, as media.fetch says
    return [
        attrs.evolve(p, index=readable[p.index][0])
        for p in fill_media_attributes(
            batch, context, _compute(context), required=REQUIRED, mode=mode
        )
    ]


def _compute(context: ExportContext) -> Any:
    def compute(row: dict[str, Any], media: MediaFetcher) -> dict[str, Any]:
        found = _conversation(row, context)
        if not isinstance(found, Conversation):
            raise MediaError(found.code or "MEDIA_UNREADABLE", found.message)
        return found.attributes()

    return compute


@hookimpl(trylast=True)
def rowport_probe_media(
    rows: list[dict[str, Any]], context: ExportContext, only_missing: bool
) -> list[Problem]:
    """Parse each conversation (reading the files of referenced ones) and give its attributes;
    those lacking them only, when ``only_missing``."""
    return probe_media_attributes(
        rows, context, _compute(context), required=REQUIRED, only_missing=only_missing
    )
