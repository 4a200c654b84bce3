"""The manifest of a stream: which parts are committed, and where each starts and ends."""

from __future__ import annotations

import os
from typing import Any

import attrs
import orjson

from rowport.errors import InvalidInput, StreamCorrupted
from rowport.streams._storage import StreamPlace, fsync_directory, open_storage

__all__ = [
    "MANIFEST_NAME",
    "MANIFEST_VERSION",
    "PartInfo",
    "Span",
    "StreamManifest",
    "fsync_directory",
    "index_file_name",
    "is_plain_name",
    "part_file_name",
    "read_manifest",
    "write_manifest",
]

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


def part_file_name(index: int) -> str:
    """The name of part ``index``'s data file, e.g. ``part-000003.ndjson``."""
    return f"part-{index:06d}.ndjson"


def index_file_name(index: int) -> str:
    """The name of part ``index``'s line index, e.g. ``part-000003.idx``."""
    return f"part-{index:06d}.idx"


@attrs.frozen(kw_only=True)
class Span:
    """A range of bytes or lines with an INCLUSIVE end (as in the reference's chunk headers)."""

    start: int
    end: int

    def to_dict(self) -> dict[str, int]:
        """The JSON form ``{"start": s, "end": e}``."""
        return {"start": self.start, "end": self.end}


@attrs.frozen(kw_only=True)
class PartInfo:
    """One committed part: its files, its place in the stream and its checksum."""

    index: int
    file: str
    index_file: str
    offsets: Span
    lines: Span
    sha256: str
    size: int
    line_count: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored in ``manifest.json``."""
        return {
            "index": self.index,
            "file": self.file,
            "index_file": self.index_file,
            "offsets": self.offsets.to_dict(),
            "lines": self.lines.to_dict(),
            "sha256": self.sha256,
            "size": self.size,
            "line_count": self.line_count,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PartInfo:
        """Build a part from its JSON form; raise :class:`InvalidInput` naming a bad key."""
        try:
            return cls(
                index=_int(data["index"]),
                file=_str(data["file"]),
                index_file=_str(data["index_file"]),
                offsets=Span(
                    start=_int(data["offsets"]["start"]), end=_int(data["offsets"]["end"])
                ),
                lines=Span(start=_int(data["lines"]["start"]), end=_int(data["lines"]["end"])),
                sha256=_str(data["sha256"]),
                size=_int(data["size"]),
                line_count=_int(data["line_count"]),
            )
        except KeyError as exc:
            raise InvalidInput(f"manifest part is missing the key {exc.args[0]!r}") from None
        except TypeError as exc:
            raise InvalidInput(f"manifest part is malformed: {exc}") from None


@attrs.frozen(kw_only=True)
class StreamManifest:
    """The committed state of a stream. Parts are contiguous and in order."""

    version: int = MANIFEST_VERSION
    complete: bool = False
    total_size: int = 0
    total_lines: int = 0
    parts: tuple[PartInfo, ...] = ()

    @classmethod
    def empty(cls) -> StreamManifest:
        """A stream with nothing committed yet."""
        return cls()

    def with_part(self, part: PartInfo) -> StreamManifest:
        """This manifest with ``part`` appended and the totals grown by it."""
        return attrs.evolve(
            self,
            parts=(*self.parts, part),
            total_size=self.total_size + part.size,
            total_lines=self.total_lines + part.line_count,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored in ``manifest.json``."""
        return {
            "version": self.version,
            "complete": self.complete,
            "total_size": self.total_size,
            "total_lines": self.total_lines,
            "parts": [part.to_dict() for part in self.parts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StreamManifest:
        """Build a manifest from its JSON form; raise :class:`InvalidInput` naming a bad key."""
        try:
            version = _int(data["version"])
            if version != MANIFEST_VERSION:
                raise InvalidInput(f"unsupported manifest version {version} (expected 1)")
            complete = data["complete"]
            if not isinstance(complete, bool):
                raise TypeError(f"complete must be a bool, not {complete!r}")
            return cls(
                version=version,
                complete=complete,
                total_size=_int(data["total_size"]),
                total_lines=_int(data["total_lines"]),
                parts=tuple(PartInfo.from_dict(part) for part in data["parts"]),
            )
        except KeyError as exc:
            raise InvalidInput(f"manifest is missing the key {exc.args[0]!r}") from None
        except TypeError as exc:
            raise InvalidInput(f"manifest is malformed: {exc}") from None


def _int(value: object) -> int:
    if type(value) is not int:
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def read_manifest(directory: StreamPlace, *, required: bool = False) -> StreamManifest:
    """The manifest in ``directory`` (a path, an ``s3://`` URL or a storage); a missing folder
    or manifest is an empty stream, unless ``required`` (a finished task's must have one).

    :raises StreamCorrupted: the folder is a file, the manifest is missing (``required``), not
        readable, not a manifest, or names a part file outside the stream folder.
    """
    storage = open_storage(directory)
    path = storage.path_of(MANIFEST_NAME)
    try:
        raw = storage.read(MANIFEST_NAME)
    except FileNotFoundError:
        if not required:
            return StreamManifest.empty()
        if not storage.exists():
            raise StreamCorrupted(storage.location, "the stream folder is missing") from None
        raise StreamCorrupted(path, "missing: the stream lists no parts") from None
    except NotADirectoryError:
        raise StreamCorrupted(storage.location, "is not a folder (a stream is a folder)") from None
    except OSError as exc:
        raise StreamCorrupted(path, f"cannot be read: {exc.strerror or exc}") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StreamCorrupted(path, f"is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise StreamCorrupted(path, "must hold a JSON object")
    try:
        manifest = StreamManifest.from_dict(data)
    except InvalidInput as exc:
        raise StreamCorrupted(path, str(exc)) from None
    for part in manifest.parts:
        for name in (part.file, part.index_file):
            if not is_plain_name(name):
                raise StreamCorrupted(
                    path,
                    f"part {part.index} names the file {name!r}: a part file must be a name"
                    " inside the stream folder",
                )
    return manifest


def is_plain_name(name: str) -> bool:
    """Whether ``name`` is a file name in its folder (no folder part, not ``.`` or ``..``)."""
    return (
        name not in ("", ".", "..")
        and os.path.basename(name) == name
        and not any(c in name for c in "\\\0")
    )


def write_manifest(
    directory: StreamPlace,
    manifest: StreamManifest,
    *,
    durable: bool = True,
    sync: bool = True,
) -> None:
    """Replace ``directory``'s manifest atomically (locally: temp file, rename; on object
    storage: one PUT) and, when ``durable``, durably (the file and the directory fsynced;
    without ``sync`` the caller syncs the folder later, and a crash before may bring back the
    previous manifest). A manifest a crash may lose without harm (an empty stream's: a missing
    manifest reads as one) needs no fsync."""
    storage = open_storage(directory)
    storage.put(MANIFEST_NAME, orjson.dumps(manifest.to_dict()) + b"\n", durable=durable)
    if durable and sync:
        storage.sync()
