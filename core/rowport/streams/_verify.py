"""Checking a stream against its manifest: checksums, sizes, line counts and line indexes."""

from __future__ import annotations

import hashlib
from array import array
from pathlib import Path

from rowport.streams._index import read_index
from rowport.streams._manifest import PartInfo, StreamManifest

__all__ = ["verify_stream"]

_CHUNK = 1 << 20


def verify_stream(directory: Path, manifest: StreamManifest) -> list[str]:
    """Every problem found in ``directory`` against ``manifest``; empty when the stream is sound."""
    problems: list[str] = []
    offset = line = 0
    for part in manifest.parts:
        problems.extend(_check_layout(part, offset, line))
        problems.extend(_check_files(directory, part))
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


def _check_files(directory: Path, part: PartInfo) -> list[str]:
    """The part's bytes match its size and hash, and its index lists every line start."""
    name = part.file
    try:
        f = open(directory / name, "rb", buffering=0)  # noqa: SIM115
    except FileNotFoundError:
        return [f"{name}: missing"]
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
        index = read_index(directory / part.index_file)
    except FileNotFoundError:
        problems.append(f"{part.index_file}: missing")
    else:
        if index != starts:
            problems.append(f"{part.index_file}: does not list the start of every line of {name}")
    return problems
