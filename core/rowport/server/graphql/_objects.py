"""The objects the SDK selects, shaped from rowport's catalog records and tasks.

The SDK reads every field it selected as a key (a missing one is a ``KeyError``; a null is
fine) and its dates as ``%Y-%m-%dT%H:%M:%S.%fZ``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rowport._time import parse_ts
from rowport.catalog import TaskStatus
from rowport.tasks import ExportTask

__all__ = [
    "TASK_TYPE",
    "dataset",
    "model_run",
    "organization",
    "project",
    "sdk_time",
    "slice_",
    "task",
    "user",
]

TASK_TYPE = "export-data-rows"


def sdk_time(value: Any) -> str | None:
    """A rowport timestamp as the SDK writes dates: ``2024-01-02T03:04:05.000Z``."""
    if not value:
        return None
    moment = parse_ts(str(value))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _times(record: Mapping[str, Any]) -> dict[str, Any]:
    created = sdk_time(record.get("created_at"))
    return {"createdAt": created, "updatedAt": sdk_time(record.get("updated_at")) or created}


def project(record: Mapping[str, Any]) -> dict[str, Any]:
    """``GetProjectPyApi``'s project."""
    times = _times(record)
    return {
        "autoAuditNumberOfLabels": None,
        "autoAuditPercentage": None,
        "dataRowCount": record.get("data_row_count"),
        "description": record.get("description") or "",
        "editorTaskType": None,
        "isBenchmarkEnabled": False,
        "isConsensusEnabled": False,
        "lastActivityTime": times["updatedAt"],
        "allowedMediaType": record.get("media_type"),
        "modelSetupComplete": None,
        "name": record.get("name"),
        "setupComplete": None,
        "id": record["id"],
        "uploadType": None,
        **times,
    }


def dataset(record: Mapping[str, Any], row_count: int | None) -> dict[str, Any]:
    """``GetDatasetPyApi``'s dataset."""
    return {
        "description": record.get("description") or "",
        "name": record.get("name"),
        "rowCount": row_count,
        "id": record["id"],
        **_times(record),
    }


def model_run(record: Mapping[str, Any]) -> dict[str, Any]:
    """``GetModelRunPyApi``'s model run."""
    return {
        "createdBy": record.get("created_by"),
        "modelAppId": None,
        "modelId": record.get("model_id"),
        "name": record.get("name"),
        "trainingMetadata": record.get("training_metadata"),
        "id": record["id"],
        **_times(record),
    }


def slice_(record: Mapping[str, Any]) -> dict[str, Any]:
    """``getSavedQueryPyApi``'s saved query (a slice)."""
    return {
        "id": record["id"],
        "name": record.get("name"),
        "description": record.get("description") or "",
        "filter": record.get("filters"),
        **_times(record),
    }


def user(record: Mapping[str, Any], timezone: str) -> dict[str, Any]:
    """``GetUserPyApi``'s user (``CurrentUserPyApi`` reads ``timezone``)."""
    name = record.get("name") or record.get("email")
    times = _times(record)
    return {
        "email": record.get("email"),
        "isExternalUser": False,
        "isViewer": False,
        "lastLoginAt": times["createdAt"],
        "nickname": name,
        "name": name,
        "picture": None,
        "id": record["id"],
        "timezone": timezone,
        **times,
    }


def organization(record: Mapping[str, Any]) -> dict[str, Any]:
    """``GetOrganizationPyApi``'s organization."""
    return {"name": record.get("name"), "id": record["id"], **_times(record)}


def task(handle: ExportTask) -> dict[str, Any]:
    """A task as ``GetUserCreatedTasksPyApi`` lists it; CANCELLING still reads IN_PROGRESS
    (the SDK polls while a task is in progress)."""
    handle.refresh()
    status = handle.status
    shown = TaskStatus.IN_PROGRESS if status is TaskStatus.CANCELLING else status
    return {
        "completionPercentage": handle.completion_percentage,
        "createdAt": sdk_time(handle.created_at),
        "updatedAt": sdk_time(handle.updated_at),
        "errors": handle.errors_message,
        "metadata": None,
        "name": handle.name,
        "result": None,
        "status": shown.value,
        "type": TASK_TYPE,
        "id": handle.uid,
    }
