"""WebVTT captions: one ``<data row id>.vtt`` per audio row, a cue per timed text answer."""

from __future__ import annotations

from typing import Any

from rowport import hookimpl
from rowport_plugins.formats._audio import Timed, TimedWriter, timed_spec

__all__ = ["SPEC", "WebVttWriter", "vtt_time"]


def vtt_time(ms: int) -> str:
    """``hh:mm:ss.mmm``."""
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


class WebVttWriter(TimedWriter):
    """Writes ``.vtt`` files."""

    suffix = ".vtt"

    def render(self, cues: list[Timed]) -> str:
        """``WEBVTT`` and the cues (a blank line inside a text would end it: made a space)."""
        out = ["WEBVTT\n"]
        for n, cue in enumerate(cues, 1):
            text = " ".join(cue.text.replace("-->", "->").split())
            out.append(f"\n{n}\n{vtt_time(cue.start_ms)} --> {vtt_time(cue.end_ms)}\n{text}\n")
        return "".join(out)


SPEC = timed_spec(
    "webvtt", "WebVTT captions from timed transcriptions", WebVttWriter, "<data row id>.vtt"
)


@hookimpl(trylast=True)
def rowport_register_formats(register: Any) -> None:
    """Register the WebVTT format."""
    register(SPEC)
