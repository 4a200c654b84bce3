"""The coordinator of a sharded export: the plan cut into shards, the shards run on an executor,
their parts merged into the task's streams in key order.

The plan is cut into runs of whole batches (a multiple of the runner's batch size, so every
batch a shard reads is the batch one process would have read: the same rows, the same ERRORS
lines in the same order). Each shard runs on a worker (:func:`~rowport.tasks._shards.run_shard`)
and writes two streams of its own under ``shards/AFTER-LAST/`` beside the task's streams (on
their storage: the task's folder, or its prefix on object storage); it returns its manifests and
per-batch counts. The coordinator merges the shards in key order as soon as each one's
predecessors are merged: their parts are taken into the task's streams whole (renamed on a
disk, copied server-side on object storage: the coordinator's work is per part, not per byte), a
checkpoint is written after each shard (a resume keeps the merged shards, and the finished ones
not merged yet), progress is recorded, and the error policy's ratio is judged batch by batch over
the merged rows, as one process would. A shard whose worker died runs again; a cancel stops
every shard at its next batch, and the streams keep the merged prefix.
"""

from __future__ import annotations

from concurrent.futures import CancelledError, Future, wait
from itertools import islice
from typing import TYPE_CHECKING, Any

import attrs

from rowport.catalog import PlanState, ResumableSource, ShardableSource
from rowport.errors import InvalidInput
from rowport.plugins._model import ErrorPolicy
from rowport.plugins._step import ErrorPolicyExceeded, PluginStep, ratio_exceeded
from rowport.streams import PartInfo, StreamManifest, StreamReader, StreamWriter
from rowport.streams._storage import StreamStorage, join_place, open_storage
from rowport.tasks._executors import ShardExecutor
from rowport.tasks._pipeline import Canceled, missing_lines
from rowport.tasks._shards import (
    OUTCOME_NAME,
    CatalogRef,
    ShardOutcome,
    ShardSpec,
    host_spec,
    read_outcome,
)

if TYPE_CHECKING:
    from rowport.tasks._runner import ExportRunner

__all__ = ["MAX_ATTEMPTS", "ShardFailed", "export_sharded", "shard_rows_for"]

MAX_ATTEMPTS = 3  # runs of a shard whose worker died, before the task fails
SHARDS_PER_WORKER = 4  # shards cut per worker: the faster workers take more of them
MIN_SHARD_ROWS = 2_000  # a shard costs a task (tens of ms): keep them coarse
_LOOK_EVERY = 0.25  # seconds between looks at the task's status while shards run
_COPY_CHUNK = 10_000  # lines copied at once when a shard is merged only in part


class ShardFailed(Exception):
    """A shard ended FAILED: the task fails with its message (``task_message``) as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.task_message = message


def shard_rows_for(remaining: int, workers: int, batch_size: int) -> int:
    """Rows per shard: about :data:`SHARDS_PER_WORKER` shards per worker, at least
    :data:`MIN_SHARD_ROWS`, rounded up to whole batches."""
    rows = max(MIN_SHARD_ROWS, -(-remaining // max(1, workers * SHARDS_PER_WORKER)))
    return -(-rows // batch_size) * batch_size


@attrs.define
class _Merge:
    """What the coordinator has merged: rows, and the error ratio's counts in key order."""

    seen: int = 0
    bad: int = 0


