"""What the console's task page and ``rowport report`` show of a task, as plain data.

:func:`task_view` reads an embedded task (its record, its request, its streams' totals, its
per-batch timings and its ERRORS stream) into a :class:`TaskView`; the console renders it as a
page and :func:`rowport.server.console.render_report` as one self-contained file. Nothing here
writes, and nothing reads more than :data:`MAX_ERROR_LINES` error lines.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import attrs
import orjson

from rowport.api._records import task_to_json
from rowport.client import Client
from rowport.errors import NotFound
from rowport.streams import StreamReader
from rowport.tasks import ExportTask, TaskManager
from rowport.tasks._timings import STAGES, read_timings

__all__ = [
    "MAX_ERROR_LINES",
    "ErrorGroup",
    "TaskView",
    "error_groups",
    "preview_lines",
    "stream_totals",
    "task_kind",
    "task_progress",
    "task_summary",
    "task_view",
    "throughput",
]

MAX_ERROR_LINES = 20_000  # error lines grouped per view (a count past it says "at least")
FIRST_ROWS = 3  # lines shown of each error group
PLOT_POINTS = 120  # buckets of the throughput plot


@attrs.frozen(kw_only=True)
class ErrorGroup:
    """The ERRORS lines of one code, plugin and media type: how many, and the first few."""

    code: str
    plugin: str
    media_type: str
    count: int
    first: tuple[str, ...]  # pretty-printed lines


@attrs.frozen(kw_only=True)
class TaskView:
    """A task as its page shows it."""

    task: dict[str, Any]  # the record as JSON (task_to_json), plus "kind"
    request: dict[str, Any]  # kind, scope, params, filters, options as stored
    streams: dict[str, dict[str, Any]]  # result/errors: lines, bytes, complete
    stages: dict[str, float]  # seconds per stage (plan, read, plugins, encode, write)
    plot: dict[str, list[float]]  # "t" seconds, "rate" rows/s, "mb" MB/s
    batches: int
    seconds: float  # the batches' time (plan included)
    errors: tuple[ErrorGroup, ...]
    errors_read: int  # error lines grouped
    errors_total: int


def _folder(task: ExportTask) -> Path:
    manager = task.backend
    if not isinstance(manager, TaskManager):
        raise TypeError(f"a task view reads an embedded task, not {manager!r}")
    return manager.task_dir(task.uid)


def _reader(task: ExportTask, stream: str) -> StreamReader:
    return StreamReader(_folder(task) / stream)


def _age(created_at: str) -> str:
    try:
        created = datetime.datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        return ""
    seconds = (datetime.datetime.now(datetime.timezone.utc) - created).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{max(seconds, 0):.0f} s"


def task_kind(task: ExportTask) -> str:
    """The export kind of ``task``'s request (``""`` when it has none)."""
    request = task._record.metadata.get("request") or {}
    return str(request.get("kind", ""))


def stream_totals(task: ExportTask) -> dict[str, int]:
    """``task``'s streams' totals as the tasks page shows them (two manifests read)."""
    result, errors = _reader(task, "result"), _reader(task, "errors")
    return {
        "result_lines": result.total_lines,
        "result_bytes": result.total_size,
        "error_lines": errors.total_lines,
    }


def task_summary(task: ExportTask, totals: Mapping[str, int] | None = None) -> dict[str, Any]:
    """One row of the tasks page: the record as JSON, its kind, streams' totals (``totals``
    when they were read already, see :func:`stream_totals`) and age."""
    record = task._record
    data = task_to_json(record)
    data["kind"] = task_kind(task)
    data.update(stream_totals(task) if totals is None else totals)
    data["age"] = _age(record.created_at)
    return data


def throughput(
    timings: Sequence[Mapping[str, Any]], points: int = PLOT_POINTS
) -> dict[str, list[float]]:
    """Rows and MB per second over the export's time, in up to ``points`` equal buckets
    (the runs of a resumed task one after the other)."""
    marks: list[tuple[float, int, int]] = []  # (end second, rows, bytes)
    offset = last = 0.0
    for line in timings:
        if line.get("kind") == "plan":
            offset = last  # a new run starts where the last one ended
        elif line.get("kind") == "batch":
            last = offset + float(line["at"])
            marks.append((last, int(line["rows"]), int(line["bytes"])))
    if not marks:
        return {"t": [], "rate": [], "mb": []}
    width = max(last / points, 0.05)
    buckets = int(last / width) + 1
    rows, size = [0] * buckets, [0] * buckets
    for at, n, b in marks:
        index = min(int(at / width), buckets - 1)
        rows[index] += n
        size[index] += b
    return {
        "t": [round((i + 1) * width, 3) for i in range(buckets)],
        "rate": [round(n / width, 1) for n in rows],
        "mb": [round(b / width / 1e6, 3) for b in size],
    }


