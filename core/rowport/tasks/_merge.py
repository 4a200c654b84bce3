"""One RESULT stream of a task and its retry: the original rows with the retried ones in plan
order (``rowport tasks merge``)."""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

import orjson

from rowport.catalog import READABLE_STATUSES, TaskStatus
from rowport.errors import InvalidInput, StreamCorrupted
from rowport.streams import StreamReader, manifest_required

if TYPE_CHECKING:
    from rowport.tasks._manager import TaskManager

__all__ = ["merged_lines"]

_LOOKUP = 2000  # original lines whose keys are read at once


def merged_lines(
    manager: TaskManager[Any], task_id: str, retry_id: str | None = None
) -> Iterator[bytes]:
    """The RESULT lines of ``task_id`` with those of its retry ``retry_id`` (default: the
    latest) in plan order: a retried row's line replaces the original's (a row the retry
    dropped is dropped), the others keep their place.

    :raises InvalidInput: ``retry_id`` is not a retry of ``task_id``, or either task's RESULT
        is not readable (it is not COMPLETE or CANCELED).
    :raises StreamCorrupted: a stream does not match its manifest.
    """
    retries = manager.require_history().linked_tasks(task_id)["retries"]
    if retry_id is None:
        if not retries:
            raise InvalidInput(f"task {task_id} has no retry: start one with `tasks retry`")
        retry_id = str(retries[-1])
    elif retry_id not in retries:
        raise InvalidInput(
            f"task {retry_id} is not a retry of task {task_id}"
            + (f" (its retries: {', '.join(retries)})" if retries else " (it has none)")
        )
    for uid in (task_id, retry_id):
        status = manager.tasks.current_status(uid)
        if status not in READABLE_STATUSES:
            raise InvalidInput(f"task {uid} is {status}: only a COMPLETE or CANCELED RESULT merges")
    retried = set(manager.tasks.get_task(retry_id).metadata.get("retry_rows") or ())
    kept = _keyed(manager, _lines(manager, task_id), skip=retried)
    replacements = _keyed(manager, _lines(manager, retry_id))
    return (data for _, _, data in heapq.merge(kept, replacements))


def _lines(manager: TaskManager[Any], task_id: str) -> Iterator[bytes]:
    directory = manager.stream_dir(task_id, "result")
    complete = manager.tasks.current_status(task_id) is TaskStatus.COMPLETE
    reader = StreamReader(
        directory, required=manifest_required(directory, complete=complete, finished=True)
    )
    return (line.data for line in reader.iter_lines(0))


def _keyed(
    manager: TaskManager[Any], lines: Iterator[bytes], *, skip: Collection[str] = ()
) -> Iterator[tuple[int, int, bytes]]:
    """``(plan key, position, line)`` of each line whose row is not in ``skip``; a row no
    longer in the catalog keeps the key of the line before it (its place in the stream)."""
    position = 0
    key = -1
    while chunk := list(islice(lines, _LOOKUP)):
        ids = [_row_id(data) for data in chunk]
        keys = manager.require_resumable().data_row_keys(ids)
        for row_id, data in zip(ids, chunk, strict=True):
            key = keys.get(row_id, key)
            if row_id not in skip:
                yield key, position, data
            position += 1


def _row_id(data: bytes) -> str:
    try:
        row = orjson.loads(data)
        value = row["data_row"]["id"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise StreamCorrupted(
            "RESULT stream", f"a line is not an export row: {data[:80]!r}"
        ) from None
    if not isinstance(value, str):
        raise StreamCorrupted("RESULT stream", f"a line's data_row.id is not a string: {value!r}")
    return value
