"""Converting a finished task's RESULT stream without exporting again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rowport.catalog import READABLE_STATUSES, TaskStatus
from rowport.errors import InvalidInput
from rowport.formats._convert import ConversionReport, convert_lines
from rowport.formats._delivery import part_batches, record_report
from rowport.formats._registry import build_conversion, parse_format_requests
from rowport.streams import StreamReader, manifest_required

__all__ = ["convert_task"]


def convert_task(
    manager: Any,
    task_id: str,
    format: str,
    output: str | Path,
    options: dict[str, Any] | None = None,
    *,
    strict: bool = False,
    overwrite: bool = False,
) -> ConversionReport:
    """Convert the RESULT stream of a COMPLETE (or CANCELED) task to ``format`` at ``output``.

    The report is written as ``lossiness.json`` with the output and added to the task's
    summary (``formats.json`` in its directory).

    :raises InvalidInput: the task is not finished, or the format, an option or the output is
        wrong (the message names it).
    :raises FormatLossError: ``strict`` and something could not be carried (nothing is
        published).
    """
    if manager.host is None:
        raise InvalidInput("converting needs plugins: this task manager has no plugin host")
    record = manager.tasks.get_task(task_id)
    if record.status not in READABLE_STATUSES:
        raise InvalidInput(
            f"task {task_id} is {record.status}; only COMPLETE or CANCELED tasks can be converted"
        )
    (request,) = parse_format_requests(
        [
            {
                "name": format,
                "output": output,
                "options": options or {},
                "strict": strict,
                "overwrite": overwrite,
            }
        ]
    )
    conversion = build_conversion(manager.host, request, manager.catalog)
    result_dir = manager.stream_dir(task_id, "result")
    required = manifest_required(
        result_dir, complete=record.status is TaskStatus.COMPLETE, finished=True
    )
    parts = StreamReader(result_dir, required=required).manifest.parts
    try:
        report = convert_lines(
            conversion, (batch for part in parts for batch in part_batches(result_dir, part))
        )
    except Exception as exc:
        record_report(manager.task_dir(task_id), conversion.abort(str(exc)))
        raise
    record_report(manager.task_dir(task_id), report)
    return report
