"""Geometry records the media checks share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from rowport_plugins._media._values import is_number

__all__ = ["BOX_KEYS", "Box", "box_values"]

BOX_KEYS = ("top", "left", "height", "width")


@attrs.frozen
class Box:
    """A ``bounding_box``: ``{top, left, height, width}`` in pixels."""

    top: float
    left: float
    height: float
    width: float

    @classmethod
    def parse(cls, value: Any) -> Box | None:
        """The box of a ``bounding_box`` value with four finite numbers, else None."""
        found = box_values(value)
        return None if found is None else cls(*found)

    def as_tuple(self) -> tuple[float, float, float, float]:
        """``(top, left, height, width)``."""
        return self.top, self.left, self.height, self.width


def box_values(value: Any) -> tuple[float, float, float, float] | None:
    """``(top, left, height, width)`` of a ``bounding_box`` value with four finite numbers,
    else None (what :meth:`Box.parse` reads, without building the record: every image check
    of every box runs it)."""
    if type(value) is not dict and not isinstance(value, Mapping):
        return None
    get = value.get  # the four keys of BOX_KEYS, spelled out: this runs for every box
    top: Any = get("top")
    left: Any = get("left")
    height: Any = get("height")
    width: Any = get("width")
    if is_number(top) and is_number(left) and is_number(height) and is_number(width):
        return float(top), float(left), float(height), float(width)
    return None
