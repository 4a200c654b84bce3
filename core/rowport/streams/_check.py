"""``check_storage()``: whether the configured stream storage can be used (for ``rowport doctor``).

It reaches the store, checks that the folder or bucket exists, and writes, reads back and
deletes one small probe object; each step's failure is said in words, with the fix.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import attrs

from rowport.streams._storage import (
    ENDPOINT_VARIABLES,
    STORAGE_URL_VARIABLE,
    LocalStorage,
    ObjectStorage,
    StreamPlace,
    open_storage,
    storage_root,
)

__all__ = ["StorageCheck", "check_storage"]

_PROBE = ".rowport-check-{}"


@attrs.frozen(kw_only=True)
class StorageCheck:
    """What :func:`check_storage` found. ``ok`` when reachable, present and writable."""

    #: the folder or ``s3://bucket/prefix`` checked
    location: str
    #: ``"local"`` or ``"s3"``
    kind: str
    #: the endpoint used (``None`` for a local folder or AWS's own endpoint)
    endpoint: str | None = None
    reachable: bool = False
    #: the folder (local) or the bucket (S3) exists
    bucket_exists: bool = False
    writable: bool = False
    #: what is wrong, and what to do (None when ``ok``)
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Whether streams can be stored there."""
        return self.reachable and self.bucket_exists and self.writable

    def to_dict(self) -> dict[str, object]:
        """The JSON form (for ``rowport doctor --json``)."""
        return {**attrs.asdict(self), "ok": self.ok}


def check_storage(place: StreamPlace | None = None, *, home: Path | None = None) -> StorageCheck:
    """Check where streams are stored: ``place``, else ``$ROWPORT_STORAGE_URL``, else
    ``home/tasks`` (default ``./.rowport/tasks``). Never raises for a store that is down,
    missing or read-only: the record says so."""
    if place is None:
        from rowport._home import default_home

        place = storage_root((home if home is not None else default_home()) / "tasks")
    try:
        storage = open_storage(place)
    except Exception as exc:
        return StorageCheck(
            location=str(place),
            kind="unknown",
            problem=f"{exc} (set {STORAGE_URL_VARIABLE} to a folder or s3://bucket/prefix)",
        )
    if isinstance(storage, LocalStorage):
        return _check_local(storage)
    if isinstance(storage, ObjectStorage):
        return _check_object(storage)
    return StorageCheck(location=storage.location, kind=type(storage).__name__, reachable=True)


def _check_local(storage: LocalStorage) -> StorageCheck:
    location = storage.location
    try:
        storage.prepare()
    except OSError as exc:
        return StorageCheck(
            location=location,
            kind="local",
            reachable=True,
            problem=f"cannot create the folder: {exc.strerror or exc}",
        )
    writable, problem = _probe(storage)
    return StorageCheck(
        location=location,
        kind="local",
        reachable=True,
        bucket_exists=True,
        writable=writable,
        problem=problem,
    )


def _check_object(storage: ObjectStorage) -> StorageCheck:
    endpoint = storage.fs.endpoint_url
    base = {"location": storage.location, "kind": "s3", "endpoint": endpoint}
    try:
        storage.fs.call_s3("head_bucket", Bucket=storage.bucket)
        exists = True
    except (FileNotFoundError, PermissionError):
        exists = False
    except Exception as exc:
        where = endpoint or "AWS S3"
        return StorageCheck(
            **base,
            problem=f"cannot reach {where}: {type(exc).__name__}: {exc} (is the store running?"
            f" the endpoint comes from {' or '.join(ENDPOINT_VARIABLES)})",
        )
    if not exists:
        return StorageCheck(
            **base,
            reachable=True,
            problem=f"the bucket {storage.bucket!r} does not exist (or these keys may not see"
            " it): create it first (weed mini -bucket=NAME, aws s3 mb s3://NAME)",
        )
    writable, problem = _probe(storage)
    return StorageCheck(
        **base, reachable=True, bucket_exists=True, writable=writable, problem=problem
    )


def _probe(storage: LocalStorage | ObjectStorage) -> tuple[bool, str | None]:
    """Write, read back and delete one probe object."""
    name = _PROBE.format(uuid.uuid4().hex[:12])
    data = b"rowport storage check\n"
    try:
        storage.put(name, data, durable=False)
        back = storage.read(name)
        storage.delete(name)
    except Exception as exc:
        return False, f"cannot write there: {type(exc).__name__}: {exc} (check the keys' rights)"
    if back != data:
        return False, "a probe object read back differs from what was written"
    return True, None
