"""Where the shards of an export run: the seam between the coordinator and a pool of workers.

- ``local``: no shards; the runner exports in its own thread, as it always did (the default).
- ``process`` (``process:N``): up to N worker processes on this machine at once, one per shard,
  forked from a forkserver (so a worker never inherits the coordinator's threads or
  connections); a worker that dies takes only its shard, which runs again.
- ``dask://host:port``: the tasks of a ``dask.distributed`` cluster; the scheduler itself runs
  again a task whose worker died (up to its ``allowed-failures``).

``ROWPORT_EXECUTOR`` names the default of a process (``local`` when unset).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, Protocol

import attrs

from rowport.errors import InvalidInput
from rowport.tasks._shards import ShardOutcome, ShardSpec, run_shard

__all__ = [
    "EXECUTOR_ENV",
    "DaskExecutor",
    "ExecutorInfo",
    "ProcessExecutor",
    "ShardExecutor",
    "WorkerLost",
    "check_executor",
    "parse_executor",
]

EXECUTOR_ENV = "ROWPORT_EXECUTOR"
_LOOK_EVERY = 0.5  # seconds between looks at a worker process while it runs its shard
ALLOWED = "local, process, process:N (N workers) or dask://HOST:PORT"


@attrs.frozen
class ExecutorInfo:
    """What ``rowport doctor`` reports of an executor."""

    name: str
    workers: int
    versions: dict[str, str]


class ShardExecutor(Protocol):
    """Runs :func:`~rowport.tasks._shards.run_shard` on workers."""

    @property
    def name(self) -> str:
        """How the executor is named (``process:2``, ``dask://127.0.0.1:8786``)."""
        ...

    @property
    def workers(self) -> int:
        """Workers that run shards at once (the shard plan is cut for them)."""
        ...

    def submit(self, spec: ShardSpec) -> Future[ShardOutcome]:
        """Start a shard; its future ends with the outcome or the error that stopped it."""
        ...

    def worker_lost(self, error: BaseException) -> bool:
        """Whether ``error`` says the shard's worker died (the shard is then run again)."""
        ...

    def info(self) -> ExecutorInfo:
        """Reach the workers: their count and versions (raises when they cannot be reached)."""
        ...

    def close(self) -> None:
        """Let the workers go."""
        ...


def _worker_versions(_: object = None) -> dict[str, str]:
    """The versions a worker runs (importing the shard runner, as a shard does)."""
    import platform

    import rowport
    import rowport.tasks._shards

    return {"rowport": rowport.__version__, "python": platform.python_version()}


class WorkerLost(Exception):
    """The process running a shard ended without its outcome (killed, out of memory)."""


def _child(
    function: Callable[[Any], Any], argument: Any, conn: Connection, environ: dict[str, str]
) -> None:
    """In a worker process: ``function(argument)``, or the error it raised, sent back; run in
    the coordinator's environment as it was when the shard was handed out (the forkserver's
    is the one it started with: object storage keys and endpoints set later would be lost)."""
    os.environ.clear()
    os.environ.update(environ)
    try:
        conn.send((True, function(argument)))
    except BaseException as exc:
        conn.send((False, exc))
    finally:
        conn.close()


class ProcessExecutor:
    """Shards on at most ``workers`` processes of this machine at once, one process per shard
    (forked from a server that has rowport and its built-in plugins imported already), so a
    process that dies takes only its own shard with it."""

    def __init__(self, workers: int | None = None) -> None:
        count = workers or os.cpu_count() or 1
        if count < 1:
            raise InvalidInput(f"a process executor needs at least one worker, got {count}")
        self._workers = count
        self._threads = ThreadPoolExecutor(count, thread_name_prefix="rowport-shard")
        self._context = multiprocessing.get_context("forkserver")
        from rowport_plugins import BUILTIN_PLUGINS

        self._context.set_forkserver_preload(["rowport.tasks._shards", *BUILTIN_PLUGINS])

    @property
    def name(self) -> str:
        return f"process:{self._workers}"

    @property
    def workers(self) -> int:
        return self._workers

    def _run(self, function: Callable[[Any], Any], argument: Any) -> Any:
        """``function(argument)`` in a process of its own; :class:`WorkerLost` when the
        process ends without an answer."""
        receive, send = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_child,
            args=(function, argument, send, dict(os.environ)),
            name="rowport-shard",
            daemon=True,
        )
        process.start()
        send.close()
        try:
            while not receive.poll(_LOOK_EVERY):
                if not process.is_alive() and not receive.poll(0):
                    process.join()
                    raise WorkerLost(
                        f"the worker process {process.pid} ended ({_how(process.exitcode)})"
                        " before its shard did"
                    )
            ok, value = receive.recv()
        except EOFError:
            process.join()
            raise WorkerLost(
                f"the worker process {process.pid} ended ({_how(process.exitcode)})"
                " before its shard did"
            ) from None
        finally:
            receive.close()
        process.join()
        if not ok:
            raise value
        return value

    def submit(self, spec: ShardSpec) -> Future[ShardOutcome]:
        return self._threads.submit(self._run, run_shard, spec)

    def worker_lost(self, error: BaseException) -> bool:
        return isinstance(error, WorkerLost)

    def info(self) -> ExecutorInfo:
        versions = self._threads.submit(self._run, _worker_versions, None).result(timeout=120)
        return ExecutorInfo(self.name, self._workers, versions)

    def close(self) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)


