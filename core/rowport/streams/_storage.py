"""Where a stream's files live: a local folder (the default) or a prefix on object storage.

A :class:`StreamStorage` is one stream's folder. The writer, the reader, ``verify``, ``rewind``
and the server go through it, so the same manifest, parts and line indexes work on both:

- :class:`LocalStorage`: a directory; parts and their indexes are written under their own
  names and fsynced (no rename: unlisted until the manifest names them), the manifest under a
  temp name, fsynced and renamed.
- :class:`ObjectStorage`: an ``s3://bucket/prefix`` through fsspec and s3fs; each part, index and
  manifest is one PUT, which S3 makes visible whole or not at all, and reads are ranged GETs.

A *place* (:data:`StreamPlace`) is what the stream APIs take: a :class:`~pathlib.Path`, a path
string, an ``s3://`` URL or a storage; :func:`open_storage` turns one into a storage.
"""

from __future__ import annotations

import errno
import io
import mmap
import os
import shutil
import threading
from collections.abc import Hashable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast, runtime_checkable

import attrs

from rowport.errors import InvalidInput, StreamCorrupted

__all__ = [
    "ENDPOINT_VARIABLES",
    "STORAGE_URL_VARIABLE",
    "LocalStorage",
    "ObjectStorage",
    "PartSink",
    "StreamPlace",
    "StreamStorage",
    "is_object_url",
    "join_place",
    "open_storage",
    "storage_root",
]

