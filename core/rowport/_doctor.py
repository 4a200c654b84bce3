"""``rowport doctor``: check each configured backend and say what is wrong.

Each check is a :class:`Check` (a name, whether it passed, what was found or what to do). The
backends are the catalog (the home's SQLite file or ``$ROWPORT_DATABASE_URL``: reachable,
migrated, writable, its version), the stream storage (the home's ``tasks/`` folder or
``$ROWPORT_STORAGE_URL``: reachable, writable) and the executor
(``$ROWPORT_EXECUTOR`` or ``--executor``: reachable, its workers and their versions). Nothing is
changed: a catalog that is not migrated is reported, not migrated; the writes are rolled back
or removed.
"""

from __future__ import annotations

import os
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
    """The catalog (``home/catalog.db``, or the PostgreSQL database of
    ``$ROWPORT_DATABASE_URL``): it opens, its schema is the code's, it can be written, and the
    backend's version (see :func:`rowport.catalog.check_catalog`)."""
    from rowport.catalog import check_catalog

    return [Check(found.name, found.ok, found.detail) for found in check_catalog(home)]


def storage_checks(home: Path) -> list[Check]:
    """Where streams are stored (``home/tasks``, or ``$ROWPORT_STORAGE_URL``): it is reachable,
    the folder or bucket exists, and it takes a probe object (see
    :func:`rowport.streams.check_storage`)."""
    from rowport.streams import check_storage

    found = check_storage(home=home)
    where = found.location if found.endpoint is None else f"{found.location} at {found.endpoint}"
    reachable = found.reachable and found.bucket_exists
    checks = [
        Check(
            "storage reachable",
            reachable,
            f"{found.kind} {where}" if reachable else found.problem or f"{where} is not there",
        )
    ]
    if reachable:
        detail = f"a probe object was written, read back and removed in {where}"
        if found.kind == "local":
            free = os.statvfs(found.location)
            detail = f"{free.f_bavail * free.f_frsize / 2**30:,.1f} GiB free"
        checks.append(
            Check(
                "storage writable",
                found.writable,
                detail if found.writable else found.problem or "",
            )
        )
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
