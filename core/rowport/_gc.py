"""Fewer garbage collections while imports and exports run.

An import or export allocates hundreds of tracked containers per row (parsed JSON, records,
row dicts), nearly all freed by reference counting at once and none in a reference cycle; at
the default threshold (700) the cyclic collector runs its youngest generation every few rows,
about a tenth of the work's time. While any such work runs in the process, the youngest
generation waits for more new containers (the largest threshold asked for by the work
running: cycles are still collected, just less often); the thresholds in force before the
first one come back when the last one ends. A collector switched off (threshold 0) is left so.
Imports and exports that overlap, in any threads, share one count, so neither restores a
threshold the other set.
"""

from __future__ import annotations

import gc
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["EXPORT_THRESHOLD", "IMPORT_THRESHOLD", "fewer_collections"]

EXPORT_THRESHOLD = 50_000
IMPORT_THRESHOLD = 10_000

_lock = threading.Lock()
_asked: Counter[int] = Counter()  # the thresholds of the work running now
_saved: tuple[int, int, int] | None = None  # the thresholds before the first of it


def _apply() -> None:
    """Set the youngest threshold for the work running now (or back to the saved one)."""
    global _saved
    if _saved is None:
        return
    if not _asked:
        gc.set_threshold(*_saved)
        _saved = None
        return
    gc.set_threshold(max(_saved[0], *_asked), *_saved[1:])


@contextmanager
def fewer_collections(threshold: int) -> Iterator[None]:
    """Raise the collector's youngest threshold to at least ``threshold`` for the duration
    (nested and threaded uses are counted)."""
    global _saved
    with _lock:
        if not _asked:
            current = gc.get_threshold()
            _saved = current if current[0] > 0 else None
        _asked[threshold] += 1
        _apply()
    try:
        yield
    finally:
        with _lock:
            _asked[threshold] -= 1
            if _asked[threshold] == 0:
                del _asked[threshold]
            _apply()
