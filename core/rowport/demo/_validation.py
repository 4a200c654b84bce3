"""The demo's validation fixtures, exported: what the media plugins say about broken rows."""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Callable
from typing import Any

import attrs

from rowport.client import Client
from rowport.demo._build import DemoCatalog
from rowport.tasks import StreamType, TaskStatus

__all__ = ["ValidationSummary", "export_validation_fixtures", "print_validation"]

Echo = Callable[[str], object]
_MESSAGE_WIDTH = 100


@attrs.frozen(kw_only=True)
class ValidationSummary:
    """The ERRORS of the validation fixtures' exports: codes with counts and one example."""

    task_ids: dict[str, str]  # by media type
    statuses: dict[str, str]  # by media type
    codes: dict[str, int]  # ERRORS lines by code, most frequent first
    example: dict[str, Any] | None  # the first ERRORS line
    example_task_id: str | None
    rows: int  # RESULT lines of all the fixtures' exports

    @property
    def error_lines(self) -> int:
        """How many ERRORS lines the fixtures' exports wrote together."""
        return sum(self.codes.values())


def export_validation_fixtures(client: Client, demo: DemoCatalog) -> ValidationSummary:
    """Export every "validation fixtures" project (default params) and tally its ERRORS."""
    task_ids: dict[str, str] = {}
    statuses: dict[str, str] = {}
    codes: Counter[str] = Counter()
    example: dict[str, Any] | None = None
    example_task: str | None = None
    rows = 0
    for media_type, project_id in demo.broken_project_ids.items():
        name = f"validation-{media_type}"
        task = client.get_project(project_id).export(task_name=name)
        task.wait_till_done(timeout_seconds=600)
        task_ids[media_type], statuses[media_type] = task.uid, task.status
        if task.status != TaskStatus.COMPLETE:
            continue
        rows += task.get_total_lines(StreamType.RESULT) or 0
        if not task.has_errors():
            continue
        for output in task.get_buffered_stream(StreamType.ERRORS):
            codes[output.json["code"]] += 1
            if example is None:
                example, example_task = output.json, task.uid
    return ValidationSummary(
        task_ids=task_ids,
        statuses=statuses,
        codes=dict(codes.most_common()),
        example=example,
        example_task_id=example_task,
        rows=rows,
    )


def print_validation(summary: ValidationSummary, echo: Echo) -> None:
    """Codes with counts and one example message, as the end of the demo shows them."""
    projects = len(summary.task_ids)
    echo(f"\nValidation: {projects} 'validation fixtures' projects hold deliberately broken rows.")
    echo(
        f"Their exports wrote {summary.rows} rows and {summary.error_lines} ERRORS lines, by code:"
    )
    for code, count in summary.codes.items():
        echo(f"  {code:<28}{count:>4}")
    failed = [m for m, status in summary.statuses.items() if status != TaskStatus.COMPLETE]
    if failed:
        echo(f"  exports that did not complete: {', '.join(failed)}")
    if summary.example is not None:
        row = summary.example.get("data_row") or {}
        message = textwrap.wrap(
            str(summary.example.get("message", "")),
            width=_MESSAGE_WIDTH,
            max_lines=4,
            placeholder=" …",
        )
        echo(
            f"  for example, {row.get('global_key') or row.get('id')}"
            f" ({summary.example.get('plugin')}, {summary.example.get('code')}):"
        )
        for line in message:
            echo(f"    {line}")