def _how(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


class DaskExecutor:
    """Shards as tasks of the ``dask.distributed`` cluster whose scheduler is at ``address``."""

    def __init__(self, address: str, *, timeout: float = 30.0) -> None:
        try:
            import distributed
        except ImportError:
            raise InvalidInput(
                f"the executor {address} needs dask.distributed: pip install 'rowport[scale]'"
            ) from None
        self.address = address
        client_type: Any = distributed.Client  # untyped
        self._client = client_type(address, set_as_default=False, timeout=timeout)
        self._executor = self._client.get_executor(pure=False)

    @property
    def name(self) -> str:
        return self.address

    @property
    def workers(self) -> int:
        info = self._client.scheduler_info()
        return max(1, sum(int(w.get("nthreads", 1)) for w in info["workers"].values()))

    def submit(self, spec: ShardSpec) -> Future[ShardOutcome]:
        future: Future[ShardOutcome] = self._executor.submit(run_shard, spec)
        return future

    def worker_lost(self, error: BaseException) -> bool:
        return False  # the scheduler runs the task again itself; KilledWorker: it gave up

    def info(self) -> ExecutorInfo:
        versions: dict[str, Any] = self._client.run(_worker_versions)
        found = {f"{worker}:{k}": v for worker, got in versions.items() for k, v in got.items()}
        return ExecutorInfo(self.name, len(versions), found)

    def close(self) -> None:
        self._client.close()


def check_executor(text: str) -> str:
    """``text`` as an executor's name: ``local``, ``process`` or ``process:N``, or
    ``dask://HOST:PORT`` (``dask`` alone: the address in ``$ROWPORT_EXECUTOR``).

    :raises InvalidInput: ``text`` names no executor (saying which are allowed).
    """
    value = text.strip()
    if value in ("", "local"):
        return "local"
    if value == "process" or value.startswith("process:"):
        count = value.partition(":")[2]
        if count and (not count.isdigit() or int(count) < 1):
            raise InvalidInput(f"executor {text!r}: N in process:N must be a positive integer")
        return value
    if value == "dask":
        env = os.environ.get(EXECUTOR_ENV, "")
        if not env.startswith("dask://"):
            raise InvalidInput(
                f"executor 'dask' needs the scheduler's address: dask://HOST:PORT"
                f" (or {EXECUTOR_ENV}=dask://HOST:PORT)"
            )
        value = env
    if value.startswith("dask://"):
        host, _, port = value[len("dask://") :].rpartition(":")
        if not host or not port.isdigit():
            raise InvalidInput(f"executor {text!r}: a Dask scheduler is dask://HOST:PORT")
        return value
    raise InvalidInput(f"unknown executor {text!r}; allowed: {ALLOWED}")


def parse_executor(text: str, *, timeout: float = 30.0) -> ShardExecutor | None:
    """The executor ``text`` names (None for ``local``), connected to its workers (a Dask
    scheduler within ``timeout`` seconds).

    :raises InvalidInput: see :func:`check_executor`.
    """
    value = check_executor(text)
    if value == "local":
        return None
    if value.startswith("process"):
        count = value.partition(":")[2]
        return ProcessExecutor(int(count) if count else None)
    return DaskExecutor("tcp://" + value[len("dask://") :], timeout=timeout)