def export_sharded(
    runner: ExportRunner[Any],
    executor: ShardExecutor,
    plan: Any,
    result: StreamWriter,
    errors: StreamWriter,
    *,
    shard_rows: int | None = None,
) -> None:
    """Run ``plan`` (the task's, or a resumed task's rest) as shards on ``executor``, merging
    them into ``result`` and ``errors``; raises as the runner's own loop would (a cancel, the
    error policy, a shard's failure as :class:`ShardFailed`)."""
    source = runner.source
    if not isinstance(source, ShardableSource) or not isinstance(source, ResumableSource):
        raise InvalidInput("this export source cannot be sharded: run the export locally")
    plugin_steps = [step for step in runner.steps if isinstance(step, PluginStep)]
    if len(plugin_steps) != len(runner.steps):
        raise InvalidInput("only the plugins' step runs in shards: run this export locally")
    if plan.missing and runner.checkpoint_after is None:
        errors.write_lines(missing_lines(runner.request, plan.missing))
    total = plan.total
    if total is None:
        total = source.count(plan, lambda: False) or 0
    if runner.rows_planned is None:
        runner.rows_planned = total
    per = shard_rows or shard_rows_for(
        max(0, total - runner.rows_done), executor.workers, runner.batch_size
    )
    if per % runner.batch_size:
        raise InvalidInput(
            f"shard_rows must be a multiple of the batch size {runner.batch_size}, got {per}"
        )
    shards = open_storage(join_place(runner.streams, "shards"))
    plugins = host_spec(plugin_steps[0].host) if plugin_steps else None
    specs = [
        ShardSpec(
            task_id=runner.task_id,
            index=i,
            request=runner.request.to_dict(),
            plan=source.resume_plan(plan, PlanState(bound=last, rows=rows, digest=""), after),
            after=after,
            last=last,
            rows=rows,
            directory=shards.child(f"{after}-{last}").location,
            catalog=CatalogRef.of(runner.context.catalog),
            plugins=plugins,
            batch_size=runner.batch_size,
        )
        for i, (after, last, rows) in enumerate(source.shard_bounds(plan, per))
    ]
    _Coordinator(runner, executor, specs, result, errors).run()
    shards.remove()


