"""SubRip captions: one ``<data row id>.srt`` per audio row, a cue per timed text answer."""

from __future__ import annotations

from typing import Any

from rowport import hookimpl
from rowport_plugins.formats._audio import Timed, TimedWriter, timed_spec
from rowport_plugins.formats.webvtt import vtt_time

__all__ = ["SPEC", "SrtWriter"]


class SrtWriter(TimedWriter):
    """Writes ``.srt`` files (times as ``hh:mm:ss,mmm``)."""

    suffix = ".srt"

    def render(self, cues: list[Timed]) -> str:
        """Numbered cues separated by blank lines."""
        out = []
        for n, cue in enumerate(cues, 1):
            text = " ".join(cue.text.split())
            start, end = (vtt_time(t).replace(".", ",") for t in (cue.start_ms, cue.end_ms))
            out.append(f"{n}\n{start} --> {end}\n{text}\n\n")
        return "".join(out)


SPEC = timed_spec(
    "srt", "SubRip captions from timed transcriptions", SrtWriter, "<data row id>.srt"
)


@hookimpl(trylast=True)
def rowport_register_formats(register: Any) -> None:
    """Register the SRT format."""
    register(SPEC)
