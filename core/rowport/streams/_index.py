"""The line index beside each part: a little-endian uint64 byte offset for every line.

One entry per line costs 8 bytes a line and makes a seek a direct lookup (by line) or one binary
search (by offset) instead of a scan; the design measured it 60x faster than a sparse index.
"""

from __future__ import annotations

import bisect
import mmap
import os
import struct
import sys
from array import array
from pathlib import Path

__all__ = ["find_line", "index_bytes", "line_offset", "read_index"]

_ENTRY = struct.Struct("<Q")
_NATIVE_LITTLE = sys.byteorder == "little"


def index_bytes(offsets: array[int]) -> bytes:
    """The index file's bytes for ``offsets`` (an ``array('Q')``)."""
    return (offsets if _NATIVE_LITTLE else _swapped(offsets)).tobytes()


def read_index(path: Path) -> array[int]:
    """Every entry of the index at ``path`` (used by ``verify``; seeks never load it whole)."""
    offsets = array("Q")
    offsets.frombytes(path.read_bytes())
    return offsets if _NATIVE_LITTLE else _swapped(offsets)


def line_offset(path: Path, line: int) -> int:
    """The byte offset (relative to its part) of the part's ``line``-th line: one 8-byte read."""
    with open(path, "rb", buffering=0) as f:
        entry = os.pread(f.fileno(), _ENTRY.size, line * _ENTRY.size)
    if len(entry) != _ENTRY.size:
        raise ValueError(f"{path} has no entry for line {line}")
    offset: int = _ENTRY.unpack(entry)[0]
    return offset


def find_line(path: Path, offset: int) -> tuple[int, int]:
    """The part-relative line holding byte ``offset`` and that line's start, by binary search."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        if _NATIVE_LITTLE:
            with memoryview(mm) as view, view.cast("Q") as entries:
                line = bisect.bisect_right(entries, offset) - 1
                start: int = entries[line]
        else:  # pragma: no cover - big-endian hosts
            offsets = _swapped(array("Q", bytes(mm)))
            line = bisect.bisect_right(offsets, offset) - 1
            start = offsets[line]
    return line, start


def _swapped(offsets: array[int]) -> array[int]:  # pragma: no cover - big-endian hosts
    copy = array("Q", offsets)
    copy.byteswap()
    return copy