def _stages(timings: Iterable[Mapping[str, Any]]) -> tuple[dict[str, float], int]:
    totals = dict.fromkeys(STAGES, 0.0)
    batches = 0
    for line in timings:
        if line.get("kind") == "plan":
            totals["plan"] += float(line.get("seconds", 0))
        elif line.get("kind") == "batch":
            batches += 1
            for stage in STAGES[1:]:
                totals[stage] += float(line.get(stage, 0))
    return {k: round(v, 4) for k, v in totals.items()}, batches


def _pretty(data: bytes) -> str:
    try:
        return orjson.dumps(orjson.loads(data), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        return data.decode("utf-8", "replace")


def error_groups(client: Client, reader: StreamReader) -> tuple[list[ErrorGroup], int]:
    """The ERRORS stream's lines grouped by code, plugin and media type (the line's
    ``details.media_type``, else its data row's in the catalog), largest groups first; and how
    many lines were read (at most :data:`MAX_ERROR_LINES`)."""
    lines = [
        (item.data, orjson.loads(item.data))
        for item in islice(reader.iter_lines(0), MAX_ERROR_LINES)
    ]
    row_ids = {
        str(p["data_row"]["id"])
        for _, p in lines
        if isinstance(p.get("data_row"), dict) and p["data_row"].get("id")
    }
    media = _media_types(client, sorted(row_ids))
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for raw, p in lines:
        details = p.get("details") if isinstance(p.get("details"), dict) else {}
        row = p.get("data_row") if isinstance(p.get("data_row"), dict) else {}
        media_type = details.get("media_type") or media.get(str(row.get("id")), "")
        key = (str(p.get("code", "")), str(p.get("plugin") or ""), str(media_type or ""))
        group = groups.setdefault(key, [0, []])
        group[0] += 1
        if len(group[1]) < FIRST_ROWS:
            group[1].append(_pretty(raw))
    ordered = sorted(groups.items(), key=lambda item: (-item[1][0], item[0]))
    return [
        ErrorGroup(code=c, plugin=p, media_type=m, count=n, first=tuple(first))
        for (c, p, m), (n, first) in ordered
    ], len(lines)


def _media_types(client: Client, ids: Sequence[str]) -> dict[str, str]:
    """The media type of each data row still in the catalog, by id."""
    found: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        try:
            rows = client.catalog.rows.get_data_rows(chunk)
        except NotFound:  # a row deleted since: ask one by one
            rows = []
            for one in chunk:
                try:
                    rows.extend(client.catalog.rows.get_data_rows([one]))
                except NotFound:
                    continue
        found.update({str(r["id"]): str(r.get("media_type") or "") for r in rows})
    return found


def preview_lines(reader: StreamReader, line: int, count: int) -> list[tuple[int, str]]:
    """Up to ``count`` committed lines from ``line``, pretty-printed, with their numbers."""
    return [(item.line, _pretty(item.data)) for item in islice(reader.iter_lines(line), count)]


def task_progress(task: ExportTask) -> dict[str, Any]:
    """What a running task's page updates live: its summary, the plot and the batches'
    seconds (no error lines: reading those is left to the page's loads)."""
    task.refresh()
    timings = read_timings(_folder(task))
    stages, _ = _stages(timings)
    return {
        "task": task_summary(task),
        "plot": throughput(timings),
        "seconds": round(sum(stages.values()), 3),
        "final": task._record.status.is_final,
    }


def task_view(client: Client, task: ExportTask) -> TaskView:
    """Everything the task page shows of ``task`` (an embedded task of ``client``)."""
    task.refresh()
    summary = task_summary(task)
    request = dict(task._record.metadata.get("request") or {})
    folder = _folder(task)
    timings = read_timings(folder)
    stages, batches = _stages(timings)
    errors_reader = _reader(task, "errors")
    groups, read = error_groups(client, errors_reader)
    streams = {
        name: {"lines": reader.total_lines, "bytes": reader.total_size, "complete": reader.complete}
        for name, reader in (("result", _reader(task, "result")), ("errors", errors_reader))
    }
    return TaskView(
        task=summary,
        request=request,
        streams=streams,
        stages=stages,
        plot=throughput(timings),
        batches=batches,
        seconds=round(sum(stages.values()), 3),
        errors=tuple(groups),
        errors_read=read,
        errors_total=errors_reader.total_lines,
    )
