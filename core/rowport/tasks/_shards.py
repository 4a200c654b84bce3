"""One shard of a sharded export, as a worker runs it: a run of plan rows (contiguous keys in
export order) read from the catalog, put through the plugins, written as two streams of its own
beside the task's (on its storage: a local folder or object storage), and described by a small
:class:`ShardOutcome` (its manifests and per-batch counts, never rows).

A worker process (a child of the process executor, or a Dask worker) opens the catalog and the
plugins itself, once per process, from the :class:`ShardSpec` it is handed; the coordinator
(:mod:`rowport.tasks._sharded`) merges the shards' parts in key order.
"""

from __future__ import annotations

import os
import pickle
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import orjson

from rowport.catalog import Catalog, TaskStatus
from rowport.catalog._db import connect_database
from rowport.export import RowAssembler, sections_read_by
from rowport.plugins import ExportContext, PluginHost
from rowport.plugins._manager import LoadedPlugins, PluginSource
from rowport.plugins._model import ErrorPolicy
from rowport.plugins._step import PluginStep
from rowport.request import ExportRequest, PlanLayout
from rowport.streams import StreamManifest, StreamWriter
from rowport.streams._manifest import read_manifest
from rowport.streams._storage import StreamPlace, open_storage

__all__ = [
    "OUTCOME_NAME",
    "BatchCounts",
    "CatalogRef",
    "ShardOutcome",
    "ShardSpec",
    "host_spec",
    "read_outcome",
    "run_shard",
]

OUTCOME_NAME = "outcome.json"
_STATUS_EVERY = 0.25  # seconds between reads of the task's status (a cancel) in a shard


@attrs.frozen
class CatalogRef:
    """How a worker opens the catalog: the SQLite file's path, or the PostgreSQL database's
    URL (which may hold a password: it is left out of the repr), and who acts."""

    path: str
    user_email: str
    url: str | None = attrs.field(default=None, repr=False)

    @classmethod
    def of(cls, catalog: Catalog) -> CatalogRef:
        """The reference of an open catalog."""
        return cls(path=str(catalog.db.path), user_email=catalog.user_email, url=catalog.db.url)

    def open(self) -> Catalog:
        """The catalog, opened in this process (the coordinator's backend, whatever this
        process's ``ROWPORT_DATABASE_URL`` says)."""
        path = Path(self.path)
        return Catalog(path, user_email=self.user_email, database=connect_database(path, self.url))


#: the plugins of the coordinator, as a worker registers them again, in order: a module by its
#: import name, any other plugin object pickled (its class must be importable there)
HostSpec = tuple[tuple[str, str, bytes], ...]


def host_spec(host: PluginHost) -> HostSpec:
    """The plugins of ``host`` in registration order, as a worker rebuilds them.

    :raises ValueError: a plugin is neither a module nor an object that pickles.
    """
    out = []
    for name, plugin in host.pm.list_name_plugin():
        if plugin is None:
            continue  # blocked
        if isinstance(plugin, types.ModuleType):
            out.append((name, plugin.__name__, b""))
            continue
        try:
            out.append((name, "", pickle.dumps(plugin)))
        except Exception as exc:
            raise ValueError(
                f"plugin {name!r} cannot be sent to a shard worker ({type(exc).__name__}: {exc}):"
                " a sharded export needs plugins that are modules or objects that pickle"
            ) from None
    return tuple(out)


def _build_host(spec: HostSpec) -> PluginHost:
    import importlib

    import pluggy

    from rowport import hookspecs

    pm = pluggy.PluginManager("rowport")
    pm.add_hookspecs(hookspecs)
    sources: dict[str, PluginSource] = {}
    for name, module, data in spec:
        plugin = importlib.import_module(module) if module else pickle.loads(data)
        pm.register(plugin, name=name)
        sources[name] = PluginSource(name=name, builtin=module.startswith("rowport_plugins"))
    pm.check_pending()
    return PluginHost(LoadedPlugins(pm=pm, sources=sources, load_errors=[]))


