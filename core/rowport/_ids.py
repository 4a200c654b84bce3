"""Ids: 25 characters, URL-safe, sorting by creation time (cuid-like)."""

from __future__ import annotations

import os
import threading
import time

__all__ = ["ID_LENGTH", "is_id", "new_id"]

ID_LENGTH = 25
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_lock = threading.Lock()
_last_ms = 0
_counter = 0


def _base36(n: int, width: int) -> str:
    chars = []
    for _ in range(width):
        n, r = divmod(n, 36)
        chars.append(_ALPHABET[r])
    return "".join(reversed(chars))


def new_id() -> str:
    """Return a new id: ``c`` + 8 chars of milliseconds + 4 of a counter + 12 random.

    Ids made in one process sort in creation order; across processes they sort by millisecond.
    """
    global _last_ms, _counter
    with _lock:
        ms = int(time.time() * 1000)
        if ms <= _last_ms:
            ms = _last_ms
            _counter += 1
            if _counter >= 36**4:
                ms += 1
                _counter = 0
        else:
            _counter = 0
        _last_ms = ms
        counter = _counter
    rand = int.from_bytes(os.urandom(8), "big")
    return "c" + _base36(ms, 8) + _base36(counter, 4) + _base36(rand, 12)


def is_id(value: object) -> bool:
    """True when ``value`` looks like an id (25 URL-safe characters)."""
    return (
        isinstance(value, str)
        and len(value) == ID_LENGTH
        and all(c.isalnum() or c in "-_" for c in value)
    )
