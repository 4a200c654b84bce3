"""Output files the commands write: checked and opened before any work starts, written under a
temporary name beside the target, and renamed onto it only when every line was written.

So an unwritable ``-o`` is reported before an export runs, and a failure or Ctrl-C while
writing never leaves a truncated file at the path the user asked for.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path
from typing import BinaryIO

import click

from rowport._exit_codes import USAGE

__all__ = ["OutputFile", "OutputPathError", "same_file"]

_BUFFER = 1 << 20


class OutputPathError(click.ClickException):
    """An output path that cannot be written: one ``Error: ...`` line, exit code 2 (usage)."""

    exit_code = USAGE


def _reason(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    where = exc.filename
    return f"{text}: {where}" if where else text


def same_file(first: Path, second: Path) -> bool:
    """Whether two output paths would be renamed onto the same file (so one replaced the
    other). A FIFO or device (``/dev/null`` twice) is written in place and may be shared."""
    target = os.path.realpath(first)
    if target != os.path.realpath(second):
        return False
    try:
        return stat.S_ISREG(os.stat(target).st_mode)
    except OSError:
        return True  # not there yet: both would be created at it


class OutputFile:
    """A file the command will write: ``open()`` it before the work starts, write to
    :attr:`file`, then :meth:`commit` (rename onto the target) or :meth:`discard`.

    A target that exists and is not a regular file (a FIFO, ``/dev/null``, ``/dev/stdout``)
    is written in place: it cannot be replaced by a rename.

    :param path: the path the user named.
    :param option: how the user named it (``-o``, ``--errors-file``), for messages.
    """

    def __init__(self, path: Path, option: str) -> None:
        self.path = Path(path)
        self.option = option
        self._target = Path(os.path.realpath(self.path))
        self._temp: Path | None = None
        self._file: BinaryIO | None = None
        self._created_dirs: list[Path] = []
        self._in_place = False
        self._mode: int | None = None

    def __repr__(self) -> str:
        return f"<OutputFile {self.option} {self.path}>"

    def _error(self, why: str) -> OutputPathError:
        return OutputPathError(f"cannot write {self.option} {self.path}: {why}")

    def open(self) -> OutputFile:
        """Create the parents and the temporary file now (so a path that cannot be written
        fails before any work).

        :raises OutputPathError: naming the path and why it cannot be written.
        """
        target = self._target
        try:
            info = target.stat()
        except (FileNotFoundError, NotADirectoryError):
            info = None  # a missing parent, or one that is a file: _make_parents says which
        except OSError as exc:
            raise self._error(_reason(exc)) from None
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise self._error("it is a directory")
        if info is not None and not stat.S_ISREG(info.st_mode):
            # a FIFO or device: written in place, opened when the first line is ready
            if not os.access(target, os.W_OK):
                raise self._error("permission denied")
            self._in_place = True
            return self
        if info is not None:
            self._mode = stat.S_IMODE(info.st_mode)
        self._make_parents(target.parent)
        temp = target.parent / f".{target.name}.{secrets.token_hex(4)}.partial"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as exc:
            self._remove_dirs()
            raise self._error(_reason(exc)) from None
        self._temp = temp
        self._file = os.fdopen(fd, "wb", buffering=_BUFFER)
        return self

    def _make_parents(self, directory: Path) -> None:
        missing: list[Path] = []
        current = directory
        while not current.exists() and not current.is_symlink():
            missing.append(current)
            if current.parent == current:
                break
            current = current.parent
        if current.exists() and not current.is_dir():
            raise self._error(f"{current} is not a directory")
        for folder in reversed(missing):
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            except OSError as exc:
                self._remove_dirs()
                raise self._error(f"cannot create directory {folder}: {exc.strerror}") from None
            self._created_dirs.append(folder)

    @property
    def file(self) -> BinaryIO:
        """The binary file to write the lines to (opened by :meth:`open`)."""
        if self._file is None:
            if not self._in_place:
                raise RuntimeError(f"{self!r} is not open")
            self._file = self._target.open("wb", buffering=_BUFFER)
        return self._file

    @property
    def temporary_path(self) -> Path | None:
        """Where the lines go until :meth:`commit` (None when written in place)."""
        return self._temp

    def commit(self) -> None:
        """Every line is written: flush and rename the temporary file onto the target."""
        f = self.file
        f.flush()
        if self._in_place:
            f.close()
            self._file = None
            return
        os.fsync(f.fileno())
        f.close()
        self._file = None
        assert self._temp is not None
        if self._mode is not None:
            os.chmod(self._temp, self._mode)
        os.replace(self._temp, self._target)
        self._temp = None
        self._created_dirs = []

    def discard(self) -> None:
        """Give up: close and delete the temporary file (and the folders :meth:`open`
        created); the target is left as it was. Safe to call more than once."""
        if self._file is not None:
            f, self._file = self._file, None
            with contextlib.suppress(OSError):
                f.close()
        if self._temp is not None:
            with contextlib.suppress(OSError):
                self._temp.unlink()
            self._temp = None
        self._remove_dirs()

    def _remove_dirs(self) -> None:
        for folder in reversed(self._created_dirs):
            with contextlib.suppress(OSError):
                folder.rmdir()
        self._created_dirs = []
