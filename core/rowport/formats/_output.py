"""Where a conversion writes: a directory or a ``.zip``, staged under a temporary name and
renamed into place only when complete, so a reader never sees half a dataset."""

from __future__ import annotations

import os
import secrets
import shutil
import zipfile
from pathlib import Path

import attrs

from rowport.errors import InvalidInput

__all__ = ["OutputTarget"]


def _absolute(path: str | os.PathLike[str]) -> Path:
    return Path(path).expanduser().absolute()


@attrs.define
class OutputTarget:
    """One output path. :meth:`stage` makes the temporary directory the writer fills,
    :meth:`publish` moves it (or a zip of it) into place, :meth:`discard` removes it.

    An existing target is refused unless ``overwrite``; an existing empty directory is fine.
    """

    path: Path = attrs.field(converter=_absolute)
    overwrite: bool = False
    staging: Path | None = attrs.field(default=None, init=False)

    @property
    def is_zip(self) -> bool:
        """Whether the output is a ``.zip`` file."""
        return self.path.suffix.lower() == ".zip"

    @property
    def report_path(self) -> Path:
        """Where ``lossiness.json`` goes: inside a directory, beside a zip
        (``out.zip`` -> ``out.lossiness.json``)."""
        if self.is_zip:
            return self.path.with_suffix(".lossiness.json")
        return self.path / "lossiness.json"

    def check(self) -> None:
        """Refuse a target that exists (unless ``overwrite``) or whose parent cannot be made."""
        path = self.path
        if path.exists() and not self.overwrite:
            if path.is_dir() and not self.is_zip and not any(path.iterdir()):
                return
            raise InvalidInput(
                f"output {str(path)!r} exists; choose a new path or pass overwrite (--overwrite)"
            )
        if path.exists() and self.is_zip and path.is_dir():
            raise InvalidInput(f"output {str(path)!r} is a directory, not a .zip file")
        parent = path.parent
        if parent.exists() and not parent.is_dir():
            raise InvalidInput(f"output {str(path)!r}: {str(parent)!r} is not a directory")

    def stage(self) -> Path:
        """Create and return the temporary directory beside the target."""
        self.check()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(4)
        self.staging = self.path.parent / f".{self.path.name}.tmp-{token}"
        self.staging.mkdir()
        return self.staging

    def publish(self) -> Path:
        """Move the staged files into place (zipping them for a ``.zip``); returns the path."""
        staging = self.staging
        if staging is None:
            raise RuntimeError("nothing was staged")
        target = self.path
        if self.is_zip:
            partial = staging.with_name(staging.name + ".zip")
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
                for file in sorted(staging.rglob("*")):
                    if file.is_file():
                        archive.write(file, file.relative_to(staging).as_posix())
            os.replace(partial, target)
            shutil.rmtree(staging)
        else:
            if target.exists():
                old = target.with_name(f".{target.name}.old-{secrets.token_hex(4)}")
                os.replace(target, old)
                os.replace(staging, target)
                shutil.rmtree(old) if old.is_dir() else old.unlink()
            else:
                os.replace(staging, target)
        self.staging = None
        return target

    def discard(self) -> None:
        """Remove the staged files (the conversion failed or was aborted)."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None