@attrs.frozen(kw_only=True)
class ShardSpec:
    """What a worker needs to run one shard: picklable, small (the plan is the shard's own)."""

    task_id: str
    index: int
    request: dict[str, Any]
    #: the source's plan of this shard (``resume_plan`` of the task's plan, after..last)
    plan: Any
    after: int
    last: int
    rows: int
    #: the shard's folder, where the task's streams are: a path, or an ``s3://`` URL (so a
    #: worker on another host needs no disk shared with the coordinator)
    directory: str
    catalog: CatalogRef
    plugins: HostSpec | None
    batch_size: int
    attempt: int = 1


@attrs.frozen
class BatchCounts:
    """One batch of a shard: plan rows read, rows the plugin step saw and how many of them had
    problems (the error ratio is judged across shards, in key order), lines written."""

    rows: int
    seen: int
    bad: int
    result_lines: int
    errors_lines: int


@attrs.frozen(kw_only=True)
class ShardOutcome:
    """What a shard returns: how it ended, its streams' manifests and its batches."""

    index: int
    after: int
    last: int
    #: ``complete``; ``canceled`` (the task stopped: its streams hold the batches before);
    #: ``failed`` (``error``: the message the task fails with, once earlier shards are merged)
    status: str
    result: StreamManifest
    errors: StreamManifest
    batches: tuple[BatchCounts, ...] = ()
    #: the plan key of the last row of the last whole batch (``after`` when none)
    done_until: int = 0
    error: str | None = None
    pid: int = 0
    #: when the shard began (:func:`time.time_ns`) and each batch's ``(rows, size, start,
    #: read, plugins, encode, write)`` in ns since then (see ``BatchTimings.shard_batches``)
    started_at: int = 0
    timings: tuple[tuple[int, ...], ...] = ()

    @property
    def rows(self) -> int:
        """Plan rows the shard's streams hold."""
        return sum(b.rows for b in self.batches)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``outcome.json``."""
        return {
            "index": self.index,
            "after": self.after,
            "last": self.last,
            "status": self.status,
            "result": self.result.to_dict(),
            "errors": self.errors.to_dict(),
            "batches": [attrs.astuple(b) for b in self.batches],
            "done_until": self.done_until,
            "error": self.error,
            "started_at": self.started_at,
            "timings": self.timings,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShardOutcome:
        """Read the JSON form back."""
        return cls(
            index=int(data["index"]),
            after=int(data["after"]),
            last=int(data["last"]),
            status=str(data["status"]),
            result=StreamManifest.from_dict(data["result"]),
            errors=StreamManifest.from_dict(data["errors"]),
            batches=tuple(BatchCounts(*map(int, b)) for b in data["batches"]),
            done_until=int(data["done_until"]),
            error=data["error"],
            started_at=int(data.get("started_at", 0)),
            timings=tuple(tuple(map(int, t)) for t in data.get("timings", ())),
        )


def read_outcome(place: StreamPlace) -> ShardOutcome | None:
    """A finished shard's outcome kept in its folder (a resume keeps the shard), if it is
    whole: complete, and both streams' manifests as it says; else None."""
    try:
        storage = open_storage(place)
        outcome = ShardOutcome.from_dict(orjson.loads(storage.read(OUTCOME_NAME)))
        if outcome.status != "complete":
            return None
        for name, manifest in (("result", outcome.result), ("errors", outcome.errors)):
            if read_manifest(storage.child(name)) != manifest:
                return None
    except Exception:
        return None
    return outcome


_opened: dict[tuple[CatalogRef, HostSpec | None], tuple[Catalog, PluginHost | None]] = {}


def _open(spec: ShardSpec) -> tuple[Catalog, PluginHost | None]:
    """The catalog and plugins of this worker process (opened once for every shard)."""
    key = (spec.catalog, spec.plugins)
    found = _opened.get(key)
    if found is None:
        catalog = spec.catalog.open()
        host = None if spec.plugins is None else _build_host(spec.plugins)
        found = _opened[key] = (catalog, host)
    return found


