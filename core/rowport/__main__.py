"""``python -m rowport``: the same as the ``rowport`` command."""

from __future__ import annotations

from rowport._startup import run

if __name__ == "__main__":
    run()
