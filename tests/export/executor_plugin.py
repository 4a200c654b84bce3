"""A plugin for the executor tests, importable by name in shard workers (a module plugin).

Driven by the export's plugin option ``executor_test``:

- ``bad_every``: rows whose ``external_id`` number is a multiple of it get a ``ROW_IS_BAD``
  problem (so ERRORS has lines in every shard); ``bad_range`` ``[start, end)``: those rows do;
- ``gate`` (a folder) with ``gate_row`` (an ``external_id``): the first worker to meet that row
  claims the gate (``claimed``, created exclusively), writes its pid to ``ready`` and waits for
  ``release`` (the test kills it there, or releases it); a later run of the shard passes;
- ``fail_once`` (a path) with ``gate_row``: that row gets a problem the first time only;
- ``crash_row`` (an ``external_id``): the worker process exits at once on that row, every time;
- ``seen`` (a folder): each batch validated leaves ``FIRST-ROW.PID-N`` there.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import rowport
from rowport.plugins import Problem

_GATE_LIMIT = 300.0  # seconds a gate holds before it gives up (a safety net only)


def _number(row: dict[str, Any]) -> int:
    return int(str(row["data_row"]["external_id"]).rsplit("-", 1)[-1])


def _wait_at_gate(gate: Path) -> None:
    try:
        os.close(os.open(gate / "claimed", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return  # claimed by an earlier run of the shard: pass
    (gate / "ready.tmp").write_text(str(os.getpid()))
    os.replace(gate / "ready.tmp", gate / "ready")
    deadline = time.monotonic() + _GATE_LIMIT
    while not (gate / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.01)


def _first_time(path: Path) -> bool:
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


@rowport.hookimpl
def rowport_validate_rows(rows: list[dict[str, Any]], context: Any) -> list[Problem]:
    options = context.options.get("executor_test") or {}
    ids = [row["data_row"]["external_id"] for row in rows]
    if "seen" in options:
        for n in range(1, 100):
            if _first_time(Path(options["seen"]) / f"{ids[0]}.{n}"):
                break
    if options.get("crash_row") in ids:
        os._exit(17)
    problems = []
    gate_row = options.get("gate_row")
    if gate_row in ids:
        if "gate" in options:
            _wait_at_gate(Path(options["gate"]))
        if "fail_once" in options and _first_time(Path(options["fail_once"])):
            index = ids.index(gate_row)
            problems.append(Problem(index=index, code="ONCE", message="bad the first time"))
    every = options.get("bad_every") or 0
    start, end = options.get("bad_range") or (0, 0)
    return problems + [
        Problem(index=i, code="ROW_IS_BAD", message=f"row {_number(row)} is bad", details={})
        for i, row in enumerate(rows)
        if (every and _number(row) % every == 0) or start <= _number(row) < end
    ]
