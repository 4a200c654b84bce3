"""``check_catalog``: is the home's catalog reachable, migrated and writable, on its backend?

What ``rowport doctor`` reports about the catalog. It changes nothing: a catalog that is not
migrated is reported, not migrated, and the write probe is rolled back.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import attrs

from rowport.catalog._db import database_url
from rowport.catalog._schema import MIGRATIONS

__all__ = ["CatalogCheck", "check_catalog"]

_TIMEOUT = 5  # seconds to connect


@attrs.frozen
class CatalogCheck:
    """One finding about the catalog: ``ok``, and ``detail`` saying what was found (or what
    is wrong and how to put it right)."""

    name: str
    ok: bool
    detail: str


def check_catalog(home: Path) -> tuple[CatalogCheck, ...]:
    """The checks of the catalog of ``home``: ``catalog reachable`` (with the backend's
    version), ``catalog migrated`` and ``catalog writable``, on SQLite (``home/catalog.db``)
    or on the PostgreSQL database of ``ROWPORT_DATABASE_URL``."""
    url = database_url()
    return _postgres(url) if url else _sqlite(home / "catalog.db")


def _migrated(version: int) -> CatalogCheck:
    expected = len(MIGRATIONS)
    if version == expected:
        return CatalogCheck("catalog migrated", True, f"schema version {version}")
    if version < expected:
        return CatalogCheck(
            "catalog migrated",
            False,
            f"schema version {version}, this rowport needs {expected}: any rowport command"
            " that opens the catalog (`rowport ls datasets`) migrates it",
        )
    return CatalogCheck(
        "catalog migrated",
        False,
        f"schema version {version} is newer than this rowport's {expected}: upgrade rowport"
        " (migrations go forward only)",
    )


def _sqlite(path: Path) -> tuple[CatalogCheck, ...]:
    if not path.is_file():
        return (
            CatalogCheck(
                "catalog reachable",
                False,
                f"no catalog at {path}: create it with `rowport import FILE` (or `rowport demo`),"
                " or point --home / $ROWPORT_HOME at the home that has one",
            ),
        )
    try:
        conn = sqlite3.connect(
            f"file:{path}?mode=rw", uri=True, timeout=_TIMEOUT, isolation_level=None
        )
    except sqlite3.Error as exc:
        return (CatalogCheck("catalog reachable", False, f"{path} cannot be opened: {exc}"),)
    try:
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as exc:
            detail = f"{path} is not a SQLite catalog: {exc}"
            return (CatalogCheck("catalog reachable", False, detail),)
        reachable = CatalogCheck(
            "catalog reachable", True, f"SQLite {sqlite3.sqlite_version} at {path}"
        )
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            writable = CatalogCheck("catalog writable", True, "a write transaction can start")
        except sqlite3.Error as exc:
            writable = CatalogCheck("catalog writable", False, f"{path} cannot be written: {exc}")
        return reachable, _migrated(version), writable
    finally:
        conn.close()


def _postgres(url: str) -> tuple[CatalogCheck, ...]:
    try:
        import psycopg
    except ImportError:
        detail = (
            "ROWPORT_DATABASE_URL names PostgreSQL but psycopg is not installed:"
            " pip install 'rowport[postgres]'"
        )
        return (CatalogCheck("catalog reachable", False, detail),)
    from rowport.catalog._pg_schema import SCHEMA_TABLE
    from rowport.catalog._postgres import redact

    where = redact(url)
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=_TIMEOUT)
    except psycopg.Error as exc:
        detail = (
            f"cannot connect to {where}: {' '.join(str(exc).split())}; start the server,"
            " or correct ROWPORT_DATABASE_URL (postgresql://USER@HOST:PORT/DATABASE)"
        )
        return (CatalogCheck("catalog reachable", False, detail),)
    with conn:
        server = conn.execute("SHOW server_version").fetchone()
        reachable = CatalogCheck(
            "catalog reachable",
            True,
            f"PostgreSQL {server[0] if server else '?'} at {where} (psycopg {psycopg.__version__})",
        )
        found = conn.execute("SELECT to_regclass(%s)", (SCHEMA_TABLE,)).fetchone()
        version = 0
        if found and found[0] is not None:
            row = conn.execute(f"SELECT version FROM {SCHEMA_TABLE}").fetchone()
            version = int(row[0]) if row else 0
        table = SCHEMA_TABLE if version else "pg_catalog.pg_class"
        try:
            conn.execute("BEGIN")
            if conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,):
                raise psycopg.errors.ReadOnlySqlTransaction("the server is a read-only standby")
            if version:
                conn.execute(f"UPDATE {table} SET version = version")
            else:
                conn.execute("CREATE TEMP TABLE rowport_doctor_probe (x INTEGER)")
            writable = CatalogCheck("catalog writable", True, "a write transaction can start")
        except psycopg.Error as exc:
            writable = CatalogCheck(
                "catalog writable",
                False,
                f"{where} cannot be written: {' '.join(str(exc).split())}",
            )
        finally:
            conn.execute("ROLLBACK")
        return reachable, _migrated(version), writable
