"""Append-only, crash-safe, seekable NDJSON streams: the RESULT and ERRORS of an export task.

A stream is a folder (on local disk, or a prefix on object storage: see ``_storage``) of part
files (``part-000000.ndjson``, ...), a line index beside each part (``part-000000.idx``) and a
``manifest.json`` that lists the committed parts. One
:class:`StreamWriter` appends; any number of :class:`StreamReader` objects, in any thread or
process, read the committed lines meanwhile. The format is described in ``docs/streams-format.md``.
"""

from __future__ import annotations

from rowport.streams._check import StorageCheck, check_storage
from rowport.streams._manifest import PartInfo, Span, StreamManifest
from rowport.streams._reader import StreamLine, StreamReader, manifest_required
from rowport.streams._rewind import rewind_stream
from rowport.streams._storage import (
    LocalStorage,
    ObjectStorage,
    StreamPlace,
    StreamStorage,
    open_storage,
)
from rowport.streams._verify import open_part, part_path
from rowport.streams._writer import StreamWriter

__all__ = [
    "LocalStorage",
    "ObjectStorage",
    "PartInfo",
    "Span",
    "StorageCheck",
    "StreamLine",
    "StreamManifest",
    "StreamPlace",
    "StreamReader",
    "StreamStorage",
    "StreamWriter",
    "check_storage",
    "manifest_required",
    "open_part",
    "open_storage",
    "part_path",
    "rewind_stream",
]
