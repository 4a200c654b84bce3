"""Reading a stream: whole lines from any line or byte offset, byte ranges, and following a
stream while its writer appends. A reader sees only parts the manifest lists, so never a torn line.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import NamedTuple

from rowport.errors import StreamCorrupted
from rowport.streams._index import find_line, line_offset
from rowport.streams._manifest import MANIFEST_NAME, PartInfo, StreamManifest, read_manifest
from rowport.streams._storage import StreamPlace, StreamStorage, open_storage
from rowport.streams._verify import open_part, verify_stream

__all__ = [
    "StreamLine",
    "StreamReader",
    "check_line",
    "check_offset",
    "manifest_required",
    "split_lines",
]

_CHUNK = 1 << 20
_new_tuple = tuple.__new__


def manifest_required(directory: StreamPlace, *, complete: bool, finished: bool) -> bool:
    """Whether the stream of a task must have its manifest (``required`` of a reader): a
    COMPLETE task's, and a finished task's whose folder exists. A task that ended before its
    runner started (canceled while queued) has no folder, which is an empty stream."""
    return complete or (finished and open_storage(directory).exists())


class StreamLine(NamedTuple):
    """One line of a stream: its byte offset, its 0-based line number and its bytes (no newline).

    When iteration starts mid-line, the first item's ``data`` is the rest of that line.
    """

    offset: int
    line: int
    data: bytes


class StreamReader:
    """Reads the committed lines of the stream in ``directory`` (a path, an ``s3://`` URL or a
    :class:`~rowport.streams.StreamStorage`; on object storage every read is a ranged GET).

    The reader works on the manifest it last read (:meth:`refresh` re-reads it; :meth:`follow`
    does so by itself). A missing directory or manifest is an empty stream, unless ``required``
    (a finished task's stream): then it is :class:`~rowport.errors.StreamCorrupted`, as is a
    stream folder that is a file, a manifest that is not one, or a part whose size or sha256
    differs from the manifest's (checked once per part, when it is opened). One reader belongs
    to one thread; open as many readers as needed, in any thread or process, beside the writer.
    """

    def __init__(self, directory: StreamPlace, *, required: bool = False) -> None:
        self.storage: StreamStorage = open_storage(directory)
        self.directory = directory
        self.required = required
        self._stamp: Hashable | None = None
        self._set_manifest(StreamManifest.empty())
        self.refresh()

    def refresh(self) -> bool:
        """Re-read the manifest if it was replaced; return whether it changed."""
        storage = self.storage
        try:
            stamp = storage.stamp(MANIFEST_NAME)
        except NotADirectoryError:
            raise StreamCorrupted(
                storage.location, "is not a folder (a stream is a folder)"
            ) from None
        except OSError as exc:
            raise StreamCorrupted(
                storage.path_of(MANIFEST_NAME), str(exc.strerror or exc)
            ) from None
        if stamp is None and self.required:
            read_manifest(storage, required=True)  # raises, naming what is missing
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        manifest = read_manifest(storage, required=self.required)
        changed = manifest != self._manifest
        self._set_manifest(manifest)
        return changed

    def _set_manifest(self, manifest: StreamManifest) -> None:
        self._manifest = manifest
        self._line_starts = [part.lines.start for part in manifest.parts]
        self._offset_starts = [part.offsets.start for part in manifest.parts]

    @property
    def manifest(self) -> StreamManifest:
        """The manifest as last read."""
        return self._manifest

    @property
    def total_size(self) -> int:
        """Committed bytes."""
        return self._manifest.total_size

    @property
    def total_lines(self) -> int:
        """Committed lines."""
        return self._manifest.total_lines

    @property
    def complete(self) -> bool:
        """Whether the writer closed the stream (no more lines will come)."""
        return self._manifest.complete

    # -- reading -------------------------------------------------------------------------------

    def iter_lines(self, start_line: int = 0) -> Iterator[StreamLine]:
        """The lines from ``start_line`` on; the seek is one binary search and one index read.

        ``start_line=0`` on an empty stream yields nothing.

        :raises ValueError: ``start_line`` is negative or not below ``total_lines``.
        """
        if not (start_line == 0 and self.total_lines == 0):
            self._check_line(start_line)
        return self._iter_from_line(self._manifest.parts, start_line)

    def iter_from_offset(self, offset: int) -> Iterator[StreamLine]:
        """The lines from byte ``offset`` on. If it lands inside a line, the first item is the
        rest of that line (its ``offset`` is ``offset``, its ``line`` the line holding it).

        ``offset=0`` on an empty stream yields nothing.

        :raises ValueError: ``offset`` is negative or not below ``total_size``.
        """
        if not (offset == 0 and self.total_size == 0):
            self._check_offset(offset)
        return self._iter_from_offset(self._manifest.parts, offset)

    def offset_of_line(self, line: int) -> int:
        """The byte offset where ``line`` starts; ``total_size`` for the line after the last
        (where a reader following the stream goes on). One binary search, one index read."""
        if line == self.total_lines:
            return self.total_size
        self._check_line(line)
        position = bisect.bisect_right(self._line_starts, line) - 1
        part = self._manifest.parts[position]
        relative = line_offset(self.storage, part.index_file, line - part.lines.start)
        return part.offsets.start + relative

    def line_at_offset(self, offset: int) -> int:
        """The number of the line holding byte ``offset``; ``total_lines`` for the offset
        after the last byte. One binary search over the parts, one over the part's index."""
        if offset == self.total_size:
            return self.total_lines
        self._check_offset(offset)
        position = bisect.bisect_right(self._offset_starts, offset) - 1
        part = self._manifest.parts[position]
        line, _ = find_line(self.storage, part.index_file, offset - part.offsets.start)
        return part.lines.start + line

    def read_range(self, start: int, end_inclusive: int) -> bytes:
        """The stream's bytes ``start`` to ``end_inclusive`` (as an HTTP range), across parts."""
        return b"".join(self.iter_range(start, end_inclusive))

    def iter_range(
        self, start: int, end_inclusive: int, *, chunk_size: int = _CHUNK
    ) -> Iterator[bytes]:
        """The stream's bytes ``start`` to ``end_inclusive`` in chunks of at most ``chunk_size``.

        :raises ValueError: the range is empty or reaches outside the stream.
        """
        self._check_offset(start)
        self._check_offset(end_inclusive)
        if end_inclusive < start:
            raise ValueError(f"range {start}-{end_inclusive} is empty: its end precedes its start")
        return self._iter_range(self._manifest.parts, start, end_inclusive, chunk_size)

    def follow(
        self,
        start_line: int = 0,
        *,
        poll_interval: float = 0.1,
        stop: Callable[[], bool] | None = None,
        timeout: float | None = None,
    ) -> Iterator[StreamLine]:
        """The lines from ``start_line`` on, as the writer commits them.

        When the committed lines are exhausted the manifest is re-read every ``poll_interval``
        seconds. Iteration ends when the stream is complete and every line was yielded, or when
        ``stop()`` returns true and no new lines were committed (a canceled or failed task).
        To resume, pass the last line seen plus one.

        :raises ValueError: ``start_line`` is negative, or past the end of a complete stream.
        :raises TimeoutError: no new line was committed for ``timeout`` seconds.
        """
        if start_line < 0:
            raise ValueError(f"line {start_line} is out of range: lines are counted from 0")
        return self._follow(start_line, poll_interval, stop, timeout)

    def verify(self) -> list[str]:
        """Recompute every part's size, sha256, line count and index; return the problems
        found (an empty list when the stream matches its manifest).
        """
        return verify_stream(self.storage, self._manifest)

    # -- internals -----------------------------------------------------------------------------

    def _check_line(self, line: int) -> None:
        check_line(line, self.total_lines)

    def _check_offset(self, offset: int) -> None:
        check_offset(offset, self.total_size)

    def _iter_from_line(self, parts: tuple[PartInfo, ...], line: int) -> Iterator[StreamLine]:
        if not parts:
            return iter(())
        position = bisect.bisect_right(self._line_starts, line) - 1
        part = parts[position]
        index = self.storage.path_of(part.index_file)
        try:
            self.storage.contain(part.index_file)
            relative = line_offset(self.storage, part.index_file, line - part.lines.start)
        except (OSError, ValueError) as exc:
            raise StreamCorrupted(index, f"cannot be read: {exc}") from None
        return self._iter_parts(parts, position, relative, line)

    def _iter_from_offset(self, parts: tuple[PartInfo, ...], offset: int) -> Iterator[StreamLine]:
        if not parts:
            return iter(())
        position = bisect.bisect_right(self._offset_starts, offset) - 1
        part = parts[position]
        relative = offset - part.offsets.start
        index = self.storage.path_of(part.index_file)
        try:
            self.storage.contain(part.index_file)
            line, _ = find_line(self.storage, part.index_file, relative)
        except (OSError, ValueError, IndexError) as exc:
            raise StreamCorrupted(index, f"cannot be read: {exc}") from None
        return self._iter_parts(parts, position, relative, part.lines.start + line)

    def _iter_parts(
        self, parts: tuple[PartInfo, ...], position: int, relative: int, line: int
    ) -> Iterator[StreamLine]:
        """Lines from byte ``relative`` of ``parts[position]`` (the line numbered ``line``) on."""
        for part in parts[position:]:
            path = self.storage.path_of(part.file)
            chunks = _read_part(self.storage, part, relative, part.size - relative, _CHUNK)
            yield from split_lines(chunks, part.offsets.start + relative, line, source=path)
            line = part.lines.end + 1
            relative = 0

    def _iter_range(
        self, parts: tuple[PartInfo, ...], start: int, end_inclusive: int, chunk_size: int
    ) -> Iterator[bytes]:
        position = bisect.bisect_right(self._offset_starts, start) - 1
        for part in parts[position:]:
            if part.offsets.start > end_inclusive:
                return
            first = max(start, part.offsets.start) - part.offsets.start
            remaining = min(end_inclusive, part.offsets.end) - part.offsets.start - first + 1
            yield from _read_part(self.storage, part, first, remaining, chunk_size)

    def _follow(
        self,
        next_line: int,
        poll_interval: float,
        stop: Callable[[], bool] | None,
        timeout: float | None,
    ) -> Iterator[StreamLine]:
        last_progress = time.monotonic()
        while True:
            manifest = self._manifest
            if next_line < manifest.total_lines:
                for item in self._iter_from_line(manifest.parts, next_line):
                    yield item
                    next_line = item.line + 1
                last_progress = time.monotonic()
                continue
            if manifest.complete:
                if next_line > manifest.total_lines:
                    raise ValueError(
                        f"line {next_line} is out of range: "
                        f"{_describe(manifest.total_lines, 'line')}"
                    )
                return
            if stop is not None and stop():
                # The writer may have committed its last lines just before stopping.
                self.refresh()
                if self._manifest.total_lines <= next_line:
                    return
                continue
            if timeout is not None and time.monotonic() - last_progress >= timeout:
                raise TimeoutError(
                    f"no new line in {self.storage.location} for {timeout} s "
                    f"({manifest.total_lines} lines committed)"
                )
            time.sleep(poll_interval)
            self.refresh()


def check_line(line: int, total_lines: int) -> None:
    """:raises ValueError: ``line`` is not one of a stream of ``total_lines`` lines."""
    if not 0 <= line < total_lines:
        raise ValueError(f"line {line} is out of range: {_describe(total_lines, 'line')}")


def check_offset(offset: int, total_size: int) -> None:
    """:raises ValueError: ``offset`` is not a byte of a stream of ``total_size`` bytes."""
    if not 0 <= offset < total_size:
        raise ValueError(f"offset {offset} is out of range: {_describe(total_size, 'byte')}")


def split_lines(
    chunks: Iterable[bytes], offset: int, line: int, *, source: str
) -> Iterator[StreamLine]:
    """The lines in ``chunks`` (bytes of a stream from byte ``offset``, which lies in the line
    numbered ``line``), each with its offset and number. Local parts and HTTP downloads share it.

    :raises StreamCorrupted: the bytes do not end with a newline (``source`` names where from).
    """
    tail = b""
    for chunk in chunks:
        pieces = (tail + chunk if tail else chunk).split(b"\n")
        tail = pieces.pop()
        for data in pieces:
            yield _new_tuple(StreamLine, (offset, line, data))
            offset += len(data) + 1
            line += 1
    if tail:
        raise StreamCorrupted(source, "does not end with a newline")


def _read_part(
    storage: StreamStorage, part: PartInfo, start: int, length: int, chunk_size: int
) -> Iterator[bytes]:
    """``length`` bytes of ``part`` from ``start``, once the part was checked (``open_part``)."""
    with open_part(storage, part) as f:
        f.seek(start)
        while length > 0:
            chunk = f.read(min(chunk_size, length))
            if not chunk:
                path = storage.path_of(part.file)
                raise StreamCorrupted(path, f"is shorter than its {part.size} bytes")
            length -= len(chunk)
            yield chunk


def _describe(total: int, unit: str) -> str:
    if total == 0:
        return "the stream is empty"
    return f"the stream has {total} {unit}s (0-{total - 1})"
