"""Appending to a stream: parts (and their line indexes) are written and fsynced, and only then
listed in the manifest (replaced atomically), so a crash at any moment leaves a consistent
prefix of whole lines: a part the manifest does not list is ignored, and deleted on reopening.
"""

from __future__ import annotations

import hashlib
import os
import time
from array import array
from collections.abc import Sequence
from itertools import accumulate
from pathlib import Path
from types import TracebackType

import attrs

from rowport.errors import InvalidInput, RowportError
from rowport.streams._index import index_bytes
from rowport.streams._manifest import (
    MANIFEST_NAME,
    PartInfo,
    Span,
    StreamManifest,
    fsync_directory,
    index_file_name,
    part_file_name,
    read_manifest,
    write_manifest,
)
from rowport.streams._verify import remember_verified

__all__ = ["COMMIT_BYTES", "COMMIT_INTERVAL", "PartWriter", "StreamWriter"]

_BUFFER_SIZE = 1 << 20
#: bytes pending after which :meth:`StreamWriter.maybe_commit` commits
COMMIT_BYTES = 16 * 2**20
#: seconds after a part's first line by which :meth:`StreamWriter.maybe_commit` commits it
COMMIT_INTERVAL = 2.0
_plus_one = (1).__add__


class PartWriter:
    """The part being written, under its own name (unlisted until committed) behind a 1 MiB
    buffer, with its line index and its hash."""

    def __init__(self, directory: Path, index: int) -> None:
        self.index = index
        self.path = directory / part_file_name(index)
        self.index_path = directory / index_file_name(index)
        self.size = 0
        self.offsets: array[int] = array("Q")
        self.started = time.monotonic()
        self._sha256 = hashlib.sha256()
        self._file = open(self.path, "wb", buffering=_BUFFER_SIZE)  # noqa: SIM115

    @property
    def line_count(self) -> int:
        """Lines written to this part so far."""
        return len(self.offsets)

    def write(self, lengths: list[int], data: bytes) -> None:
        """Append ``data`` (lines of ``lengths`` bytes, each followed by a newline) and index
        each line (the running sums are computed in C: no Python loop per line).
        """
        self.offsets.extend(accumulate(map(_plus_one, lengths), initial=self.size))
        self.size = self.offsets.pop()
        self._file.write(data)
        self._sha256.update(data)

    def seal(self, offset_start: int, line_start: int) -> PartInfo:
        """Make the part and its index durable and describe the part for the manifest. Both
        files are written before either is fsynced, and neither is renamed: no metadata change
        comes between their fsyncs and the manifest's (each would wait for a journal commit)."""
        self._file.flush()
        with open(self.index_path, "wb") as index:
            index.write(index_bytes(self.offsets))
            index.flush()
            os.fsync(self._file.fileno())
            os.fsync(index.fileno())
        self._file.close()
        sha256 = self._sha256.hexdigest()
        remember_verified(self.path, sha256)  # readers in this process need not hash it again
        return PartInfo(
            index=self.index,
            file=self.path.name,
            index_file=self.index_path.name,
            offsets=Span(start=offset_start, end=offset_start + self.size - 1),
            lines=Span(start=line_start, end=line_start + self.line_count - 1),
            sha256=sha256,
            size=self.size,
            line_count=self.line_count,
        )

    def discard(self) -> None:
        """Close and delete the part's files; nothing of this part reaches the manifest. Never
        raises for the part's own data: closing flushes the buffer, which fails on a full
        disk, and the file must be closed and removed all the same."""
        try:
            self._file.close()
        except OSError:
            pass  # the descriptor is closed even when the final flush fails
        for path in (self.path, self.index_path):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass  # the directory itself is gone or unreadable: nothing is left to free


