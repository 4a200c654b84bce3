"""Appending to a stream: parts (and their line indexes) are written whole (locally under their
own names and fsynced, no rename; on object storage one PUT each) and only then listed in the
manifest (replaced atomically), so a crash at any moment leaves a consistent prefix of whole
lines: a part the manifest does not list is ignored, and deleted on reopening.
"""

from __future__ import annotations

import hashlib
import time
from array import array
from collections.abc import Sequence
from itertools import accumulate
from types import TracebackType

import attrs

from rowport.errors import InvalidInput, RowportError, StreamCorrupted
from rowport.streams._index import index_bytes
from rowport.streams._manifest import (
    MANIFEST_NAME,
    PartInfo,
    Span,
    StreamManifest,
    index_file_name,
    part_file_name,
    read_manifest,
    write_manifest,
)
from rowport.streams._storage import StreamPlace, StreamStorage, open_storage
from rowport.streams._verify import remember_verified

__all__ = ["COMMIT_BYTES", "COMMIT_INTERVAL", "PartWriter", "StreamWriter"]

#: bytes pending after which :meth:`StreamWriter.maybe_commit` commits
COMMIT_BYTES = 16 * 2**20
#: seconds after a part's first line by which :meth:`StreamWriter.maybe_commit` commits it
COMMIT_INTERVAL = 2.0
_plus_one = (1).__add__


class PartWriter:
    """The part being written: a sink (locally the part's own file, unlisted until committed,
    behind a 1 MiB buffer; on object storage a buffer PUT when sealed), its line index and its
    hash."""

    def __init__(self, directory: StreamPlace, index: int) -> None:
        self.index = index
        self.storage = open_storage(directory)
        self.name = part_file_name(index)
        self.index_name = index_file_name(index)
        self.size = 0
        self.offsets: array[int] = array("Q")
        self.started = time.monotonic()
        self._sha256 = hashlib.sha256()
        self._sink = self.storage.create(self.name)

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
        self._sink.write(data)
        self._sha256.update(data)

    def seal(self, offset_start: int, line_start: int) -> PartInfo:
        """Make the part and its index durable under their final names and describe the part
        for the manifest. Locally both files are written before either is fsynced, and neither
        is renamed: no metadata change comes between their fsyncs and the manifest's (each
        would wait for a journal commit); on object storage each is one PUT, the part first."""
        index = self.storage.create(self.index_name)
        try:
            index.write(index_bytes(self.offsets))
            self._sink.seal()
            index.seal()
        except BaseException:
            index.discard()
            raise
        sha256 = self._sha256.hexdigest()
        # readers in this process need not hash it again
        remember_verified(self.storage, self.name, sha256)
        return PartInfo(
            index=self.index,
            file=self.name,
            index_file=self.index_name,
            offsets=Span(start=offset_start, end=offset_start + self.size - 1),
            lines=Span(start=line_start, end=line_start + self.line_count - 1),
            sha256=sha256,
            size=self.size,
            line_count=self.line_count,
        )

    def discard(self) -> None:
        """Drop the part: nothing of it reaches the manifest. Never raises for the part's own
        data: closing flushes the buffer, which fails on a full disk, and the file must be
        closed and removed all the same."""
        self._sink.discard()

    def remove(self) -> None:
        """Delete what :meth:`seal` may have left of a part it could not finish."""
        self._sink.discard()
        for name in (self.name, self.index_name):
            try:
                self.storage.delete(name)
            except OSError:
                pass  # the folder itself is gone or unreadable: nothing is left to free


