"""The garbage collector's thresholds while exports run.

An export builds and drops a few dicts per row, none of them in a reference cycle, yet each
100 rows make hundreds of new containers: at the default threshold (700) the collector runs
its youngest generation every few rows and an older one every few batches, about a tenth of
an export's time. While any export runs, the youngest generation waits for
:data:`EXPORT_THRESHOLD` new containers (cycles are still collected, just less often); the
thresholds in force before the first export come back when the last one ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["EXPORT_THRESHOLD", "export_gc"]

EXPORT_THRESHOLD = 50_000

_lock = threading.Lock()
_running = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def export_gc() -> Iterator[None]:
    """Raise the collector's youngest threshold while the body (an export) runs."""
    global _running, _saved
    with _lock:
        if _running == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(max(EXPORT_THRESHOLD, _saved[0]), *_saved[1:])
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