#: the variable naming where streams are stored (an ``s3://bucket/prefix``; unset: the home)
STORAGE_URL_VARIABLE = "ROWPORT_STORAGE_URL"
#: the variables naming the S3 endpoint, first set wins (unset: AWS's own endpoint)
ENDPOINT_VARIABLES = ("ROWPORT_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
OBJECT_SCHEMES = ("s3",)
#: the largest part written to object storage: a part at most this big is one presigned GET
#: of the SDK (see ``rowport.server.graphql._files``)
OBJECT_PART_LIMIT = 8 << 20
_BUFFER_SIZE = 1 << 20


class PartSink(Protocol):
    """A part (or index) being written: invisible to readers until :meth:`seal` returns (and
    locally until the manifest lists it: the file has its final name from the start)."""

    def write(self, data: bytes) -> None:
        """Append ``data``."""

    def seal(self) -> None:
        """Make the bytes durable under the final name, whole."""

    def discard(self) -> None:
        """Drop what was written (never raises for the part's own data)."""


@runtime_checkable
class StreamStorage(Protocol):
    """One stream's folder. Names are plain file names (``manifest.json``, ``part-000000.idx``).

    Missing files raise :class:`FileNotFoundError`; a name that resolves outside the folder
    raises :class:`~rowport.errors.StreamCorrupted`.
    """

    @property
    def location(self) -> str:
        """The folder's path or URL, for messages and ``file://``/``s3://`` links."""

    @property
    def part_limit(self) -> int | None:
        """The largest part the writer should make here (None: no limit of its own)."""

    def path_of(self, name: str) -> str:
        """The path or URL of ``name`` (for messages)."""

    def child(self, name: str) -> StreamStorage:
        """The sub-folder ``name`` (a task's folder holds its two streams)."""

    def contain(self, name: str) -> None:
        """Raise :class:`~rowport.errors.StreamCorrupted` when ``name`` resolves outside the
        folder (a local link out of it; object names are plain, see ``is_plain_name``)."""

    def prepare(self) -> None:
        """Create the folder if missing (a no-op on object storage)."""

    def exists(self) -> bool:
        """Whether the folder exists (on object storage: holds an object)."""

    def read(self, name: str) -> bytes:
        """All of ``name``."""

    def read_range(self, name: str, start: int, length: int) -> bytes:
        """``length`` bytes of ``name`` from ``start`` (fewer at its end): one ranged read."""

    def size(self, name: str) -> int:
        """The size of ``name`` in bytes."""

    def stamp(self, name: str) -> Hashable | None:
        """A value that changes whenever ``name`` is replaced; None when it is missing."""

    def open_read(self, name: str, *, buffering: int = 0) -> tuple[BinaryIO, int, Hashable]:
        """``name`` opened for reading, with its size and identity (size and version)."""

    def identity(self, name: str) -> Hashable:
        """The identity :meth:`open_read` gives for ``name`` as it is now."""

    def mapped(self, name: str) -> AbstractContextManager[Any]:
        """A buffer holding all of ``name`` (memory-mapped where it is local)."""

    def create(self, name: str) -> PartSink:
        """A sink that writes ``name`` whole when sealed."""

    def put(self, name: str, data: bytes, *, durable: bool = True) -> None:
        """Replace ``name`` with ``data`` atomically (readers see the old or the new bytes)."""

    def names(self) -> list[str]:
        """The names in the folder (empty when it is missing)."""

    def delete(self, name: str) -> None:
        """Delete ``name`` (a missing one is fine)."""

    def take(self, source: StreamStorage, name: str, as_name: str) -> None:
        """Make ``source``'s file ``name`` this folder's ``as_name``, whole: a rename on one
        disk, a server-side copy on one object store (its bytes never pass through this
        process), else a copy. ``source``'s file may be gone after (a rename)."""

    def remove(self) -> None:
        """Delete the folder and everything under it (a missing one is fine)."""

    def sync(self) -> None:
        """Make renames in the folder durable (a no-op on object storage)."""

    def presign(self, name: str, expires: int) -> str | None:
        """A URL anyone may GET ``name`` from for ``expires`` seconds; None for local files."""


StreamPlace = Path | str | StreamStorage


def is_object_url(value: object) -> bool:
    """Whether ``value`` is an object storage URL (``s3://...``)."""
    return (
        isinstance(value, str) and value.partition("://")[0] in OBJECT_SCHEMES and ("://" in value)
    )


def open_storage(place: StreamPlace) -> StreamStorage:
    """The storage of ``place``: itself, an :class:`ObjectStorage` for an ``s3://`` URL, else a
    :class:`LocalStorage` of the path.

    :raises InvalidInput: a URL of another scheme (``gs://``...).
    """
    if isinstance(place, (LocalStorage, ObjectStorage)):
        return place
    if isinstance(place, Path):
        return LocalStorage(place)
    if isinstance(place, str):
        scheme, sep, _ = place.partition("://")
        if not sep:
            return LocalStorage(Path(place))
        if scheme not in OBJECT_SCHEMES:
            raise InvalidInput(
                f"storage URL {place!r} has the scheme {scheme!r}: streams are stored under a"
                " local path or an s3://bucket/prefix URL"
            )
        return ObjectStorage.from_url(place)
    if isinstance(place, StreamStorage):
        return place
    raise TypeError(f"a stream's place is a path, an s3:// URL or a StreamStorage, not {place!r}")


def storage_root(default: Path) -> StreamPlace:
    """Where streams go: ``$ROWPORT_STORAGE_URL`` when set (an ``s3://bucket/prefix`` or a
    folder), else ``default``."""
    url = os.environ.get(STORAGE_URL_VARIABLE, "").strip()
    if not url:
        return default
    if "://" in url:
        open_storage(url)  # a bad scheme or a bucketless URL fails here, naming the variable
        return url
    return Path(url)


def join_place(place: StreamPlace, *names: str) -> StreamPlace:
    """``place`` / ``names``: a path, a URL or a storage, as ``place`` is."""
    if isinstance(place, Path):
        return place.joinpath(*names)
    if isinstance(place, str):
        if is_object_url(place):
            return "/".join([place.rstrip("/"), *names])
        return Path(place).joinpath(*names)
    for name in names:
        place = place.child(name)
    return place


@attrs.frozen
class LocalStorage:
    """A stream folder on a local disk."""

    directory: Path = attrs.field(converter=Path)
    part_limit: int | None = None

    @property
    def location(self) -> str:
        """The folder's path."""
        return str(self.directory)

    def path_of(self, name: str) -> str:
        """The path of ``name``."""
        return str(self.directory / name)

    def child(self, name: str) -> LocalStorage:
        """The sub-folder ``name``."""
        return LocalStorage(self.directory / name)

    def checked(self, name: str) -> Path:
        """``directory / name``, which must resolve inside the folder (no link out of it).

        :raises StreamCorrupted: it resolves elsewhere.
        """
        path = self.directory / name
        if path.resolve().parent != self.directory.resolve():
            raise StreamCorrupted(path, "resolves outside its stream folder")
        return path

    def contain(self, name: str) -> None:
        """Raise :class:`StreamCorrupted` when ``name`` resolves outside the folder."""
        self.checked(name)

    def prepare(self) -> None:
        """Create the folder (and its parents) if missing."""
        self.directory.mkdir(parents=True, exist_ok=True)

    def exists(self) -> bool:
        """Whether the folder (or a link by its name) exists."""
        return os.path.lexists(self.directory)

    def read(self, name: str) -> bytes:
        """All of ``name``."""
        return (self.directory / name).read_bytes()

    def read_range(self, name: str, start: int, length: int) -> bytes:
        """``length`` bytes of ``name`` from ``start``: one ``pread``."""
        with open(self.directory / name, "rb", buffering=0) as f:
            return os.pread(f.fileno(), length, start)

    def size(self, name: str) -> int:
        """The size of ``name`` (checked to lie inside the folder)."""
        return self.checked(name).stat().st_size

    def stamp(self, name: str) -> Hashable | None:
        """Inode, size, mtime and ctime of ``name``; None when it is missing."""
        try:
            st = os.stat(self.directory / name)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def open_read(self, name: str, *, buffering: int = 0) -> tuple[BinaryIO, int, Hashable]:
        """``name`` opened, with its size and identity (device, inode, size, mtime, ctime:
        any write changes its ctime, which no one can set back)."""
        f: BinaryIO = open(self.checked(name), "rb", buffering=buffering)  # noqa: SIM115
        try:
            st = os.fstat(f.fileno())
        except BaseException:
            f.close()
            raise
        return f, st.st_size, _stat_identity(st)

    def identity(self, name: str) -> Hashable:
        """The identity of ``name`` as it is now."""
        return _stat_identity(os.stat(self.directory / name))

    @contextmanager
    def mapped(self, name: str) -> Iterator[Any]:
        """``name`` memory-mapped (ValueError when it is empty)."""
        with (
            open(self.directory / name, "rb") as f,
            mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm,
        ):
            yield mm

    def create(self, name: str) -> _LocalSink:
        """The file ``name`` behind a 1 MiB buffer, fsynced when sealed (no rename: a part or
        index is unlisted, so unread, until the manifest names it)."""
        return _LocalSink(self.directory / name)

    def put(self, name: str, data: bytes, *, durable: bool = True) -> None:
        """Write ``data`` to a temp file (fsynced when ``durable``) and rename it to ``name``."""
        temp = self.directory / f".{name}.tmp"
        with open(temp, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(temp, self.directory / name)

    def names(self) -> list[str]:
        """The entries of the folder."""
        try:
            return [entry.name for entry in os.scandir(self.directory)]
        except FileNotFoundError:
            return []

    def delete(self, name: str) -> None:
        """Unlink ``name`` (missing is fine)."""
        (self.directory / name).unlink(missing_ok=True)

    def take(self, source: StreamStorage, name: str, as_name: str) -> None:
        """Rename ``source``'s ``name`` to ``as_name`` when both are on this disk (its data
        was made durable when it was sealed; :meth:`sync` makes the rename durable), else
        copy it here."""
        if isinstance(source, LocalStorage):
            try:
                os.rename(source.directory / name, self.directory / as_name)
                return
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
        _copy(source, name, self, as_name)

    def remove(self) -> None:
        """Delete the folder with everything under it (missing is fine)."""
        shutil.rmtree(self.directory, ignore_errors=True)

    def sync(self) -> None:
        """fsync the folder (a no-op where folders cannot be opened)."""
        fsync_directory(self.directory)

    def presign(self, name: str, expires: int) -> str | None:
        """None: a local file has no URL of its own."""
        return None


class _LocalSink:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = open(path, "wb", buffering=_BUFFER_SIZE)  # noqa: SIM115

    def write(self, data: bytes) -> None:
        self._file.write(data)

    def seal(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()

    def discard(self) -> None:
        try:
            self._file.close()
        except OSError:
            pass  # the descriptor is closed even when the final flush fails
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass  # the directory itself is gone or unreadable: nothing is left to free


def _copy(source: StreamStorage, name: str, target: StreamStorage, as_name: str) -> None:
    """``source``'s ``name`` written whole to ``target`` as ``as_name`` (through this process)."""
    sink = target.create(as_name)
    try:
        sink.write(source.read(name))
        sink.seal()
    except BaseException:
        sink.discard()
        raise


def fsync_directory(directory: Path) -> None:
    """Make renames inside ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _stat_identity(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


_FILESYSTEMS: dict[tuple[tuple[str, str], ...], Any] = {}
_FILESYSTEMS_LOCK = threading.Lock()


def s3_options() -> dict[str, Any]:
    """The s3fs options rowport uses: the endpoint from :data:`ENDPOINT_VARIABLES` (the keys
    come from botocore's usual chain: ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a
    profile...), no listing cache (a reader must see a new manifest at once), short connect
    timeouts and three attempts, so a store that is down fails an export within seconds."""
    options: dict[str, Any] = {
        "use_listings_cache": False,
        "config_kwargs": {
            "connect_timeout": 5,
            "read_timeout": 60,
            "retries": {"max_attempts": 3, "mode": "standard"},
            "signature_version": "s3v4",
        },
    }
    for variable in ENDPOINT_VARIABLES:
        if os.environ.get(variable):
            options["endpoint_url"] = os.environ[variable]
            break
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    options["client_kwargs"] = {"region_name": region or "us-east-1"}
    return options


def _filesystem() -> Any:
    """One s3fs filesystem per process, endpoint and key (s3fs runs its own event loop thread,
    which a forked child does not inherit: it makes its own)."""
    options = s3_options()
    key = (
        ("pid", str(os.getpid())),
        ("endpoint", str(options.get("endpoint_url", ""))),
        ("key", os.environ.get("AWS_ACCESS_KEY_ID", "")),
        ("secret", os.environ.get("AWS_SECRET_ACCESS_KEY", "")),
        ("region", str(options["client_kwargs"]["region_name"])),
    )
    with _FILESYSTEMS_LOCK:
        fs = _FILESYSTEMS.get(key)
        if fs is None:
            try:
                import s3fs
            except ImportError:
                raise InvalidInput(
                    "streams on s3:// need s3fs: pip install 'rowport[s3]'"
                ) from None
            fs = _FILESYSTEMS[key] = s3fs.S3FileSystem(skip_instance_cache=True, **options)
            fs.retries = 2  # s3fs's own retries of errors botocore gave up on (default 5)
    return fs


@attrs.frozen
class ObjectStorage:
    """A stream folder on object storage: the objects under ``root`` (``bucket/prefix``)."""

    fs: Any = attrs.field(eq=False, repr=False)
    root: str
    part_limit: int | None = OBJECT_PART_LIMIT

    @classmethod
    def from_url(cls, url: str) -> ObjectStorage:
        """The storage of ``s3://bucket/prefix`` (an empty prefix is the bucket's top).

        :raises InvalidInput: no bucket is named.
        """
        rest = url.partition("://")[2].strip("/")
        if not rest:
            raise InvalidInput(f"storage URL {url!r} names no bucket: use s3://bucket/prefix")
        return cls(_filesystem(), rest)

    @property
    def location(self) -> str:
        """``s3://bucket/prefix``."""
        return f"s3://{self.root}"

    @property
    def bucket(self) -> str:
        """The bucket's name."""
        return self.root.partition("/")[0]

    def _key(self, name: str) -> str:
        return f"{self.root}/{name}"

    def path_of(self, name: str) -> str:
        """``s3://bucket/prefix/name``."""
        return f"s3://{self._key(name)}"

    def child(self, name: str) -> ObjectStorage:
        """The prefix ``name`` below this one."""
        return ObjectStorage(self.fs, self._key(name), self.part_limit)

    def contain(self, name: str) -> None:
        """Nothing: an object name is the plain name it is given."""

    def prepare(self) -> None:
        """Nothing: a prefix exists once it holds an object."""

    def exists(self) -> bool:
        """Whether an object lies under the prefix."""
        return bool(self.names())

    def read(self, name: str) -> bytes:
        """One GET of ``name``."""
        return cast(bytes, self.fs.cat_file(self._key(name)))

    def read_range(self, name: str, start: int, length: int) -> bytes:
        """One ranged GET of ``name``."""
        return cast(bytes, self.fs.cat_file(self._key(name), start=start, end=start + length))

    def size(self, name: str) -> int:
        """One HEAD of ``name``."""
        return int(self.fs.info(self._key(name))["size"])

    def stamp(self, name: str) -> Hashable | None:
        """The ETag and size of ``name`` (one HEAD); None when it is missing."""
        try:
            info = self.fs.info(self._key(name))
        except FileNotFoundError:
            return None
        return (info.get("ETag"), info["size"], info.get("LastModified"))

    def open_read(self, name: str, *, buffering: int = 0) -> tuple[BinaryIO, int, Hashable]:
        """``name`` opened for ranged reads of at least 1 MiB (the readers' chunk), with its
        size and ETag (one HEAD)."""
        f = self.fs.open(self._key(name), "rb", block_size=1 << 20, cache_type="readahead")
        details = f.details
        return cast(BinaryIO, f), int(details["size"]), self._identity(details)

    def _identity(self, details: dict[str, Any]) -> Hashable:
        return (self.location, details["name"], int(details["size"]), details.get("ETag"))

    def identity(self, name: str) -> Hashable:
        """The ETag and size of ``name`` as it is now (one HEAD)."""
        return self._identity(self.fs.info(self._key(name)))

    @contextmanager
    def mapped(self, name: str) -> Iterator[Any]:
        """``name``'s bytes (one GET)."""
        yield self.read(name)

    def create(self, name: str) -> _ObjectSink:
        """A buffer PUT as ``name`` when sealed (one PUT: visible whole or not at all)."""
        return _ObjectSink(self, name)

    def put(self, name: str, data: bytes, *, durable: bool = True) -> None:
        """One PUT of ``data`` as ``name`` (S3 replaces an object atomically)."""
        self.fs.pipe_file(self._key(name), data)

    def names(self) -> list[str]:
        """The names of the objects directly under the prefix."""
        try:
            found = self.fs.ls(self.root, detail=False, refresh=True)
        except FileNotFoundError:
            return []
        prefix = self.root + "/"
        names = [str(path)[len(prefix) :] for path in found if str(path).startswith(prefix)]
        # a store may list a folder marker (the prefix itself, or a sub-prefix): not a name
        return [name for name in names if name and "/" not in name]

    def delete(self, name: str) -> None:
        """Delete ``name`` (missing is fine)."""
        try:
            self.fs.rm_file(self._key(name))
        except FileNotFoundError:
            pass

    def take(self, source: StreamStorage, name: str, as_name: str) -> None:
        """A server-side copy (``CopyObject``) of ``source``'s ``name`` when it lies on the
        same store, else one GET and one PUT."""
        if isinstance(source, ObjectStorage) and source.fs is self.fs:
            self.fs.copy(source._key(name), self._key(as_name))
            return
        _copy(source, name, self, as_name)

    def remove(self) -> None:
        """Delete every object under the prefix (batched deletes)."""
        try:
            self.fs.rm(self.root, recursive=True)
        except FileNotFoundError:
            pass

    def sync(self) -> None:
        """Nothing: a PUT is durable when it returns."""

    def presign(self, name: str, expires: int) -> str | None:
        """A presigned GET URL of ``name`` valid for ``expires`` seconds."""
        return str(self.fs.sign(self._key(name), expiration=expires))


class _ObjectSink:
    def __init__(self, storage: ObjectStorage, name: str) -> None:
        self.storage, self.name = storage, name
        self._buffer: io.BytesIO | None = io.BytesIO()

    def write(self, data: bytes) -> None:
        assert self._buffer is not None, "the part was sealed or discarded"
        self._buffer.write(data)

    def seal(self) -> None:
        assert self._buffer is not None, "the part was sealed or discarded"
        self.storage.put(self.name, self._buffer.getvalue())
        self._buffer = None

    def discard(self) -> None:
        self._buffer = None
