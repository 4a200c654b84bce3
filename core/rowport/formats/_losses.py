"""The lossiness report: what a format could not carry, counted by kind, each with an example.

Kinds are stable identifiers (``polygon_to_box``, ``classification_dropped``...); a format
may add its own. With ``strict`` the first loss raises :class:`FormatLossError`.
"""

from __future__ import annotations

from typing import Any

import attrs

from rowport.errors import RowportError

__all__ = ["LOSS_KINDS", "FormatLossError", "LossReport"]

#: The kinds the built-in formats report, with what each means.
LOSS_KINDS: dict[str, str] = {
    "row_unlabeled_skipped": "a row without labels was not written",
    "row_media_type_skipped": "a row of a media type the format does not carry was not written",
    "row_unreadable_skipped": "a row lacked what the format needs (size, text, times)",
    "labels_dropped": "a row had more labels (or projects) than the one converted",
    "object_dropped": "an object of a kind the format cannot carry was dropped",
    "polygon_to_box": "a polygon (or mask) was reduced to its bounding box",
    "mask_unreadable": "a mask's image could not be read, so the object was dropped",
    "classification_dropped": "a classification (global, per frame or per message) was dropped",
    "object_classification_dropped": "a classification nested in an object was dropped",
    "nested_answer_flattened": "a nested answer was flattened into its parent's value",
    "relationship_dropped": "a relationship between objects was dropped",
    "confidence_dropped": "a prediction's confidence was dropped",
    "coordinates_clipped": "coordinates outside the media were clipped to its bounds",
    "overlap_dropped": "an entity overlapping an earlier one was dropped (one tag per token)",
    "span_misaligned": "an entity's span did not fall on token boundaries and was widened",
}


class FormatLossError(RowportError):
    """A strict conversion met something its format cannot carry."""


@attrs.define
class _Kind:
    count: int = 0
    example_data_row_id: str | None = None
    example: str | None = None


@attrs.define
class LossReport:
    """Counts of what a conversion lost, by kind."""

    format: str
    strict: bool = False
    kinds: dict[str, _Kind] = attrs.field(factory=dict)

    def lose(
        self, kind: str, row_id: str | None, detail: str | None = None, count: int = 1
    ) -> None:
        """Record ``count`` losses of ``kind`` in data row ``row_id``.

        :raises FormatLossError: in strict mode, naming the kind, the row and the detail.
        """
        entry = self.kinds.get(kind)
        if entry is not None:
            entry.count += count  # the hot path: a kind met before keeps its first example
            return
        if self.strict:
            what = LOSS_KINDS.get(kind, kind)
            raise FormatLossError(
                f"format {self.format!r} (strict) would lose data: {kind} ({what}) in data row"
                f" {row_id}" + (f": {detail}" if detail else "")
            )
        self.kinds[kind] = _Kind(count=count, example_data_row_id=row_id, example=detail)

    @property
    def lossless(self) -> bool:
        """Whether nothing was lost."""
        return not self.kinds

    def to_dict(self) -> dict[str, Any]:
        """``{kind: {count, description, example_data_row_id, example}}``, kinds sorted."""
        return {
            kind: {
                "count": k.count,
                "description": LOSS_KINDS.get(kind, kind),
                "example_data_row_id": k.example_data_row_id,
                "example": k.example,
            }
            for kind, k in sorted(self.kinds.items())
        }
