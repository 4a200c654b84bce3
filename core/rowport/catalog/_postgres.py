"""The PostgreSQL catalog database (``ROWPORT_DATABASE_URL=postgresql://...``, psycopg 3).

The stores are written once, against sqlite3's API (``?`` parameters, ``INSERT OR IGNORE``):
this module is PostgreSQL's dialect of it. :class:`PostgresDatabase` is a :class:`Database`
whose connections (:class:`PgConnection`) translate each statement once (:func:`translate`)
and raise sqlite3's exception classes, so every store, its error handling and its
transactions run unchanged. What differs beyond a translation lives here and in
``_pg_schema`` (the migrations, the stored-section triggers):

- writers meet at a transaction-scoped advisory lock (:data:`WRITE_LOCK`): one writer at a
  time, as SQLite's ``BEGIN IMMEDIATE`` (the stores read ``MAX(position) + 1`` and the like
  inside their transaction and rely on it); readers never wait;
- a plain multi-row ``INSERT`` run by ``executemany`` (bulk ingest) is a ``COPY ... FROM
  STDIN``;
- a read on :meth:`PostgresDatabase.reader` 's connection is a server-side cursor, so a long
  read streams in pages instead of arriving whole;
- ``changed()`` of the task store reads a counter row its triggers bump
  (:meth:`PostgresDatabase.data_version`), where SQLite has ``PRAGMA data_version``;
- a connection the server dropped (a restart) is replaced on its thread's next use: the
  statement that met the drop fails (as ``sqlite3.OperationalError``), the next one reconnects.
"""

from __future__ import annotations

import functools
import itertools
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Dumper, Loader
from psycopg.pq import TransactionStatus

from rowport.catalog._db import Connection, Cursor, Database, SnapshotConnection
from rowport.catalog._pg_schema import SCHEMA_TABLE, pg_migrations

__all__ = ["WRITE_LOCK", "PgConnection", "PostgresDatabase", "redact", "translate"]

#: The advisory lock (``pg_advisory_xact_lock``) every write transaction holds: "rowport".
WRITE_LOCK = 0x726F77706F7274
_MIGRATE_LOCK = WRITE_LOCK + 1
_CURSOR_PAGE = 2000  # rows a server-side cursor fetches at a time
_names = itertools.count()

# -- statement translation -----------------------------------------------------------------

_LITERAL = re.compile(r"('(?:[^']|'')*'|\"[^\"]*\")")
_INDEXED_BY = re.compile(r"\s+INDEXED BY \w+", re.I)
_UNARY_PLUS = re.compile(r"(^|[\s(,])\+(?=[A-Za-z_])")
_WHERE_ONE = re.compile(r"\bWHERE 1( AND|$|\s)")
_AS_INTEGER = re.compile(r"\bAS INTEGER\)", re.I)
_BEGIN_IMMEDIATE = re.compile(r"^\s*BEGIN IMMEDIATE\b", re.I)
_IN_NOTHING = re.compile(r"(?<!NOT )\bIN \(\)", re.I)
_OR_IGNORE = re.compile(r"^\s*INSERT OR IGNORE INTO", re.I)
_OR_REPLACE = re.compile(r"^\s*INSERT OR REPLACE INTO (\w+) \(([^)]*)\)", re.I)
_PLAIN_INSERT = re.compile(
    r"^\s*INSERT INTO (\w+) \(([\w\s,]+)\) VALUES \(((?:%s,\s*)*%s)\)\s*;?\s*$", re.I
)
#: The key of each table a statement replaces rows of (``INSERT OR REPLACE``).
_CONFLICT_KEYS = {"label_checks": ("key",), "label_rid_checks": ("label_rid",)}


def _code(part: str) -> str:
    """Translate a piece of SQL outside any literal."""
    part = part.replace("%", "%%").replace("?", "%s")
    part = _INDEXED_BY.sub("", part)
    part = _UNARY_PLUS.sub(r"\1", part)
    part = _WHERE_ONE.sub(r"WHERE TRUE\1", part)
    part = _BEGIN_IMMEDIATE.sub("BEGIN", part)
    part = _IN_NOTHING.sub("IN (NULL)", part)  # SQLite's empty list: nothing matches
    return _AS_INTEGER.sub("AS BIGINT)", part)


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """``sql`` (written for SQLite) as PostgreSQL runs it: ``%s`` parameters, ``ON CONFLICT``
    for ``INSERT OR IGNORE``/``OR REPLACE``, ``IN (NULL)`` for ``IN ()``, no ``INDEXED BY``
    hints or unary ``+`` (SQLite's way to keep an index out of a plan), ``WHERE TRUE`` for
    ``WHERE 1``, ``BEGIN`` for ``BEGIN IMMEDIATE``, 64-bit casts."""
    pieces = _LITERAL.split(sql)
    out = "".join(
        piece.replace("%", "%%") if i % 2 else _code(piece) for i, piece in enumerate(pieces)
    )
    if _OR_IGNORE.match(out):
        out = _OR_IGNORE.sub("INSERT INTO", out, count=1).rstrip().rstrip(";")
        return out + " ON CONFLICT DO NOTHING"
    replace = _OR_REPLACE.match(out)
    if replace:
        table, columns = replace.group(1), [c.strip() for c in replace.group(2).split(",")]
        if table not in _CONFLICT_KEYS:
            raise NotImplementedError(f"INSERT OR REPLACE into {table}: name its key here")
        key = _CONFLICT_KEYS[table]
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
        out = re.sub(r"^\s*INSERT OR REPLACE INTO", "INSERT INTO", out, count=1, flags=re.I)
        return f"{out.rstrip().rstrip(';')} ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"
    return out