class StreamWriter:
    """The one writer of a stream directory (one writer per directory; readers may be many).

    Lines are buffered into a pending part; :meth:`commit` makes them visible to readers.
    """

    def __init__(
        self,
        directory: StreamPlace,
        *,
        part_max_bytes: int = 64 * 2**20,
        commit_interval: float = COMMIT_INTERVAL,
        commit_bytes: int = COMMIT_BYTES,
    ) -> None:
        """Start a new stream in ``directory`` (a path, created if missing, an ``s3://`` URL or
        a :class:`~rowport.streams.StreamStorage`). :meth:`maybe_commit` commits once
        ``commit_bytes`` are pending, or ``commit_interval`` seconds after the part's first
        line. On a storage with a part limit (object storage: 8 MiB) parts stay below it.

        :raises FileExistsError: the directory already holds a manifest; use :meth:`open`.
        """
        storage = open_storage(directory)
        storage.prepare()
        if storage.stamp(MANIFEST_NAME) is not None:
            raise FileExistsError(
                f"{storage.location} already holds a stream; use StreamWriter.open() to append"
                " to it"
            )
        self._setup(
            directory,
            storage,
            StreamManifest.empty(),
            part_max_bytes,
            commit_interval,
            commit_bytes,
        )
        # no fsync: a crash that loses it leaves no manifest, which reads as this empty stream
        write_manifest(storage, self._manifest, durable=False)

    @classmethod
    def open(
        cls,
        directory: StreamPlace,
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
        storage = open_storage(directory)
        storage.prepare()
        manifest = read_manifest(storage)
        if manifest.complete:
            raise InvalidInput(
                f"{storage.location} holds a complete stream; it cannot be appended to"
            )
        for part in manifest.parts:
            try:
                size: int | None = storage.size(part.file)
            except (FileNotFoundError, IsADirectoryError):
                size = None
            if size != part.size:
                raise InvalidInput(
                    f"{storage.path_of(part.file)} is missing or does not hold {part.size} bytes"
                )
        writer = cls.__new__(cls)
        writer._setup(directory, storage, manifest, part_max_bytes, commit_interval, commit_bytes)
        return writer

    def _setup(
        self,
        directory: StreamPlace,
        storage: StreamStorage,
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
        self.storage = storage
        if storage.part_limit is not None:
            part_max_bytes = min(part_max_bytes, storage.part_limit)
        self.part_max_bytes = part_max_bytes
        self.commit_interval = commit_interval
        self.commit_bytes = commit_bytes
        self._manifest = manifest
        self._next_index = manifest.parts[-1].index + 1 if manifest.parts else 0
        self._part: PartWriter | None = None
        self._closed = False
        self._unsynced = False  # the last commit's manifest rename is not yet durable
        _remove_uncommitted(storage, manifest)

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
            part = self._part = PartWriter(self.storage, self._next_index)
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
            part.remove()
            raise
        self._next_index = part.index + 1
        self.storage.sync()  # the part's names (and the last commit's manifest), locally
        self._manifest = self._manifest.with_part(info)
        # locally the rename is made durable by the next commit's fsync of the folder, by
        # close() or by sync(): a crash before may lose this commit, never leave a listed part
        # unsynced (on object storage the PUT is durable when it returns)
        write_manifest(self.storage, self._manifest, sync=False)
        self._unsynced = True
        return info

    def adopt(self, source: StreamPlace, manifest: StreamManifest) -> list[PartInfo]:
        """Append the committed parts of another stream (``source``, described by ``manifest``:
        a shard's) after what this one holds: what is pending is committed first, then each
        part and its index are taken into this stream's storage under their next numbers, in
        order (:meth:`StreamStorage.take`: renamed on one disk, copied server-side on one
        object store; a line index holds offsets within its part, so it is taken as it is),
        and the manifest is replaced once. Returns the new parts; ``source`` may have lost
        them (a rename).

        :raises StreamCorrupted: a part of ``source`` is missing or does not have its
            manifest's size.
        """
        if self._closed:
            raise RowportError(f"the writer of {self.directory} is closed")
        self.commit()
        origin = open_storage(source)
        added: list[PartInfo] = []
        current = self._manifest
        for part in manifest.parts:
            try:
                size = origin.size(part.file)
            except FileNotFoundError:
                raise StreamCorrupted(
                    origin.path_of(part.file), "missing: the shard's manifest lists it"
                ) from None
            if size != part.size:
                raise StreamCorrupted(
                    origin.path_of(part.file),
                    f"holds {size} bytes, the shard's manifest says {part.size}",
                )
            index = self._next_index
            info = attrs.evolve(
                part,
                index=index,
                file=part_file_name(index),
                index_file=index_file_name(index),
                offsets=Span(start=current.total_size, end=current.total_size + part.size - 1),
                lines=Span(
                    start=current.total_lines, end=current.total_lines + part.line_count - 1
                ),
            )
            self.storage.take(origin, part.file, info.file)
            self.storage.take(origin, part.index_file, info.index_file)
            self._next_index = index + 1
            current = current.with_part(info)
            added.append(info)
        if added:
            self.storage.sync()
            self._manifest = current
            write_manifest(self.storage, current)
        return added

    def sync(self) -> None:
        """Make the last commit durable (its manifest's rename): before anything outside the
        stream (a task's checkpoint) names what it committed."""
        if self._unsynced:
            self.storage.sync()
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
        write_manifest(self.storage, self._manifest)
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


def _remove_uncommitted(storage: StreamStorage, manifest: StreamManifest) -> None:
    """Delete temp files and parts the manifest does not list: the leftovers of a crash."""
    listed = {name for part in manifest.parts for name in (part.file, part.index_file)}
    removed = False
    for name in storage.names():
        stale_temp = name.startswith(".") and name.endswith(".tmp")
        stray_part = name.startswith("part-") and name.endswith((".ndjson", ".idx"))
        if (stale_temp or stray_part) and name not in listed:
            storage.delete(name)
            removed = True
    if removed:
        storage.sync()
