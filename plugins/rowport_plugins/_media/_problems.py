"""Problem builders the media checks share."""

from __future__ import annotations

from typing import Any

from rowport.plugins import Problem
from rowport_plugins._media._fetch import MediaError
from rowport_plugins._media._values import cut, is_int

__all__ = ["entity_span_problem", "unreadable"]


def unreadable(index: int, error: MediaError, source: Any, **details: Any) -> Problem:
    """The problem of a row whose media could not be read: the error's code and message, and
    the source (cut for messages)."""
    return Problem(
        index=index,
        code=error.code,
        message=error.message,
        details={"source": cut(str(source)), **details},
    )


def entity_span_problem(start: Any, end: Any, length: int) -> tuple[str, str] | None:
    """``(code, reason)`` when ``start``/``end`` are not a valid inclusive span of a text of
    ``length`` code points, else None."""
    if not is_int(start) or not is_int(end):
        return "ENTITY_INVALID", f"start and end must be integers, got {start!r} and {end!r}"
    if start < 0:
        return "ENTITY_OUT_OF_RANGE", f"start {start} is negative"
    if end < start:
        return "ENTITY_OUT_OF_RANGE", f"end {end} is before start {start}"
    if end >= length:
        last = f"the last index is {length - 1}" if length else "the text is empty"
        return (
            "ENTITY_OUT_OF_RANGE",
            f"end {end} (inclusive) is past the end of the text ({length} code points; {last})",
        )
    return None
