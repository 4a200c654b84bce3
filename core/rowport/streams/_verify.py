"""Checking a stream against its manifest: checksums, sizes, line counts and line indexes."""

from __future__ import annotations

import hashlib
import tempfile
import threading
from array import array
from collections.abc import Hashable
from pathlib import Path
from typing import BinaryIO, cast

from rowport.errors import StreamCorrupted
from rowport.streams._index import read_index
from rowport.streams._manifest import PartInfo, StreamManifest
from rowport.streams._storage import LocalStorage, StreamPlace, StreamStorage, open_storage

__all__ = ["open_part", "part_path", "remember_verified", "verify_stream"]

_CHUNK = 1 << 20
_SPOOL_MAX = 16 << 20  # a downloaded part's bytes kept in memory up to this, past it on disk
# Parts whose sha256 this process computed (written or checked them), by file identity (see
# StreamStorage.identity): locally device, inode, size, mtime and ctime (any write to a file
# changes its ctime, which no one can set back); on object storage URL, size and ETag. A part
# changed since is hashed again; an unchanged one is not hashed twice.
_VERIFIED: dict[Hashable, str] = {}
_VERIFIED_MAX = 4096
_VERIFIED_LOCK = threading.Lock()


def remember_verified(storage: StreamStorage, name: str, sha256: str) -> None:
    """Record that the file ``name``, as it is now, has ``sha256`` (the writer calls this
    for each part it commits, so readers in its process need not hash it again)."""
    identity = storage.identity(name)
    with _VERIFIED_LOCK:
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[identity] = sha256


def part_path(directory: Path, name: str) -> Path:
    """``directory / name``, which must resolve inside ``directory`` (no link out of it).

    :raises StreamCorrupted: it resolves elsewhere.
    """
    return LocalStorage(directory).checked(name)


def open_part(directory: StreamPlace, part: PartInfo, *, buffering: int = 0) -> BinaryIO:
    """Part ``part`` of the stream in ``directory``, opened for reading at its start, once its
    size and sha256 were checked against the manifest: the size always (one ``fstat``, or the
    HEAD of the object), the sha256 once per process and file version (one sequential read of
    the part; a part this process wrote, or checked before and that did not change since, is
    not read again). A part on object storage whose sha256 was checked here is then read from
    the bytes that were downloaded to check it (in memory, or a temporary file past 16 MiB),
    not with more ranged GETs.

    :raises StreamCorrupted: the file is missing, outside the folder, or not the part listed.
    """
    storage = open_storage(directory)
    path = storage.path_of(part.file)
    try:
        f, size, identity = storage.open_read(part.file, buffering=buffering)
    except StreamCorrupted:
        raise
    except OSError as exc:
        raise StreamCorrupted(path, f"cannot be opened: {exc.strerror or exc}") from None
    try:
        if size != part.size:
            raise StreamCorrupted(path, f"holds {size} bytes, the manifest says {part.size}")
        if _VERIFIED.get(identity) != part.sha256:
            if isinstance(storage, LocalStorage):
                digest = hashlib.file_digest(f, "sha256").hexdigest()  # type: ignore[arg-type]
                f.seek(0)
            else:
                remote = f
                digest, f = _downloaded(remote)
                remote.close()
            if digest != part.sha256:
                raise StreamCorrupted(path, f"sha256 {digest} differs from the manifest's")
            with _VERIFIED_LOCK:
                _VERIFIED[identity] = digest
    except BaseException:
        f.close()
        raise
    return f


def _downloaded(f: BinaryIO) -> tuple[str, BinaryIO]:
    """The sha256 of an object read whole (one sequential download), and the bytes it read, at
    their start: a part checked so is served from the bytes that were checked, not from more
    ranged GETs (a second download, of an object that may have been replaced since)."""
    copy = tempfile.SpooledTemporaryFile(max_size=_SPOOL_MAX)  # noqa: SIM115 (returned open)
    try:
        sha256 = hashlib.sha256()
        while chunk := f.read(_CHUNK):
            sha256.update(chunk)
            copy.write(chunk)
        copy.seek(0)
    except BaseException:
        copy.close()
        raise
    return sha256.hexdigest(), cast(BinaryIO, copy)


def verify_stream(
    directory: StreamPlace, manifest: StreamManifest, *, index_entries: bool = True
) -> list[str]:
    """Every problem found in ``directory`` against ``manifest``; empty when the stream is sound.

    Without ``index_entries`` a part whose sha256 matches is not scanned line by line (its bytes
    are the writer's, which built the index from them): its line count is counted and its index
    only checked to hold one entry per line. A third faster; a resume checks its kept parts so.
    """
    storage = open_storage(directory)
    problems: list[str] = []
    offset = line = 0
    for part in manifest.parts:
        problems.extend(_check_layout(part, offset, line))
        if index_entries:
            problems.extend(_check_files(storage, part))
        else:
            problems.extend(_check_hash(storage, part))
        offset += part.size
        line += part.line_count
    if manifest.total_size != offset:
        problems.append(f"manifest total_size is {manifest.total_size}, its parts hold {offset}")
    if manifest.total_lines != line:
        problems.append(f"manifest total_lines is {manifest.total_lines}, its parts hold {line}")
    return problems


