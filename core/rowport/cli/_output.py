"""Writing stream lines to a file or stdout, and the small formats the commands print."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import BinaryIO

import click

from rowport._exit_codes import BROKEN_PIPE
from rowport.cli._files import OutputFile
from rowport.streams import StreamLine
from rowport.tasks import Converter, JsonConverterOutput

__all__ = [
    "BROKEN_PIPE",
    "RawLines",
    "format_bytes",
    "format_seconds",
    "format_ts",
    "open_stdout",
    "plural",
    "seconds_between",
    "write_lines",
]


class RawLines(Converter):
    """A converter yielding each line's bytes as stored (no decoding), for copying streams."""

    def convert(
        self, lines: Iterator[StreamLine], *, total_size: int, total_lines: int
    ) -> Iterator[bytes]:
        for line in lines:
            yield line.data


@contextlib.contextmanager
def open_stdout() -> Iterator[BinaryIO]:
    """Binary stdout; a reader that goes away (``rowport tasks stream ID | head``) ends the
    command quietly with exit code 141."""
    sys.stdout.flush()  # keep order with text already echoed
    stdout = sys.stdout.buffer
    try:
        yield stdout
        stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        raise click.exceptions.Exit(BROKEN_PIPE) from None


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _copy(lines: Iterable[bytes | JsonConverterOutput], out: BinaryIO) -> int:
    count = 0
    write = out.write
    for line in lines:
        write(line if isinstance(line, bytes) else line.json_str.encode("utf-8"))
        write(b"\n")
        count += 1
    return count


def write_lines(lines: Iterable[bytes | JsonConverterOutput], target: OutputFile | None) -> int:
    """Write each line (and a newline) to ``target`` or stdout; returns the lines written.

    A file is renamed into place only once every line is written: on any failure (or Ctrl-C)
    its temporary file is removed and the exception goes on.
    """
    if target is None:
        with open_stdout() as out:
            return _copy(lines, out)
    try:
        count = _copy(lines, target.file)
        target.commit()
    except BaseException:
        target.discard()
        raise
    return count


def plural(count: int, noun: str) -> str:
    """``"1 row"``, ``"2 rows"``, ``"1,024 rows"``."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def format_bytes(size: int | None) -> str:
    """``"0 B"``, ``"980 B"``, ``"12.3 KiB"``, ``"4.0 MiB"``."""
    value = float(size or 0)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_seconds(seconds: float) -> str:
    """``"0.42 s"``, ``"12.3 s"``, ``"4 min 05 s"``."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def format_ts(value: str) -> str:
    """A stored timestamp (``2024-01-02T03:04:05.678+00:00``) as ``2024-01-02 03:04:05``."""
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return value


def seconds_between(start: str, end: str) -> float:
    """Seconds from one stored timestamp to another (0 when either cannot be read)."""
    try:
        return max(
            0.0, (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
        )
    except ValueError:
        return 0.0
