"""RTTM speaker turns: ``speakers.rttm``, one ``SPEAKER`` line per timed speaker answer.

``SPEAKER <data row id> 1 <onset s> <duration s> <NA> <NA> <speaker> <NA> <NA>``, with the
speaker being the radio answer's value and times in seconds with millisecond precision.
"""

from __future__ import annotations

from typing import Any

from rowport import hookimpl
from rowport.formats import FormatContext, FormatSpec, safe_stem
from rowport_plugins.formats._audio import timed

__all__ = ["SPEC", "RttmWriter"]


class RttmWriter:
    """Appends each row's speaker turns."""

    def __init__(self, context: FormatContext) -> None:
        self.context = context
        self.file = context.open("speakers.rttm")

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Write each row's turns."""
        for row in rows:
            selected = self.context.select(row)
            if selected is None:
                continue
            file_id = safe_stem(selected.row_id)
            for turn in timed(self.context, selected, "speaker"):
                onset, duration = turn.start_ms / 1000, (turn.end_ms - turn.start_ms) / 1000
                speaker = safe_stem(turn.text)
                self.file.write(
                    f"SPEAKER {file_id} 1 {onset:.3f} {duration:.3f} <NA> <NA> {speaker}"
                    " <NA> <NA>\n"
                )
            self.context.wrote()

    def finish(self) -> None:
        """Nothing to complete: the context closes the file."""


SPEC = FormatSpec(
    name="rttm",
    summary="RTTM speaker turns from timed speaker answers",
    media_types=("audio",),
    annotation_kinds=("timestamp radio answers",),
    layout=("speakers.rttm", "lossiness.json"),
    writer=RttmWriter,
)


@hookimpl(trylast=True)
def rowport_register_formats(register: Any) -> None:
    """Register the RTTM format."""
    register(SPEC)
