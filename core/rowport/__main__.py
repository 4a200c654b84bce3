"""``python -m rowport``: the same as the ``rowport`` command."""

from __future__ import annotations

from rowport.cli import main

if __name__ == "__main__":
    main(prog_name="rowport")