# -- connections -----------------------------------------------------------------------------


class _BoolDumper(Dumper):
    """A Python bool as SQLite stores it: the integer 0 or 1."""

    oid = psycopg.adapters.types["int8"].oid

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class _NumericLoader(Loader):
    """``numeric`` (what ``SUM`` of integers gives) as SQLite's int or float."""

    def load(self, data: Any) -> Any:
        text = bytes(data).decode()
        return int(text) if text.lstrip("-").isdigit() else float(text)


@contextmanager
def _sqlite_errors() -> Iterator[None]:
    """Raise psycopg's errors as the sqlite3 classes the stores catch (the cause kept)."""
    try:
        yield
    except pg_errors.IntegrityError as exc:
        raise sqlite3.IntegrityError(_message(exc)) from exc
    except (psycopg.OperationalError, pg_errors.QueryCanceled) as exc:
        raise sqlite3.OperationalError(_message(exc)) from exc
    except pg_errors.DataError as exc:
        raise sqlite3.DataError(_message(exc)) from exc
    except psycopg.Error as exc:
        raise sqlite3.DatabaseError(_message(exc)) from exc


def _message(exc: psycopg.Error) -> str:
    """The server's message of ``exc``, one line."""
    return " ".join(str(exc).split()) or type(exc).__name__


def _connect(url: str) -> psycopg.Connection[Any]:
    with _sqlite_errors():
        raw = psycopg.connect(url, autocommit=True, application_name="rowport")
    raw.adapters.register_dumper(bool, _BoolDumper)
    raw.adapters.register_loader("numeric", _NumericLoader)
    return raw


def _is_read(text: str) -> bool:
    return text.lstrip()[:6].upper() == "SELECT"


