"""What resuming a task and retrying its failed rows decide before a runner starts.

Resume: the task's checkpoint (``checkpoint.json``) names the parts of each stream that hold
whole rows and the plan key of the last of them. The plan is made again from the task's request,
bounded as it was, and its state compared with the one recorded when the task started; then
both streams are rewound to the checkpoint (the kept parts checked against the manifest) and the
runner continues after that key. The kept parts' sizes are checked at once; their sha256, line
counts and indexes in a thread beside the resumed export, which the runner waits for before it
closes the streams (a mismatch then fails the attempt with :class:`StreamCorrupted`): the
check costs a read of the kept bytes, which would otherwise come before the first new row.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import attrs
import orjson

from rowport.catalog import PlanState, TaskRecord, TaskStatus
from rowport.catalog._tasks import runner_identity
from rowport.errors import InvalidInput, StreamCorrupted, TaskChanged
from rowport.request import ExportRequest
from rowport.streams import StreamManifest, StreamReader, manifest_required, rewind_stream
from rowport.streams._storage import StreamPlace, open_storage
from rowport.streams._verify import verify_stream
from rowport.tasks._checkpoint import Checkpoint

if TYPE_CHECKING:
    from rowport.tasks._manager import TaskManager
    from rowport.tasks._task import ExportTask

__all__ = ["ResumeReport", "Resumption", "prepare_resume", "retry_rows"]


@attrs.define
class ResumeReport:
    """What :meth:`TaskManager.resume_interrupted` did: the tasks resumed, and why the others
    were not (``{task id: message}``)."""

    resumed: list[ExportTask] = attrs.field(factory=list)
    refused: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen
class Resumption:
    """A task ready to run again: its request, its remaining plan and where its streams are."""

    request: ExportRequest
    make_plan: Callable[[], Any]
    checkpoint: Checkpoint
    note: str | None
    #: waits for the check of the kept parts; raises StreamCorrupted on a mismatch
    check: Callable[[], None]


class _KeptPartsCheck:
    """Checks kept parts (sha256, line counts, indexes) in a thread; calling it waits for the
    result and raises :class:`StreamCorrupted` naming the stream and the parts that differ."""

    def __init__(self, streams: list[tuple[StreamPlace, StreamManifest]]) -> None:
        self._problems: list[tuple[StreamPlace, list[str]]] = []
        self._thread = threading.Thread(
            target=self._run, args=(streams,), name="rowport-resume-check", daemon=True
        )
        self._thread.start()

    def _run(self, streams: list[tuple[StreamPlace, StreamManifest]]) -> None:
        for directory, manifest in streams:
            try:
                found = verify_stream(directory, manifest, index_entries=False)
            except Exception as exc:  # an unreadable folder is a damaged one
                found = [f"{type(exc).__name__}: {exc}"]
            if found:
                self._problems.append((directory, found))

    def __call__(self) -> None:
        self._thread.join()
        if self._problems:
            directory, found = self._problems[0]
            raise StreamCorrupted(open_storage(directory).location, "; ".join(found))


def prepare_resume(
    manager: TaskManager[Any], record: TaskRecord, *, allow_changed: bool
) -> Resumption:
    """Check that ``record``'s task can resume, claim it (IN_PROGRESS again) and rewind its
    streams to its checkpoint. See :meth:`TaskManager.resume` for what is raised."""
    task_id = record.id
    if record.status is TaskStatus.COMPLETE:
        raise InvalidInput(f"task {task_id} is COMPLETE: there is nothing to resume")
    if not record.status.is_final:
        raise InvalidInput(
            f"task {task_id} is {record.status} and its runner ({record.runner}) is alive:"
            " wait for it, or cancel it and resume it then"
        )
    if "request" not in record.metadata:
        raise InvalidInput(f"task {task_id} is not an export task: it cannot be resumed")
    request = ExportRequest.from_dict(record.metadata["request"])
    directory = manager.task_dir(task_id)
    history, source = manager.require_history(), manager.require_resumable()
    plan = manager.planner(record.metadata, request)()
    checkpoint = Checkpoint.read(directory) or Checkpoint()
    note = None
    if checkpoint.plan is None:  # the runner died before it planned: start from the first row
        checkpoint = Checkpoint(plan=source.plan_state(plan))
    else:
        now = source.plan_state(source.resume_plan(plan, checkpoint.plan, None))
        if now != checkpoint.plan:
            if not allow_changed:
                raise TaskChanged(_changed(task_id, checkpoint.plan, now))
            note = "resumed with allow_changed: " + _difference(checkpoint.plan, now)
            checkpoint = attrs.evolve(checkpoint, plan=now)
    if not history.reopen_task(task_id, runner=runner_identity()):
        status = manager.tasks.current_status(task_id)
        raise InvalidInput(f"task {task_id} is {status} now: another process resumed it first")
    try:
        kept = [
            (place, rewind_stream(place, parts, verify=False))
            for name, parts in (
                ("result", checkpoint.result_parts),
                ("errors", checkpoint.errors_parts),
            )
            for place in [manager.stream_dir(task_id, name)]
        ]
        checkpoint.write(directory)
    except Exception as exc:
        manager.tasks.set_status(
            task_id, TaskStatus.FAILED, error=f"resume refused: {type(exc).__name__}: {exc}"
        )
        raise
    state = checkpoint.plan
    assert state is not None
    rest = source.resume_plan(plan, state, checkpoint.after)
    return Resumption(request, lambda: rest, checkpoint, note, _KeptPartsCheck(kept))


def _difference(then: PlanState, now: PlanState) -> str:
    if then.rows != now.rows:
        return (
            f"its plan had {then.rows:,} rows up to key {then.bound} when it started and has"
            f" {now.rows:,} now"
        )
    return f"rows of its plan (keys up to {then.bound}) were updated, deleted or replaced"


def _changed(task_id: str, then: PlanState, now: PlanState) -> str:
    return (
        f"task {task_id} cannot be resumed as it was: the catalog changed since it started"
        f" ({_difference(then, now)}); resume with allow_changed=True (--allow-changed) to"
        " continue with the catalog as it is now"
    )


def retry_rows(manager: TaskManager[Any], record: TaskRecord) -> list[str]:
    """The ids of the data rows named by ``record``'s ERRORS lines, in stream order, once each.

    :raises InvalidInput: the task has not ended, or no ERRORS line names a data row.
    """
    if not record.status.is_final:
        raise InvalidInput(f"task {record.id} is {record.status}: retry it once it has ended")
    if "request" not in record.metadata:
        raise InvalidInput(f"task {record.id} is not an export task: it cannot be retried")
    directory = manager.stream_dir(record.id, "errors")
    complete = record.status is TaskStatus.COMPLETE
    reader = StreamReader(
        directory, required=manifest_required(directory, complete=complete, finished=True)
    )
    ids = list(dict.fromkeys(_row_ids(line.data for line in reader.iter_lines(0))))
    if not ids:
        raise InvalidInput(
            f"task {record.id} has no ERRORS line that names a data row: nothing to retry"
        )
    return ids


def _row_ids(lines: Iterable[bytes]) -> Iterable[str]:
    for data in lines:
        try:
            line = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise StreamCorrupted("ERRORS stream", f"a line is not JSON: {data[:80]!r}") from None
        row = line.get("data_row") if isinstance(line, dict) else None
        if isinstance(row, dict) and isinstance(row.get("id"), str):
            yield row["id"]
