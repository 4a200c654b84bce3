"""A throwaway PostgreSQL cluster on 127.0.0.1, for tests and benchmarks.

:class:`PostgresCluster` runs ``initdb`` and ``pg_ctl`` (as the ``postgres`` user through
``runuser`` when this process is root: both refuse root) into a temporary directory, on a
free loopback port, and hands out fresh catalog databases: :meth:`~PostgresCluster.database`
copies a template database migrated once, so a new catalog costs a ``CREATE DATABASE``.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

__all__ = ["PG_BIN_DIRS", "PostgresCluster", "find_pg_bin"]

#: Where the server's binaries are looked for (PostgreSQL 15 first), then ``PATH``.
PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")
_TEMPLATE = "rowport_template"


def find_pg_bin() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``; None when PostgreSQL is not installed."""
    for place in PG_BIN_DIRS:
        if (Path(place) / "initdb").exists() and (Path(place) / "pg_ctl").exists():
            return Path(place)
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresCluster:
    """A PostgreSQL cluster of its own (``start`` / ``stop``, or ``with``): ``url`` is its
    ``postgres`` database, :meth:`database` a new empty catalog database's URL."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        found = bin_dir or find_pg_bin()
        if found is None:
            raise FileNotFoundError("PostgreSQL's initdb and pg_ctl are not installed")
        self.bin = found
        self.root = Path(tempfile.mkdtemp(prefix="rowport-pg-"))
        self.data = self.root / "data"
        self.port = 0
        self._count = itertools.count(1)
        self._as_postgres = os.geteuid() == 0
        self._has_template = False

    @property
    def url(self) -> str:
        """The URL of the cluster's ``postgres`` database."""
        return self.url_of("postgres")

    def url_of(self, name: str) -> str:
        """The URL of database ``name``."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {done.stdout}{done.stderr}")

    def start(self) -> PostgresCluster:
        """initdb (once) and start the server; wait until it accepts connections."""
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        if not self.data.exists():
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                "--locale=C.UTF-8", "--no-sync",
            )  # fmt: skip
        self.port = self.port or _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w",
            "-t", "60", "-o", options, "start",
        )  # fmt: skip
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown), keeping its data for a :meth:`start`."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def restart(self) -> None:
        """Stop and start the server on the same port (every connection is dropped)."""
        self.stop()
        self.start()

    def remove(self) -> None:
        """Stop the server and delete its files."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def database(self) -> str:
        """The URL of a new, migrated, empty catalog database."""
        from rowport.catalog._postgres import PostgresDatabase

        if not self._has_template:
            self._sql(f"CREATE DATABASE {_TEMPLATE}")
            PostgresDatabase(self.url_of(_TEMPLATE), Path("template")).close()
            self._has_template = True
        return self.clone(self.url_of(_TEMPLATE))

    def clone(self, url: str) -> str:
        """The URL of a new database copied from the database of ``url`` (which must have no
        open connection)."""
        name = f"catalog_{next(self._count)}_{secrets.token_hex(4)}"
        source = url.rsplit("/", 1)[1]
        self._sql(f"CREATE DATABASE {name} TEMPLATE {source} STRATEGY FILE_COPY")
        return self.url_of(name)

    def _sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(statement)

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.remove()
