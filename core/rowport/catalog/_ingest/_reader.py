"""Reading import input: numbered lines of an NDJSON file (or a list of rows), parsed by orjson."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs
import orjson

__all__ = ["Line", "iter_ndjson", "number_rows"]


@attrs.frozen
class Line:
    """One input line: its 1-based number, its parsed value (or the reason it does not parse),
    and the input bytes read so far."""

    number: int
    value: Any
    error: str | None = None
    bytes_read: int = 0


def _parse(number: int, raw: bytes | str, offset: int) -> Line:
    try:
        return Line(number, orjson.loads(raw), None, offset)
    except orjson.JSONDecodeError as exc:
        return Line(number, None, f"not valid JSON: {exc}", offset)


def iter_ndjson(path: Path) -> Iterator[Line]:
    """Each non-blank line of an NDJSON file, parsed, in constant memory.

    A file holding one pretty-printed JSON object (like the reference samples) is read whole.
    """
    with path.open("rb", buffering=1 << 20) as f:
        head = f.readline()
        if head.strip() == b"{":
            rest = f.read()
            yield _parse(1, head + rest, len(head) + len(rest))
            return
        offset = 0
        raw = head
        number = 1
        while raw:
            offset += len(raw)
            if raw.strip():
                yield _parse(number, raw, offset)
            raw = f.readline()
            number += 1


def number_rows(rows: Iterable[Any], first_line: int = 1) -> Iterator[Line]:
    """Lines from rows given in Python: dicts, JSON text or bytes, or ``(line, row)`` pairs."""
    for i, item in enumerate(rows):
        number = first_line + i
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], int):
            number, item = item
        if isinstance(item, (str, bytes, bytearray, memoryview)):
            yield _parse(number, bytes(item) if not isinstance(item, str) else item, 0)
        else:
            yield Line(number, item)
