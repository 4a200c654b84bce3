"""Taking a stream back to its first parts, to resume the export that wrote it from there."""

from __future__ import annotations

import attrs

from rowport.errors import StreamCorrupted
from rowport.streams._manifest import MANIFEST_NAME, StreamManifest, read_manifest, write_manifest
from rowport.streams._storage import StreamPlace, StreamStorage, open_storage
from rowport.streams._verify import verify_stream

__all__ = ["rewind_stream"]


def rewind_stream(directory: StreamPlace, parts: int, *, verify: bool = True) -> StreamManifest:
    """Keep the first ``parts`` parts of the stream in ``directory`` and drop the rest.

    The kept parts are checked against the manifest (size, sha256, line count, index: with
    ``verify``; without it only that each is a file of its size, and the caller checks the rest
    with :func:`verify_stream`); the manifest is rewritten to list only them, incomplete, so
    :meth:`StreamWriter.open` appends after them (and deletes the dropped part files).
    ``parts=0`` starts the stream over (a missing stream is fine then).

    :raises StreamCorrupted: the stream lists fewer parts, or a kept part does not match.
    """
    storage = open_storage(directory)
    manifest = read_manifest(storage, required=parts > 0)
    if len(manifest.parts) < parts:
        raise StreamCorrupted(
            storage.path_of(MANIFEST_NAME),
            f"lists {len(manifest.parts)} parts; the task's checkpoint names {parts}",
        )
    kept = StreamManifest.empty()
    for part in manifest.parts[:parts]:
        kept = kept.with_part(part)
    problems = verify_stream(storage, kept) if verify else _sizes(storage, kept)
    if problems:
        raise StreamCorrupted(storage.location, "; ".join(problems))
    if kept != manifest or manifest.complete:
        storage.prepare()
        write_manifest(storage, attrs.evolve(kept, complete=False))
    return kept


def _sizes(storage: StreamStorage, manifest: StreamManifest) -> list[str]:
    """The parts of ``manifest`` that are not files of their size inside ``directory``."""
    problems = []
    for part in manifest.parts:
        try:
            size = storage.size(part.file)
        except StreamCorrupted as exc:
            problems.append(f"{part.file}: {exc.problem}")
            continue
        except OSError as exc:
            problems.append(f"{part.file}: {exc.strerror or exc}")
            continue
        if size != part.size:
            problems.append(f"{part.file}: holds {size} bytes, the manifest says {part.size}")
    return problems