def _check_layout(part: PartInfo, offset: int, line: int) -> list[str]:
    """The part's ranges continue the stream and agree with its size and line count."""
    problems = []
    name = part.file
    if part.size <= 0 or part.line_count <= 0:
        problems.append(f"{name}: a part must hold at least one line")
    if (part.offsets.start, part.offsets.end) != (offset, offset + part.size - 1):
        problems.append(
            f"{name}: offsets {part.offsets.start}-{part.offsets.end} should be "
            f"{offset}-{offset + part.size - 1}"
        )
    if (part.lines.start, part.lines.end) != (line, line + part.line_count - 1):
        problems.append(
            f"{name}: lines {part.lines.start}-{part.lines.end} should be "
            f"{line}-{line + part.line_count - 1}"
        )
    return problems


def _check_hash(storage: StreamStorage, part: PartInfo) -> list[str]:
    """The part's bytes match its size and hash; its index has an entry a line. Bytes whose
    sha256 is the manifest's are the ones the writer counted, so their lines are not counted
    again (the hash runs in C without the GIL, beside the export). A part this process wrote or
    hashed, unchanged since (:func:`remember_verified`), is not read at all."""
    try:
        f, size, identity = storage.open_read(part.file)
    except StreamCorrupted as exc:
        return [f"{part.file}: {exc.problem}"]
    except OSError as exc:
        return [f"{part.file}: cannot be opened: {exc.strerror or exc}"]
    problems = []
    lines = part.line_count
    with f:
        if _VERIFIED.get(identity) != part.sha256:
            sha256 = hashlib.sha256()
            size = 0
            while chunk := f.read(_CHUNK):
                sha256.update(chunk)
                size += len(chunk)
            if sha256.hexdigest() != part.sha256:
                digest = sha256.hexdigest()
                problems.append(f"{part.file}: sha256 {digest} differs from the manifest's")
    if size != part.size:
        problems.append(f"{part.file}: holds {size} bytes, the manifest says {part.size}")
    if lines != part.line_count:
        problems.append(f"{part.file}: holds {lines} lines, the manifest says {part.line_count}")
    try:
        entries = storage.size(part.index_file) // 8
    except StreamCorrupted as exc:
        problems.append(f"{part.index_file}: {exc.problem}")
    except OSError as exc:
        problems.append(f"{part.index_file}: {exc.strerror or exc}")
    else:
        if entries != part.line_count:
            problems.append(f"{part.index_file}: has {entries} entries for {lines} lines")
    return problems


def _check_files(storage: StreamStorage, part: PartInfo) -> list[str]:
    """The part's bytes match its size and hash, and its index lists every line start."""
    name = part.file
    try:
        f, _, _ = storage.open_read(name)
    except StreamCorrupted as exc:
        return [f"{name}: {exc.problem}"]
    except FileNotFoundError:
        return [f"{name}: missing"]
    except OSError as exc:
        return [f"{name}: cannot be opened: {exc.strerror or exc}"]
    sha256 = hashlib.sha256()
    starts = array("Q", [0])
    problems: list[str] = []
    size = 0
    last_newline = -1
    with f:
        while chunk := f.read(_CHUNK):
            sha256.update(chunk)
            found = chunk.find(b"\n")
            while found != -1:
                newline = size + found
                if newline == last_newline + 1:
                    problems.append(f"{name}: blank line at byte {newline}")
                starts.append(newline + 1)
                last_newline = newline
                found = chunk.find(b"\n", found + 1)
            size += len(chunk)
    starts.pop()  # the start after the last newline is the end of the part, not a line
    if size != part.size:
        problems.append(f"{name}: holds {size} bytes, the manifest says {part.size}")
    if sha256.hexdigest() != part.sha256:
        problems.append(f"{name}: sha256 {sha256.hexdigest()} differs from the manifest's")
    if last_newline != size - 1:
        problems.append(f"{name}: does not end with a newline")
    if len(starts) != part.line_count:
        problems.append(f"{name}: holds {len(starts)} lines, the manifest says {part.line_count}")
    try:
        storage.contain(part.index_file)
        index = read_index(storage, part.index_file)
    except StreamCorrupted as exc:
        problems.append(f"{part.index_file}: {exc.problem}")
    except FileNotFoundError:
        problems.append(f"{part.index_file}: missing")
    except (OSError, ValueError) as exc:
        problems.append(f"{part.index_file}: cannot be read: {exc}")
    else:
        if index != starts:
            problems.append(f"{part.index_file}: does not list the start of every line of {name}")
    return problems
