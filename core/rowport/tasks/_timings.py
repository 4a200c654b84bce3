"""Per-batch timings of an export: where its time went, for the console and ``rowport report``.

The runner takes a clock reading (:func:`time.perf_counter_ns`) at the ends of each stage of a
batch (never per row) and hands them to :class:`BatchTimings`, which keeps one small tuple per
batch and appends them to ``timings.ndjson`` in the task's folder whenever the runner writes
progress (a few times a second) and when the export ends. Each line is one JSON object:

- ``{"kind": "plan", "at": 0.0, "seconds": S}``: a run began (the first, or a resume) and
  planning its rows took ``S`` seconds;
- ``{"kind": "batch", "batch": I, "at": T, "rows": N, "bytes": B, "seconds": S, "read": ...,
  "plugins": ..., "encode": ..., "write": ...}``: batch ``I`` of that run ended ``T`` seconds
  after it began, had ``N`` plan rows and added ``B`` bytes to RESULT, and took ``S`` seconds:
  ``read`` (the batch's plan rows and section reads, assembled into rows), ``plugins`` (the
  row steps), ``encode`` (JSON) and ``write`` (the streams, their commits and delivery).

A sharded export's batches are timed by its shards (in their processes, on their hosts) and
recorded as the coordinator merges them, in key order: their ``at`` is placed by the wall
clock, so the batches of shards that ran at once overlap.

The file is informational: nothing reads it back to run an export, and losing it (a full disk)
loses only the figures, never a row. :func:`read_timings` reads it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

__all__ = ["STAGES", "TIMINGS_FILE", "BatchTimings", "read_timings"]

TIMINGS_FILE = "timings.ndjson"
STAGES = ("plan", "read", "plugins", "encode", "write")
_NS = 1e-9


class BatchTimings:
    """The timings of one run of an export, appended to ``directory/timings.ndjson``."""

    clock = staticmethod(time.perf_counter_ns)

    def __init__(self, directory: Path) -> None:
        self.path = directory / TIMINGS_FILE
        self.started = self.clock()
        self.started_at = time.time_ns()  # the same moment on the wall clock (for shards)
        self._batches = 0
        self._pending: list[tuple[int, int, int, int, int, int, int, int]] = []
        self._lines: list[bytes] = []

    def planned(self, started: int, ended: int) -> None:
        """The plan took from ``started`` to ``ended`` (clock readings)."""
        self._lines.append(
            orjson.dumps({"kind": "plan", "at": 0.0, "seconds": round((ended - started) * _NS, 6)})
        )

    def batch(
        self, rows: int, size: int, start: int, read: int, plugins: int, encode: int, write: int
    ) -> None:
        """A batch of ``rows`` plan rows and ``size`` RESULT bytes; the clock at its start and
        at the end of its read, plugins, encode and write stages. Costs one tuple."""
        self._pending.append((self._batches, rows, size, start, read, plugins, encode, write))
        self._batches += 1

    def shard_batches(self, batches: Sequence[tuple[int, ...]], started_at: int) -> None:
        """Batches a shard timed in its own process, maybe on another host: each ``(rows,
        size, start, read, plugins, encode, write)``, the clock readings in nanoseconds since
        the shard began, at ``started_at`` on the wall clock (:func:`time.time_ns`)."""
        base = self.started + (started_at - self.started_at)
        for rows, size, *marks in batches:
            self.batch(rows, size, *(base + mark for mark in marks))

    def flush(self) -> None:
        """Append what was recorded since the last flush (best effort: a disk that cannot take
        it loses the figures, not the export)."""
        started = self.started
        for index, rows, size, start, read, plugins, encode, write in self._pending:
            self._lines.append(
                orjson.dumps(
                    {
                        "kind": "batch",
                        "batch": index,
                        "at": round((write - started) * _NS, 6),
                        "rows": rows,
                        "bytes": size,
                        "seconds": round((write - start) * _NS, 6),
                        "read": round((read - start) * _NS, 6),
                        "plugins": round((plugins - read) * _NS, 6),
                        "encode": round((encode - plugins) * _NS, 6),
                        "write": round((write - encode) * _NS, 6),
                    }
                )
            )
        self._pending.clear()
        if not self._lines:
            return
        with contextlib.suppress(OSError), self.path.open("ab") as out:
            out.write(b"\n".join(self._lines) + b"\n")
        self._lines.clear()


def read_timings(directory: Path) -> list[dict[str, Any]]:
    """The lines of ``directory/timings.ndjson`` (none when the task has no such file; a torn
    last line, from a process killed mid-write, is left out)."""
    path = directory / TIMINGS_FILE
    try:
        data = path.read_bytes()
    except OSError:
        return []
    lines = []
    for raw in data.splitlines():
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict):
            lines.append(value)
    return lines