class _Coordinator:
    def __init__(
        self,
        runner: ExportRunner[Any],
        executor: ShardExecutor,
        specs: list[ShardSpec],
        result: StreamWriter,
        errors: StreamWriter,
    ) -> None:
        self.runner = runner
        self.executor = executor
        self.specs = specs
        self.result = result
        self.errors = errors
        self.policy = ErrorPolicy.of(runner.request.options)
        self.counts = _Merge()
        self.outcomes: dict[int, ShardOutcome] = {}
        self.running: dict[Future[ShardOutcome], ShardSpec] = {}

    def run(self) -> None:
        for spec in self.specs:
            kept = read_outcome(spec.directory)
            if kept is not None and (kept.after, kept.last) == (spec.after, spec.last):
                self.outcomes[spec.index] = kept  # a resume keeps a finished shard
            else:
                self.running[self.executor.submit(spec)] = spec
        try:
            self._merge_all()
        finally:
            for future in self.running:
                future.cancel()
        if self.policy.max_error_ratio is not None:
            exceeded = ratio_exceeded(self.counts.seen, self.counts.bad, self.policy, end=True)
            if exceeded is not None:
                raise ErrorPolicyExceeded(exceeded)

    def _merge_all(self) -> None:
        runner = self.runner
        next_index = 0
        while next_index < len(self.specs):
            while next_index in self.outcomes:
                self._merge(self.outcomes.pop(next_index))
                next_index += 1
            if next_index >= len(self.specs):
                return
            # a cancel (the task's status, which every shard reads too) stops each shard at
            # its next batch, and a queued one at its first: their futures are left to end
            # (a canceled Dask future would drop the rows its shard wrote before it stopped)
            runner.canceled()
            done, _ = wait(self.running, timeout=_LOOK_EVERY, return_when="FIRST_COMPLETED")
            for future in done:
                self._finished(future, self.running.pop(future))
            self._record_progress()

    def _finished(self, future: Future[ShardOutcome], spec: ShardSpec) -> None:
        try:
            self.outcomes[spec.index] = future.result()
            return
        except CancelledError:
            outcome = _ended(spec, "canceled", None)
        except Exception as exc:
            if self.executor.worker_lost(exc) and spec.attempt < MAX_ATTEMPTS:
                again = attrs.evolve(spec, attempt=spec.attempt + 1)
                self.running[self.executor.submit(again)] = again
                return
            outcome = _ended(
                spec,
                "failed",
                f"ShardWorkerLost: shard {spec.index} (keys {spec.after + 1} to {spec.last})"
                f" failed on {self.executor.name} after {spec.attempt} attempt(s):"
                f" {type(exc).__name__}: {exc}",
            )
        self.outcomes[spec.index] = outcome

    def _record_progress(self) -> None:
        runner = self.runner
        done = runner.rows_done + sum(o.rows for o in self.outcomes.values())
        runner.record_progress(done)

    def _merge(self, outcome: ShardOutcome) -> None:
        """Append a shard to the task's streams; raise when the export ends with it."""
        runner = self.runner
        shard = open_storage(self.specs[outcome.index].directory)
        for position, batch in enumerate(outcome.batches):
            seen, bad = self.counts.seen + batch.seen, self.counts.bad + batch.bad
            exceeded = ratio_exceeded(seen, bad, self.policy)
            if exceeded is not None:
                # one process stops in this batch: the streams keep the batches before it
                self._copy_batches(shard, outcome, position)
                raise ErrorPolicyExceeded(exceeded)
            self.counts.seen, self.counts.bad = seen, bad
        # the shard's parts leave its folder: it is no longer one a resume could keep
        shard.delete(OUTCOME_NAME)
        for name, writer, manifest in (
            ("result", self.result, outcome.result),
            ("errors", self.errors, outcome.errors),
        ):
            for part in writer.adopt(shard.child(name), manifest):
                runner.committed(name, part)
        self._timed(outcome, len(outcome.batches))
        self._advance(outcome.rows, outcome.done_until if outcome.batches else None)
        shard.remove()
        if outcome.status == "canceled":
            runner.cancel_event.set()
            raise Canceled
        if outcome.status == "failed":
            raise ShardFailed(outcome.error or "the shard failed")

    def _advance(self, rows: int, until: int | None) -> None:
        runner = self.runner
        runner.rows_done += rows
        if until is not None:
            runner.save_checkpoint(self.result, self.errors, until)
        runner.record_progress(runner.rows_done)

    def _copy_batches(self, shard: StreamStorage, outcome: ShardOutcome, count: int) -> None:
        """Write the first ``count`` batches of a shard to the task's streams (line by line:
        the shard's parts hold more)."""
        kept = outcome.batches[:count]
        for name, writer, lines in (
            ("result", self.result, sum(b.result_lines for b in kept)),
            ("errors", self.errors, sum(b.errors_lines for b in kept)),
        ):
            reader = StreamReader(shard.child(name))
            source = (line.data for line in reader.iter_lines(0)) if lines else iter(())
            remaining = lines
            while remaining:
                chunk = list(islice(source, min(remaining, _COPY_CHUNK)))
                writer.write_lines(chunk)
                remaining -= len(chunk)
            part: PartInfo | None = writer.commit()
            self.runner.committed(name, part)
        if kept:
            self._timed(outcome, count)
            self._advance(sum(b.rows for b in kept), _last_key_before(outcome, count))

    def _timed(self, outcome: ShardOutcome, count: int) -> None:
        """Record the timings of the first ``count`` batches of a merged shard."""
        timings = self.runner.timings
        timings.shard_batches(outcome.timings[:count], outcome.started_at)
        timings.flush()


def _last_key_before(outcome: ShardOutcome, count: int) -> int | None:
    """The key a checkpoint names after ``count`` batches of a shard: known only at its end."""
    return outcome.done_until if count == len(outcome.batches) else None


def _ended(spec: ShardSpec, status: str, error: str | None) -> ShardOutcome:
    """The outcome of a shard that wrote nothing (never ran, or its worker kept dying)."""
    empty = StreamManifest.empty()
    return ShardOutcome(
        index=spec.index,
        after=spec.after,
        last=spec.last,
        status=status,
        result=empty,
        errors=empty,
        done_until=spec.after,
        error=error,
    )
