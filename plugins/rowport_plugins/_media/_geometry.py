"""Geometry records the media checks share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from rowport_plugins._media._values import is_number

__all__ = ["BOX_KEYS", "Box"]

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
        if not isinstance(value, Mapping) or not all(is_number(value.get(k)) for k in BOX_KEYS):
            return None
        return cls(*(float(value[k]) for k in BOX_KEYS))

    def as_tuple(self) -> tuple[float, float, float, float]:
        """``(top, left, height, width)``."""
        return self.top, self.left, self.height, self.width