def run_shard(spec: ShardSpec) -> ShardOutcome:
    """Run one shard to its end in this process (the executors' task function)."""
    catalog, host = _open(spec)
    request = ExportRequest.from_dict(spec.request)
    storage = open_storage(spec.directory)
    storage.remove()  # an earlier attempt's leftovers
    storage.prepare()
    steps: list[PluginStep] = []
    if host is not None:
        # the error ratio is judged by the coordinator across shards, in key order
        policy = attrs.evolve(ErrorPolicy.of(request.options), max_error_ratio=None)
        steps.append(PluginStep(host, policy))
    context = ExportContext(
        task_id=spec.task_id,
        request=request,
        catalog=catalog,
        options=dict(request.options.plugin_options or {}),
    )
    tasks = catalog.tasks
    last_look = [0.0]

    def stopped() -> bool:
        # the status a few times a second, and whenever the catalog was written meanwhile
        now = time.monotonic()
        if now - last_look[0] < _STATUS_EVERY and not tasks.changed():
            return False
        last_look[0] = now
        return tasks.current_status(spec.task_id) is not TaskStatus.IN_PROGRESS

    with (
        StreamWriter(storage.child("result")) as result,
        StreamWriter(storage.child("errors")) as errors,
    ):
        outcome = _run(spec, catalog, request, steps, context, result, errors, stopped)
    outcome = attrs.evolve(outcome, result=result.manifest, errors=errors.manifest)
    # not fsynced: a shard whose outcome a crash lost runs again
    storage.put(OUTCOME_NAME, orjson.dumps(outcome.to_dict()), durable=False)
    return outcome


def _run(
    spec: ShardSpec,
    catalog: Catalog,
    request: ExportRequest,
    steps: list[PluginStep],
    context: ExportContext,
    result: StreamWriter,
    errors: StreamWriter,
    stopped: Callable[[], bool],
) -> ShardOutcome:
    """The shard's batches; how they ended (the streams are closed by the caller)."""
    from rowport.tasks._pipeline import run_batch

    source = catalog.reads
    layout = PlanLayout.for_request(request)
    assembler = RowAssembler(source, request, layout, sections=sections_read_by(steps))
    key = layout.positions["rid"]
    batches: list[BatchCounts] = []
    timings: list[tuple[int, ...]] = []
    done_until = spec.after
    status, error = "complete", None
    started_at, clock = time.time_ns(), time.perf_counter_ns
    began = mark = clock()  # each batch's time starts where the last one's ended
    try:
        for base in source.iter_batches(spec.plan, spec.batch_size, layout):
            if stopped():
                status = "canceled"
                break
            seen = [(s.rows_seen, s.rows_with_problems) for s in steps]
            encoded, problems, read, plugged, dumped = run_batch(
                assembler, steps, context, base, clock
            )
            size = result.total_size
            result.write_lines(encoded)
            errors.write_lines(problems)
            counted = [
                (s.rows_seen - a, s.rows_with_problems - b)
                for s, (a, b) in zip(steps, seen, strict=True)
            ]
            batches.append(
                BatchCounts(
                    rows=len(base),
                    seen=counted[0][0] if counted else 0,
                    bad=counted[0][1] if counted else 0,
                    result_lines=len(encoded),
                    errors_lines=len(problems),
                )
            )
            done_until = int(base[-1][key])
            result.maybe_commit()
            errors.maybe_commit()
            written = clock()
            marks = (mark, read, plugged, dumped, written)
            timings.append((len(base), result.total_size - size, *(t - began for t in marks)))
            mark = written
        for step in steps:
            step.finish()
    except Exception as exc:  # the task fails with it, once the shards before are merged
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        # the lines of the batch that raised were not written: the streams hold whole batches
    finally:
        for step in steps:
            step.close()  # the checks still being written, whichever way the shard ended
    return ShardOutcome(
        index=spec.index,
        after=spec.after,
        last=spec.last,
        status=status,
        result=StreamManifest.empty(),
        errors=StreamManifest.empty(),
        batches=tuple(batches),
        done_until=done_until,
        error=error,
        pid=os.getpid(),
        started_at=started_at,
        timings=tuple(timings),
    )
