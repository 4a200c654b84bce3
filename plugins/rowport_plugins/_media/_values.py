"""Small predicates and formatting shared by the media checks."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["cut", "is_int", "is_number", "number_text"]


def is_number(value: Any) -> bool:
    """A finite int or float (not a bool)."""
    kind = type(value)
    if kind is int:
        return True
    if kind is float:
        return math.isfinite(value)
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_int(value: Any) -> bool:
    """An int (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def cut(text: str, limit: int = 200) -> str:
    """``text`` shortened to ``limit`` characters for messages."""
    return text if len(text) <= limit else text[:limit] + "..."


def number_text(value: Any) -> str:
    """A number for messages: ``3`` for ``3.0``, else as it is."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
