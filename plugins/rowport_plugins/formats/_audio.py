"""What the audio formats share: a row's timed entries (``timestamp`` in the export) as cues
(text answers: transcriptions) and turns (radio answers: speakers), in milliseconds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from rowport.formats import FormatContext, FormatSpec, Selected, safe_stem

__all__ = ["Timed", "TimedWriter", "timed", "timed_spec"]


@attrs.frozen(kw_only=True)
class Timed:
    """One timed entry: start and end (ms), the text or speaker, the classification's name."""

    start_ms: int
    end_ms: int
    text: str
    name: str


def timed(context: FormatContext, selected: Selected, kind: str) -> list[Timed]:
    """The row's entries of ``kind`` (``text``: text answers, ``speaker``: radio answers), by
    start time; the other entries, global classifications and nested answers count as lost."""
    annotations = selected.annotations or {}
    if annotations.get("classifications"):
        context.lose(
            "classification_dropped",
            selected.row_id,
            ", ".join(c.get("name", "?") for c in annotations["classifications"]),
            count=len(annotations["classifications"]),
        )
    out = []
    for entries in (annotations.get("timestamp") or {}).values():
        for entry in entries:
            if kind == "text" and "text_answer" in entry:
                value = str((entry["text_answer"] or {}).get("content") or "")
            elif kind == "speaker" and "radio_answer" in entry:
                answer = entry["radio_answer"] or {}
                value = str(answer.get("value") or answer.get("name"))
                if answer.get("classifications"):
                    context.lose("nested_answer_flattened", selected.row_id, value)
            else:
                context.lose("classification_dropped", selected.row_id, str(entry.get("name")))
                continue
            out.append(
                Timed(
                    start_ms=int(entry["start_ms"]),
                    end_ms=int(entry["end_ms"]),
                    text=value,
                    name=str(entry.get("name")),
                )
            )
    return sorted(out, key=lambda t: (t.start_ms, t.end_ms))


class TimedWriter:
    """One caption file per audio row: ``render(cues)`` makes its text, ``suffix`` names it."""

    suffix = ".txt"

    def __init__(self, context: FormatContext) -> None:
        self.context = context

    def render(self, cues: list[Timed]) -> str:
        """The file's text."""
        raise NotImplementedError

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Write each row's file."""
        for row in rows:
            selected = self.context.select(row)
            if selected is None:
                continue
            cues = timed(self.context, selected, "text")
            path = self.context.directory / (safe_stem(selected.row_id) + self.suffix)
            path.write_text(self.render(cues), encoding="utf-8")
            self.context.wrote()

    def finish(self) -> None:
        """Nothing to complete: each file was written whole."""


def timed_spec(
    name: str, summary: str, writer: Callable[[FormatContext], Any], layout: str
) -> FormatSpec:
    """The spec of a caption format (audio, ``timestamp`` text answers)."""
    return FormatSpec(
        name=name,
        summary=summary,
        media_types=("audio",),
        annotation_kinds=("timestamp text answers",),
        layout=(layout, "lossiness.json"),
        writer=writer,
    )
