"""``rowport doctor``: check each configured backend and say what is wrong.

Each check is a :class:`Check` (a name, whether it passed, what was found or what to do). The
backends are the catalog (the home's SQLite file: reachable, migrated, writable, its version),
the stream storage (the home's ``tasks/`` folder: reachable, writable) and the executor
(``$ROWPORT_EXECUTOR`` or ``--executor``: reachable, its workers and their versions). Nothing is
changed: a catalog that is not migrated is reported, not migrated; the writes are rolled back
or removed.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

import attrs

_CONNECT_TIMEOUT = 5.0  # seconds a Dask scheduler has to answer

__all__ = ["Check", "catalog_checks", "executor_checks", "run_checks", "storage_checks"]


@attrs.frozen
class Check:
    """One finding: ``ok``, and ``detail`` saying what was found (or what is wrong and how to
    put it right)."""

    name: str
    ok: bool
    detail: str


def catalog_checks(home: Path) -> list[Check]:
    """The home's SQLite catalog: it exists and opens, its schema is the code's, it can be
    written, and the SQLite version."""
    from rowport.catalog._schema import MIGRATIONS

    path = home / "catalog.db"
    if not path.is_file():
        return [
            Check(
                "catalog reachable",
                False,
                f"no catalog at {path}: create it with `rowport import FILE` (or `rowport demo`),"
                " or point --home / $ROWPORT_HOME at the home that has one",
            )
        ]
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=5, isolation_level=None)
    except sqlite3.Error as exc:
        return [Check("catalog reachable", False, f"{path} cannot be opened: {exc}")]
    try:
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as exc:
            return [Check("catalog reachable", False, f"{path} is not a SQLite catalog: {exc}")]
        checks = [Check("catalog reachable", True, f"SQLite {sqlite3.sqlite_version} at {path}")]
        expected = len(MIGRATIONS)
        if version == expected:
            checks.append(Check("catalog migrated", True, f"schema version {version}"))
        elif version < expected:
            checks.append(
                Check(
                    "catalog migrated",
                    False,
                    f"schema version {version}, this rowport needs {expected}: any rowport"
                    " command that opens the catalog (`rowport ls datasets`) migrates it",
                )
            )
        else:
            checks.append(
                Check(
                    "catalog migrated",
                    False,
                    f"schema version {version} is newer than this rowport's {expected}:"
                    " upgrade rowport (migrations go forward only)",
                )
            )
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            checks.append(Check("catalog writable", True, "a write transaction can start"))
        except sqlite3.Error as exc:
            checks.append(Check("catalog writable", False, f"{path} cannot be written: {exc}"))
        return checks
    finally:
        conn.close()


def storage_checks(home: Path) -> list[Check]:
    """The home's stream storage (``tasks/``): it exists (or can be made) and takes a file."""
    tasks = home / "tasks"
    try:
        tasks.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return [Check("storage reachable", False, f"{tasks} cannot be created: {exc}")]
    checks = [Check("storage reachable", True, f"local folder {tasks}")]
    probe = tasks / f".doctor-{uuid.uuid4().hex}"
    try:
        with open(probe, "wb") as f:
            f.write(b"rowport doctor\n")
            f.flush()
            os.fsync(f.fileno())
        free = os.statvfs(tasks)
        space = free.f_bavail * free.f_frsize
        checks.append(Check("storage writable", True, f"{space / 2**30:,.1f} GiB free"))
    except OSError as exc:
        checks.append(Check("storage writable", False, f"{tasks} cannot be written: {exc}"))
    finally:
        probe.unlink(missing_ok=True)
    return checks


def executor_checks(named: str) -> list[Check]:
    """The executor ``named`` (``local``, ``process[:N]``, ``dask://HOST:PORT``): its workers
    answer, how many there are, and that they run this rowport and Python."""
    import platform

    import rowport
    from rowport.errors import InvalidInput
    from rowport.tasks._executors import check_executor, parse_executor

    try:
        name = check_executor(named)
    except InvalidInput as exc:
        return [Check("executor reachable", False, str(exc))]
    if name == "local":
        return [
            Check("executor reachable", True, "local: exports run in the process that starts them")
        ]
    try:
        executor = parse_executor(name, timeout=_CONNECT_TIMEOUT)
        assert executor is not None
        try:
            info = executor.info()
        finally:
            executor.close()
    except Exception as exc:
        return [
            Check(
                "executor reachable",
                False,
                f"{name} does not answer ({type(exc).__name__}: {exc}): start the scheduler and"
                " workers (docs/deploy.md), or set --executor / $ROWPORT_EXECUTOR",
            )
        ]
    checks = [Check("executor reachable", True, f"{info.name}: {info.workers} worker(s)")]
    if info.workers < 1:
        checks.append(Check("executor workers", False, f"{name} has no worker: start some"))
    ours = {"rowport": rowport.__version__, "python": platform.python_version()}
    wrong = sorted(
        f"{key} {value} (here {ours[key.rpartition(':')[2]]})"
        for key, value in info.versions.items()
        if value != ours[key.rpartition(":")[2]]
    )
    if wrong:
        checks.append(
            Check(
                "executor versions",
                False,
                "workers run other versions: " + ", ".join(wrong) + "; install the same rowport",
            )
        )
    else:
        checks.append(
            Check("executor versions", True, f"rowport {ours['rowport']}, Python {ours['python']}")
        )
    return checks


def run_checks(home: Path, executor: str) -> list[Check]:
    """Every check of the home's backends and of ``executor``, in order."""
    steps: list[Callable[[], list[Check]]] = [
        lambda: catalog_checks(home),
        lambda: storage_checks(home),
        lambda: executor_checks(executor),
    ]
    return [check for step in steps for check in step()]
