"""Writing stream lines to a file or stdout, and the small formats the commands print."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import click

from rowport.tasks import JsonConverterOutput

__all__ = [
    "format_bytes",
    "format_seconds",
    "format_ts",
    "open_sink",
    "plural",
    "seconds_between",
    "write_outputs",
]

_BUFFER = 1 << 20


@contextlib.contextmanager
def open_sink(path: Path | None) -> Iterator[BinaryIO]:
    """A binary file at ``path`` (parents created), or stdout when ``path`` is None.

    A reader that goes away (``rowport tasks stream ID | head``) ends the command quietly.
    """
    if path is None:
        sys.stdout.flush()  # keep order with text already echoed
        stdout = sys.stdout.buffer
        try:
            yield stdout
            stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
            raise click.exceptions.Exit(141) from None
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb", buffering=_BUFFER) as f:
        yield f


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def write_outputs(outputs: Iterable[JsonConverterOutput], sink: BinaryIO) -> int:
    """Write each output's text as one line; returns how many lines were written."""
    count = 0
    for output in outputs:
        sink.write(output.json_str.encode("utf-8"))
        sink.write(b"\n")
        count += 1
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
