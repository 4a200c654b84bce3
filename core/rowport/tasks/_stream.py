"""Readers over a task's stream: ``with_offset`` / ``with_line`` then ``start`` or iterate."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from rowport.streams import StreamLine
from rowport.tasks._backend import StreamSource
from rowport.tasks._converters import Converter

__all__ = ["Stream"]

T = TypeVar("T")


class Stream(Generic[T]):
    """A one-shot reader of a finished stream, positioned by offset or line.

    ``with_offset(n)`` and ``with_line(n)`` return the stream itself so calls chain;
    out-of-range values raise ``ValueError`` at once. ``source`` is a local
    :class:`~rowport.streams.StreamReader` or a remote stream (see :mod:`rowport.tasks._backend`).
    """

    def __init__(self, source: StreamSource, converter: Converter) -> None:
        self._reader = source
        self._converter = converter
        self._offset: int | None = None
        self._line: int | None = None

    def with_offset(self, offset: int) -> Stream[T]:
        """Start at byte ``offset`` of the stream (it may land inside a line)."""
        total = self._reader.total_size
        if not isinstance(offset, int) or offset < 0 or offset >= total:
            raise ValueError(
                f"offset {offset!r} is out of range: the stream has {total} bytes"
                + (f" (0-{total - 1})" if total else "")
            )
        self._offset, self._line = offset, None
        return self

    def with_line(self, line: int) -> Stream[T]:
        """Start at 0-based line ``line``."""
        total = self._reader.total_lines
        if not isinstance(line, int) or line < 0 or line >= total:
            raise ValueError(
                f"line {line!r} is out of range: the stream has {total} lines"
                + (f" (0-{total - 1})" if total else "")
            )
        self._line, self._offset = line, None
        return self

    def _lines(self) -> Iterator[StreamLine]:
        if self._reader.total_lines == 0:
            return iter(())
        if self._offset is not None:
            return self._reader.iter_from_offset(self._offset)
        return self._reader.iter_lines(self._line or 0)

    def __iter__(self) -> Iterator[T]:
        out: Iterator[T] = self._converter.convert(
            self._lines(),
            total_size=self._reader.total_size,
            total_lines=self._reader.total_lines,
        )
        return out

    def start(self, stream_handler: Callable[[T], Any] | None = None) -> None:
        """Read to the end, calling ``stream_handler`` with each output."""
        for output in self:
            if stream_handler is not None:
                stream_handler(output)
