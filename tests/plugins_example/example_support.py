"""Where the example package is, and a clean environment for its subprocesses."""

from __future__ import annotations

import os
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rowport-sink-example"


def clean_env() -> dict[str, str]:
    """The environment minus what would change plugin loading or where rowport lives."""
    env = dict(os.environ)
    for name in (
        "ROWPORT_DISABLE_PLUGIN_AUTOLOAD",
        "ROWPORT_BLOCK_PLUGINS",
        "ROWPORT_HOME",
        "PYTHONPATH",
        "VIRTUAL_ENV",
    ):
        env.pop(name, None)
    return env
