"""One batch through an export's pipeline, shared by the runner and the shard workers: assemble
the plan rows, run the steps, encode the rows and their problems as stream lines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from rowport.export import RowAssembler, problem
from rowport.plugins import ExportContext
from rowport.request import ExportRequest

if TYPE_CHECKING:
    from rowport.tasks._runner import BatchStep

__all__ = ["Canceled", "missing_lines", "run_batch"]


class Canceled(Exception):
    """The export was canceled: the runner stops and closes its streams."""


def run_batch(
    assembler: RowAssembler[Any],
    steps: Sequence[BatchStep],
    context: ExportContext,
    base: Sequence[tuple[Any, ...]],
    clock: Callable[[], int],
) -> tuple[list[bytes], list[bytes], int, int, int]:
    """The RESULT lines and ERRORS lines of one batch of plan rows, and the ``clock`` read when
    the rows were assembled, through the steps and encoded (the runner's batch timings)."""
    dumps = orjson.dumps
    rows, problems = assembler.assemble_rows(base)
    read = clock()
    for step in steps:
        rows, more = step(rows, context)
        problems.extend(more)
    plugged = clock()
    # rows the last step already encoded (a plugin step, checking what transform hooks left)
    done: dict[int, bytes] = (getattr(steps[-1], "encoded", None) or {}) if steps else {}
    encoded = []
    for row in rows:
        line = done.get(id(row)) if done else None
        if line is None:
            row.pop("_media_type", None)
            line = dumps(row)
        encoded.append(line)
    lines = [dumps(p) for p in problems]
    return encoded, lines, read, plugged, clock()


def missing_lines(request: ExportRequest, missing: Sequence[str]) -> list[bytes]:
    """The ``DATA_ROW_NOT_FOUND`` lines a data rows export starts its ERRORS stream with."""
    what = "global key" if request.scope_by == "global_key" else "data row id"
    return [
        orjson.dumps(
            problem(
                "DATA_ROW_NOT_FOUND",
                f"no data row has {what} {key!r}",
                details={what.replace(" ", "_"): key},
            )
        )
        for key in missing
    ]
