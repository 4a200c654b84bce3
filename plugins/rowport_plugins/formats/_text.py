"""What the text formats share: a row's text, its tokens and sentences, and IOB2 tags from
its entity spans (character offsets, ``end`` inclusive, as the export has them)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import attrs

from rowport.formats import FormatContext, Selected

__all__ = ["Tagged", "row_text", "tag", "write_rows_text"]

_TOKEN = re.compile(r"\w+(?:[-'.]\w+)*|[^\w\s]")
_SENTENCE_END = {".", "!", "?"}


def row_text(context: FormatContext, selected: Selected) -> str | None:
    """The row's text: inline ``row_data``, or a local ``file://`` file; None (a
    ``row_unreadable_skipped`` loss) for remote text, which rowport does not fetch."""
    row_data = str((selected.row.get("data_row") or {}).get("row_data") or "")
    parsed = urlparse(row_data)
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path))
        if path.is_file():
            return path.read_text(encoding="utf-8")
    elif parsed.scheme not in ("http", "https", "gs", "s3"):
        return row_data
    context.lose("row_unreadable_skipped", selected.row_id, "text is not inline or local")
    return None


@attrs.frozen(kw_only=True)
class Tagged:
    """A text's tokens (``(start, end)`` character offsets, end exclusive), their IOB2 tags
    and sentences (lists of token indexes); ``entities`` are ``(first, last token, label)``."""

    text: str
    tokens: list[tuple[int, int]]
    tags: list[str]
    sentences: list[list[int]]
    entities: list[tuple[int, int, str]]

    def words(self) -> list[str]:
        """The tokens' text."""
        return [self.text[s:e] for s, e in self.tokens]


def tag(context: FormatContext, selected: Selected, text: str) -> Tagged:
    """Tokenise ``text`` and tag it from the label's ``TextEntity`` objects.

    Labels use the feature ``value`` (no spaces). An entity whose span cuts a token is widened
    to whole tokens (``span_misaligned``); one overlapping an earlier entity is dropped
    (``overlap_dropped``); classifications and relationships are dropped.
    """
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    tags = ["O"] * len(tokens)
    entities = []
    annotations = selected.annotations or {}
    context.drop_unsupported(selected)
    spans = []
    for obj in annotations.get("objects") or ():
        location = obj.get("location")
        if not isinstance(location, dict) or "start" not in location:
            context.lose("object_dropped", selected.row_id, str(obj.get("annotation_kind")))
            continue
        spans.append((int(location["start"]), int(location["end"]) + 1, obj))
    for start, end, obj in sorted(spans, key=lambda s: (s[0], -s[1])):
        inside = [i for i, (s, e) in enumerate(tokens) if s < end and e > start]
        if not inside:
            context.lose("object_dropped", selected.row_id, f"empty span {start}-{end - 1}")
            continue
        if any(tags[i] != "O" for i in inside):
            context.lose("overlap_dropped", selected.row_id, str(obj.get("name")))
            continue
        if tokens[inside[0]][0] != start or tokens[inside[-1]][1] != end:
            context.lose("span_misaligned", selected.row_id, repr(text[start:end]))
        label = str(obj.get("value") or obj.get("name")).replace(" ", "_")
        for n, i in enumerate(inside):
            tags[i] = ("B-" if n == 0 else "I-") + label
        entities.append((inside[0], inside[-1], label))
        context.drop_object_extras(selected, obj)
    sentences: list[list[int]] = [[]]
    for i, (s, e) in enumerate(tokens):
        sentences[-1].append(i)
        if text[s:e] in _SENTENCE_END and tags[i] == "O":
            sentences.append([])
    return Tagged(
        text=text,
        tokens=tokens,
        tags=tags,
        sentences=[s for s in sentences if s],
        entities=entities,
    )


def write_rows_text(context: FormatContext, rows: list[dict[str, Any]]) -> list[Tagged]:
    """Select, read and tag each row (the rows a text format writes, in order)."""
    out = []
    for row in rows:
        selected = context.select(row)
        if selected is None:
            continue
        text = row_text(context, selected)
        if text is None:
            continue
        out.append(tag(context, selected, text))
    return out