class StreamWriter:
    """The one writer of a stream directory (one writer per directory; readers may be many).

    Lines are buffered into a pending part; :meth:`commit` makes them visible to readers.
    """

    def __init__(
        self,
        directory: Path,
        *,
        part_max_bytes: int = 64 * 2**20,
        commit_interval: float = COMMIT_INTERVAL,
        commit_bytes: int = COMMIT_BYTES,
    ) -> None:
        """Start a new stream in ``directory`` (created if missing). :meth:`maybe_commit`
        commits once ``commit_bytes`` are pending, or ``commit_interval`` seconds after the
        part's first line.

        :raises FileExistsError: the directory already holds a manifest; use :meth:`open`.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if (directory / MANIFEST_NAME).exists():
            raise FileExistsError(
                f"{directory} already holds a stream; use StreamWriter.open() to append to it"
            )
        self._setup(
            directory, StreamManifest.empty(), part_max_bytes, commit_interval, commit_bytes
        )
        # no fsync: a crash that loses it leaves no manifest, which reads as this empty stream
        write_manifest(directory, self._manifest, durable=False)

    @classmethod
    def open(
        cls,
        directory: Path,
        *,
        part_max_bytes: int = 64 * 2**20,
        commit_interval: float = COMMIT_INTERVAL,
        commit_bytes: int = COMMIT_BYTES,
    ) -> StreamWriter:
        """Reopen a stream to append after its last committed part (to resume an export).

        Temp files and parts that the manifest does not list (left by a crash) are deleted.
        A missing directory or manifest is an empty stream.

        :raises InvalidInput: the stream is complete, or a listed part is missing or truncated.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        manifest = read_manifest(directory)
        if manifest.complete:
            raise InvalidInput(f"{directory} holds a complete stream; it cannot be appended to")
        for part in manifest.parts:
            path = directory / part.file
            if not path.is_file() or path.stat().st_size != part.size:
                raise InvalidInput(f"{path} is missing or does not hold {part.size} bytes")
        writer = cls.__new__(cls)
        writer._setup(directory, manifest, part_max_bytes, commit_interval, commit_bytes)
        return writer

    def _setup(
        self,
        directory: Path,
        manifest: StreamManifest,
        part_max_bytes: int,
        commit_interval: float,
        commit_bytes: int,
    ) -> None:
        if commit_bytes <= 0:
            raise InvalidInput(f"commit_bytes must be positive, got {commit_bytes}")
        if part_max_bytes <= 0:
            raise InvalidInput(f"part_max_bytes must be positive, got {part_max_bytes}")
        if commit_interval < 0:
            raise InvalidInput(f"commit_interval must not be negative, got {commit_interval}")
        self.directory = directory
        self.part_max_bytes = part_max_bytes
        self.commit_interval = commit_interval
        self.commit_bytes = commit_bytes
        self._manifest = manifest
        self._next_index = manifest.parts[-1].index + 1 if manifest.parts else 0
        self._part: PartWriter | None = None
        self._closed = False
        self._unsynced = False  # the last commit's manifest rename is not yet durable
        _remove_uncommitted(directory, manifest)

    # -- state ---------------------------------------------------------------------------------

    @property
    def manifest(self) -> StreamManifest:
        """The manifest as last written (committed parts only)."""
        return self._manifest

    @property
    def total_lines(self) -> int:
        """Lines written, committed or pending."""
        pending = self._part.line_count if self._part is not None else 0
        return self._manifest.total_lines + pending

    @property
    def total_size(self) -> int:
        """Bytes written, committed or pending."""
        pending = self._part.size if self._part is not None else 0
        return self._manifest.total_size + pending

    @property
    def committed_lines(self) -> int:
        """Lines that readers can see."""
        return self._manifest.total_lines

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` or :meth:`abort` was called."""
        return self._closed

    # -- writing -------------------------------------------------------------------------------

    def write_lines(self, lines: Sequence[bytes]) -> None:
        """Append ``lines``, each one JSON document without its trailing newline.

        Nothing is visible to readers until the next commit. If the pending part would grow past
        ``part_max_bytes``, it is committed first (checked per call, so one call's lines share a
        part even when they alone exceed the limit).

        :raises ValueError: a line is empty or contains a newline (nothing is written then).
        """
        if self._closed:
            raise RowportError(f"the writer of {self.directory} is closed")
        if not lines:
            return
        lengths = [len(line) for line in lines]
        # bytes.find uses memchr: several times faster here than `b"\n" in line` or bytes.count.
        if 0 in lengths or any([line.find(b"\n") + 1 for line in lines]):
            raise InvalidInput(_describe_bad_line(lines))
        data = b"\n".join([*lines, b""])
        part = self._part
        if part is not None and part.size + len(data) > self.part_max_bytes:
            self.commit()
            part = None
        if part is None:
            part = self._part = PartWriter(self.directory, self._next_index)
        part.write(lengths, data)

    def commit(self) -> PartInfo | None:
        """Make the pending lines durable and visible: seal the part, then replace the manifest.

        :returns: the new part, or ``None`` when nothing was pending.
        """
        part = self._part
        if part is None:
            return None
        self._part = None
        try:
            info = part.seal(self._manifest.total_size, self._manifest.total_lines)
        except BaseException:
            # a part that cannot be sealed (a full disk) holds no descriptor and no space
            part.discard()
            raise
        self._next_index = part.index + 1
        fsync_directory(self.directory)  # the part's names (and the last commit's manifest)
        self._manifest = self._manifest.with_part(info)
        # the rename is made durable by the next commit's fsync of the folder, by close() or
        # by sync(): a crash before may lose this commit, never leave a listed part unsynced
        write_manifest(self.directory, self._manifest, sync_directory=False)
        self._unsynced = True
        return info

    def sync(self) -> None:
        """Make the last commit durable (its manifest's rename): before anything outside the
        stream (a task's checkpoint) names what it committed."""
        if self._unsynced:
            fsync_directory(self.directory)
            self._unsynced = False

    def maybe_commit(self) -> PartInfo | None:
        """Commit if the pending part holds ``commit_bytes`` (or ``part_max_bytes``) or is
        older than ``commit_interval`` seconds: call it after every batch. A commit costs a
        few fsyncs whatever its size, so a fast export commits by size (few, large parts) and
        a slow one by age (followers still see its rows within the interval).
        """
        part = self._part
        if part is None:
            return None
        if (
            part.size >= min(self.commit_bytes, self.part_max_bytes)
            or time.monotonic() - part.started >= self.commit_interval
        ):
            return self.commit()
        return None

    def close(self) -> StreamManifest:
        """Commit what is pending and mark the stream complete; idempotent."""
        if self._closed:
            return self._manifest
        self.commit()
        self._manifest = attrs.evolve(self._manifest, complete=True)
        write_manifest(self.directory, self._manifest)
        self._unsynced = False
        self._closed = True
        return self._manifest

    def abort(self) -> None:
        """Drop the pending lines and stop; the stream stays at its last commit, incomplete,
        so it can be resumed with :meth:`open`. Idempotent.
        """
        if self._part is not None:
            self._part.discard()
            self._part = None
        self._closed = True

    def __enter__(self) -> StreamWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close on success; on an exception, :meth:`abort` (the stream stays incomplete)."""
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _describe_bad_line(lines: Sequence[bytes]) -> str:
    for position, line in enumerate(lines):
        if not line:
            return f"line {position} of the batch is empty; NDJSON has no blank lines"
        if b"\n" in line:
            return f"line {position} of the batch contains a newline: {line[:80]!r}"
    return "a line of the batch is empty or contains a newline"  # pragma: no cover


def _remove_uncommitted(directory: Path, manifest: StreamManifest) -> None:
    """Delete temp files and parts the manifest does not list: the leftovers of a crash."""
    listed = {name for part in manifest.parts for name in (part.file, part.index_file)}
    removed = False
    for entry in os.scandir(directory):
        name = entry.name
        stale_temp = name.startswith(".") and name.endswith(".tmp")
        stray_part = name.startswith("part-") and name.endswith((".ndjson", ".idx"))
        if (stale_temp or stray_part) and name not in listed:
            os.unlink(entry.path)
            removed = True
    if removed:
        fsync_directory(directory)
