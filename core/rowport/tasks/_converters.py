"""The reference SDK's stream types, converters and their outputs."""

from __future__ import annotations

import enum
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import orjson

from rowport.streams import StreamLine

__all__ = [
    "BufferedJsonConverterOutput",
    "Converter",
    "FileConverter",
    "FileConverterOutput",
    "JsonConverter",
    "JsonConverterOutput",
    "StreamType",
]


class StreamType(enum.Enum):
    """Which stream of a task to read."""

    RESULT = "RESULT"
    ERRORS = "ERRORS"


@attrs.frozen
class JsonConverterOutput:
    """One line (or, after a mid-line offset, the rest of one) as text."""

    current_offset: int
    current_line: int
    json_str: str


@attrs.frozen
class FileConverterOutput:
    """Progress of writing a stream to a file, once per chunk; ``bytes_written`` is the chunk's."""

    file_path: Path
    total_size: int
    total_lines: int
    current_offset: int
    current_line: int
    bytes_written: int


@attrs.frozen
class BufferedJsonConverterOutput:
    """One whole line, parsed."""

    json: Any


class Converter:
    """Turns stream lines into outputs; subclasses are the reference's converters."""

    def convert(
        self, lines: Iterator[StreamLine], *, total_size: int, total_lines: int
    ) -> Iterator[Any]:
        """Yield outputs for ``lines``."""
        raise NotImplementedError


class JsonConverter(Converter):
    """Yields :class:`JsonConverterOutput` per line."""

    def convert(
        self, lines: Iterator[StreamLine], *, total_size: int, total_lines: int
    ) -> Iterator[JsonConverterOutput]:
        for line in lines:
            yield JsonConverterOutput(line.offset, line.line, line.data.decode("utf-8", "replace"))


class _BufferedConverter(Converter):
    def convert(
        self, lines: Iterator[StreamLine], *, total_size: int, total_lines: int
    ) -> Iterator[BufferedJsonConverterOutput]:
        loads = orjson.loads
        for line in lines:
            yield BufferedJsonConverterOutput(loads(line.data))


class FileConverter(Converter):
    """Writes the stream (from the chosen offset or line) to ``file_path``."""

    def __init__(self, file_path: str | os.PathLike[str], *, chunk_lines: int = 10_000) -> None:
        self.file_path = Path(file_path)
        self.chunk_lines = chunk_lines

    def convert(
        self, lines: Iterator[StreamLine], *, total_size: int, total_lines: int
    ) -> Iterator[FileConverterOutput]:
        written = 0  # bytes in the current chunk
        first: StreamLine | None = None
        count = 0
        self.file_path.parent.mkdir(parents=True, exist_ok=True)
        with self.file_path.open("wb", buffering=1 << 20) as f:
            for line in lines:
                if first is None:
                    first = line
                f.write(line.data)
                f.write(b"\n")
                written += len(line.data) + 1
                count += 1
                if count == self.chunk_lines:
                    f.flush()
                    yield FileConverterOutput(
                        self.file_path, total_size, total_lines, first.offset, first.line, written
                    )
                    first, count, written = None, 0, 0
        if first is not None:
            yield FileConverterOutput(
                self.file_path, total_size, total_lines, first.offset, first.line, written
            )
