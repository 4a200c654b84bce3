"""Records on the wire: task records and import reports as JSON, and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from rowport.catalog import IngestReport, TaskRecord, TaskStatus
from rowport.errors import IngestError

__all__ = ["report_from_json", "report_to_json", "task_from_json", "task_to_json"]


def task_to_json(record: TaskRecord) -> dict[str, Any]:
    """A task record as JSON (its status by value)."""
    data = attrs.asdict(record)
    data["status"] = record.status.value
    data["metadata"] = dict(record.metadata)
    return data


def task_from_json(data: Mapping[str, Any]) -> TaskRecord:
    """The task record a :func:`task_to_json` object holds."""
    fields: dict[str, Any] = {
        field.name: data.get(field.name) for field in attrs.fields(TaskRecord)
    }
    fields["status"] = TaskStatus(data["status"])
    fields["metadata"] = dict(data.get("metadata") or {})
    fields["deleted"] = bool(data.get("deleted"))
    fields["rows_done"] = int(data.get("rows_done") or 0)
    fields["completion_percentage"] = float(data.get("completion_percentage") or 0)
    return TaskRecord(**fields)


def report_to_json(report: IngestReport) -> dict[str, Any]:
    """An import's report as JSON: counts and the refused lines ``{"line", "reason"}``."""
    data = attrs.asdict(report, filter=lambda a, _: a.name != "errors")
    data["errors"] = [{"line": e.line, "reason": e.reason} for e in report.errors]
    return data


def report_from_json(data: Mapping[str, Any]) -> IngestReport:
    """The report a :func:`report_to_json` object holds."""
    fields = {
        field.name: data[field.name] for field in attrs.fields(IngestReport) if field.name in data
    }
    fields["errors"] = [
        IngestError(int(e["line"]), str(e["reason"])) for e in data.get("errors", ())
    ]
    return IngestReport(**fields)
