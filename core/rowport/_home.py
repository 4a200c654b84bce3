"""Where a rowport home is by default: a module of its own, so the CLI can name it in
``--help`` without importing the client."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEFAULT_HOME", "default_home"]

DEFAULT_HOME = ".rowport"


def default_home() -> Path:
    """``$ROWPORT_HOME`` when set, else ``./.rowport``."""
    return Path(os.environ.get("ROWPORT_HOME") or DEFAULT_HOME)
