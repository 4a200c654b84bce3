"""Problem builders the media checks share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rowport.plugins import Problem
from rowport_plugins._media._values import cut, is_int

__all__ = ["entity_details", "entity_span_problem", "entity_text_problem", "unreadable"]


def unreadable(index: int, what: str, code: str, message: str, source: Any) -> Problem:
    """The problem of row ``index`` whose media could not be read: ``cannot read <what>:
    <message>`` (``what``: ``"the PDF"``, ``"the row's text"``...), with the error's ``code``
    and the ``source`` it was read from (cut for messages)."""
    return Problem(
        index=index,
        code=code,
        message=f"cannot read {what}: {message}",
        details={"source": cut(str(source))},
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


def entity_details(
    obj: Mapping[str, Any], label: Mapping[str, Any], where: str, **more: Any
) -> tuple[str, dict[str, Any]]:
    """How an entity's problems name it (``<path> (<name>)``) and the details they start from:
    its label, feature, name and path, then ``more`` (in the order given)."""
    name = obj.get("name")
    details: dict[str, Any] = {
        "label_id": label.get("id"),
        "feature_id": obj.get("feature_id"),
        "name": name,
        "path": where,
        **more,
    }
    return (f"{where} ({name})" if name else where), details


def entity_text_problem(
    location: Mapping[str, Any],
    text: str,
    details: dict[str, Any],
    *,
    of: str = "the text",
    within: str = "the text",
) -> tuple[str, str] | None:
    """``(code, reason)`` when an entity's ``location`` (``start``, ``end``, optional
    ``token``) is not a span of ``text`` whose characters are its token, else None; records
    ``start``/``end`` (and the ``token`` and ``expected`` text of a mismatch) in ``details``.
    ``within`` names the text in span reasons (``message 'm1'``), ``of`` in a token's."""
    start: Any = location.get("start")
    end: Any = location.get("end")
    token: Any = location.get("token")
    details["start"], details["end"] = start, end
    span = entity_span_problem(start, end, len(text))
    if span is None and token is not None and not isinstance(token, str):
        span = ("ENTITY_INVALID", f"token must be a string, got {type(token).__name__}")
    if span is not None:
        return span[0], span[1].replace("the text", within)
    expected = text[start : end + 1]
    if token is not None and token != expected:
        details["token"], details["expected"] = token, expected
        return (
            "TOKEN_MISMATCH",
            f"token {cut(token, 60)!r} is not {of} at [{start}, {end}] ({cut(expected, 60)!r})",
        )
    return None
