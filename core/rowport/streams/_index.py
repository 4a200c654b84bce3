"""The line index beside each part: a little-endian uint64 byte offset for every line.

One entry per line costs 8 bytes a line and makes a seek a direct lookup (by line) or one binary
search (by offset) instead of a scan; the design measured it 60x faster than a sparse index. On
object storage a lookup by line is one ranged GET of 8 bytes, a search by offset one GET of the
index.
"""

from __future__ import annotations

import bisect
import struct
import sys
from array import array

from rowport.streams._storage import StreamStorage

__all__ = ["find_line", "index_bytes", "line_offset", "read_index"]

_ENTRY = struct.Struct("<Q")
_NATIVE_LITTLE = sys.byteorder == "little"


def index_bytes(offsets: array[int]) -> bytes:
    """The index file's bytes for ``offsets`` (an ``array('Q')``)."""
    return (offsets if _NATIVE_LITTLE else _swapped(offsets)).tobytes()


def read_index(storage: StreamStorage, name: str) -> array[int]:
    """Every entry of the index ``name`` (used by ``verify``; seeks never load it whole)."""
    offsets = array("Q")
    offsets.frombytes(storage.read(name))
    return offsets if _NATIVE_LITTLE else _swapped(offsets)


def line_offset(storage: StreamStorage, name: str, line: int) -> int:
    """The byte offset (relative to its part) of the part's ``line``-th line: one 8-byte read."""
    entry = storage.read_range(name, line * _ENTRY.size, _ENTRY.size)
    if len(entry) != _ENTRY.size:
        raise ValueError(f"{storage.path_of(name)} has no entry for line {line}")
    offset: int = _ENTRY.unpack(entry)[0]
    return offset


def find_line(storage: StreamStorage, name: str, offset: int) -> tuple[int, int]:
    """The part-relative line holding byte ``offset`` and that line's start, by binary search."""
    with storage.mapped(name) as mm:
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
