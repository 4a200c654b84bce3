"""The runner step of a media probe task: plugins read media, rowport stores what they found.

A probe runs like an export (plan, batches, progress, cancel, RESULT and ERRORS streams), with
this step instead of the validate/transform pipeline: per media type of a batch it calls
``rowport_probe_media``, stores every row whose ``media_attributes`` changed, and turns each
row into one RESULT line saying what happened to it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rowport.plugins._host import PluginHost
from rowport.plugins._model import ExportContext
from rowport.plugins._step import _problem_line

__all__ = ["PROBE_OUTCOMES", "MediaProbeStep"]

# what a RESULT line's "outcome" says: stored new attributes, found nothing new, could not read
PROBE_OUTCOMES = ("updated", "unchanged", "failed")


class MediaProbeStep:
    """Probe each batch's media by media type; return RESULT lines and ERRORS lines."""

    needs_json = True

    def __init__(self, host: PluginHost, *, only_missing: bool = True) -> None:
        self.host = host
        self.only_missing = only_missing

    def __call__(
        self, rows: list[dict[str, Any]], context: ExportContext
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, row in enumerate(rows):
            groups[row.get("_media_type", "")].append(i)
        before = [dict(row.get("media_attributes") or {}) for row in rows]
        failed: set[int] = set()
        problems: list[dict[str, Any]] = []
        for media_type, positions in groups.items():
            if not self.host.has_probe(media_type):
                continue
            batch = [rows[i] for i in positions]
            for raised in self.host.probe(
                media_type, batch, context, only_missing=self.only_missing
            ):
                problems.append(_problem_line(raised, batch))
                failed.add(positions[raised.problem.index])
        changed: dict[str, dict[str, Any]] = {}
        lines: list[dict[str, Any]] = []
        for i, row in enumerate(rows):
            after = row.get("media_attributes") or {}
            data_row = row["data_row"]
            if i in failed:
                outcome = "failed"
            elif after != before[i]:
                outcome = "updated"
                changed[data_row["id"]] = dict(after)
            else:
                outcome = "unchanged"
            lines.append(
                {
                    "data_row": {
                        "id": data_row["id"],
                        "global_key": data_row.get("global_key"),
                        "row_data": data_row.get("row_data"),
                    },
                    "media_type": row.get("_media_type"),
                    "outcome": outcome,
                    "media_attributes": dict(after),
                }
            )
        if changed:
            context.catalog.rows.set_media_attributes(changed)
        return lines, problems