class PgConnection:
    """A psycopg connection with sqlite3's API (what :class:`Connection` names). With
    ``server_side`` its reads are server-side cursors (the connection then runs in one
    read-only transaction, which :meth:`close` ends)."""

    def __init__(self, url: str, *, server_side: bool = False) -> None:
        self.url = url
        self.raw = _connect(url)
        self.server_side = server_side

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (sqlite3's ``in_transaction``)."""
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    @property
    def usable(self) -> bool:
        """False once the server dropped the connection (or it was closed)."""
        return not (self.raw.closed or self.raw.broken)

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Cursor:
        """Run one statement (``?`` parameters); its cursor. A read outside a transaction
        that meets a connection the server dropped (a restart) runs again once on a new
        one: it changed nothing, so running it again is safe; anything else fails."""
        if self.raw.closed and not self.raw.broken:  # closed by its owner, as sqlite3 says
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        text = translate(sql)
        idle = self.usable and not self.in_transaction
        try:
            return self._execute(text, parameters)
        except sqlite3.OperationalError:
            if not (idle and self.raw.broken and _is_read(text)):
                raise
        self.raw = _connect(self.url)
        return self._execute(text, parameters)

    def _execute(self, text: str, parameters: Sequence[Any]) -> Cursor:
        with _sqlite_errors():
            if self.server_side and _is_read(text):
                if not self.in_transaction:
                    self.raw.execute("BEGIN READ ONLY")
                named = self.raw.cursor(name=f"rowport_{next(_names)}")
                named.itersize = _CURSOR_PAGE
                named.execute(text, tuple(parameters))
                return named
            return self.raw.execute(text, tuple(parameters))

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor:
        """Run one statement per parameter row; a plain multi-row ``INSERT`` is one ``COPY``."""
        text = translate(sql)
        cursor = self.raw.cursor()
        with _sqlite_errors():
            plain = _PLAIN_INSERT.match(text)
            if plain:
                table, columns = plain.group(1), plain.group(2)
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in parameters:
                        copy.write_row(row)
            else:
                cursor.executemany(text, [tuple(row) for row in parameters])
        return cursor

    def interrupt(self) -> None:
        """Cancel the statement running on it, from any thread (sqlite3's ``interrupt``): it
        fails with :class:`sqlite3.OperationalError`; a closed connection runs nothing."""
        if self.raw.closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        try:
            self.raw.cancel()
        except psycopg.Error:
            pass  # nothing is running, or the server is gone: nothing to cancel

    def close(self) -> None:
        """Close the connection (its transaction, if any, is rolled back)."""
        try:
            self.raw.close()
        except psycopg.Error:
            pass


# -- the database ----------------------------------------------------------------------------


def redact(url: str) -> str:
    """``url`` without its password, for messages."""
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", url)


class PostgresDatabase(Database):
    """The catalog in the PostgreSQL database at ``url``: a connection per thread (autocommit
    outside :meth:`transaction`), migrated on open. ``path`` (``HOME/catalog.db``) is kept
    for messages only."""

    backend = "postgresql"
    url: str

    def __init__(self, url: str, path: Path) -> None:
        self.url = url
        self.path = path
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._conns: list[PgConnection] = []
        self._all_lock = threading.Lock()
        self._migrate()

    def __repr__(self) -> str:
        return f"PostgresDatabase({redact(self.url)!r})"

    def _new(self, *, server_side: bool = False) -> PgConnection:
        conn = PgConnection(self.url, server_side=server_side)
        with self._all_lock:
            self._conns.append(conn)
        return conn

    def _forget(self, conn: PgConnection) -> None:
        with self._all_lock:
            if conn in self._conns:
                self._conns.remove(conn)
        conn.close()

    def _pg(self) -> PgConnection:
        conn: PgConnection | None = getattr(self._local, "conn", None)
        if conn is not None and not conn.usable:  # the server dropped it: a new one
            self._forget(conn)
            conn = None
        if conn is None:
            conn = self._new()
            self._local.conn = conn
        return conn

    @property
    def conn(self) -> Connection:
        """This thread's connection (autocommit outside :meth:`transaction`)."""
        return self._pg()

    def close_thread(self) -> None:
        """Close this thread's connection, if it has one."""
        conn: PgConnection | None = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            self._forget(conn)

    def connect(self) -> PgConnection:
        """A new connection of the caller's own (autocommit; the caller closes it)."""
        return PgConnection(self.url)

    @contextmanager
    def reader(self) -> Iterator[Connection]:
        """A connection of its own for one long read (server-side cursors; closed after)."""
        conn = self._new(server_side=True)
        try:
            yield conn
        finally:
            self._forget(conn)

    def snapshot(self) -> PgConnection:
        """A connection of its own in a ``REPEATABLE READ`` transaction whose snapshot is taken
        now (by its first read): its reads see the catalog as it is at this call, whatever is
        written meanwhile, on any thread. Give it back with :meth:`release`."""
        conn = self._new()
        try:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            conn.execute("SELECT 1").fetchall()  # the snapshot's read
        except BaseException:
            self._forget(conn)
            raise
        return conn

    def release(self, conn: SnapshotConnection) -> None:
        """Close a connection of :meth:`snapshot`."""
        assert isinstance(conn, PgConnection)
        self._forget(conn)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction holding :data:`WRITE_LOCK`: committed on success, rolled back
        whole on any exception."""
        with self._write_lock:
            conn = self._pg()
            if conn.in_transaction:  # nested: join the outer transaction
                yield conn
                return
            conn.execute("BEGIN")
            try:
                conn.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise

    def _version(self, conn: Connection) -> int:
        exists = conn.execute("SELECT to_regclass(?)", (SCHEMA_TABLE,)).fetchone()[0]
        if exists is None:
            return 0
        return int(conn.execute(f"SELECT version FROM {SCHEMA_TABLE}").fetchone()[0])

    def _migrate(self) -> None:
        migrations = pg_migrations()
        conn = self._pg()
        # a read first: opening an up-to-date catalog must not wait for (or block) a writer
        if self._version(conn) >= len(migrations):
            return
        with self._write_lock:
            conn.execute("BEGIN")
            try:
                conn.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATE_LOCK,))
                version = self._version(conn)
                if version == 0:
                    conn.execute(f"CREATE TABLE {SCHEMA_TABLE} (version INTEGER NOT NULL)")
                    conn.execute(f"INSERT INTO {SCHEMA_TABLE} VALUES (0)")
                for number, statements in enumerate(migrations[version:], start=version + 1):
                    for statement in statements:
                        self._raw_execute(conn, statement)
                    conn.execute(f"UPDATE {SCHEMA_TABLE} SET version = {number}")
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise

    @staticmethod
    def _raw_execute(conn: Connection, statement: str) -> None:
        """Run a migration statement as written (PostgreSQL's own SQL: no translation)."""
        assert isinstance(conn, PgConnection)
        with _sqlite_errors():
            conn.raw.execute(statement)

    def data_version(self) -> int:
        """The counter the task tables' triggers bump on every change (``_pg_schema``)."""
        return int(self.conn.execute("SELECT n FROM rowport_changes").fetchone()[0])

    @property
    def schema_version(self) -> int:
        """How many migrations this database has applied."""
        return self._version(self.conn)

    def server_version(self) -> str:
        """The server's version (``15.8`` ...)."""
        return str(self.conn.execute("SHOW server_version").fetchone()[0])

    def close(self) -> None:
        """Close every connection this object opened."""
        with self._all_lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        self._local = threading.local()


def _rollback(conn: Connection) -> None:
    """Roll back after an error, keeping that error (a dropped connection cannot roll back)."""
    if isinstance(conn, PgConnection) and conn.usable and conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
