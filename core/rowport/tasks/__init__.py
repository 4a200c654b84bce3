"""Export tasks: the manager, the runner, the ``ExportTask`` handle and stream readers."""

from __future__ import annotations

from rowport.catalog import FINAL_STATUSES, READABLE_STATUSES, TaskRecord, TaskStatus
from rowport.tasks._converters import (
    BufferedJsonConverterOutput,
    Converter,
    FileConverter,
    FileConverterOutput,
    JsonConverter,
    JsonConverterOutput,
    StreamType,
)
from rowport.tasks._manager import TaskManager
from rowport.tasks._resume import ResumeReport
from rowport.tasks._runner import BatchStep, ExportRunner, StepContext
from rowport.tasks._stream import Stream
from rowport.tasks._task import ExportTask

__all__ = [
    "FINAL_STATUSES",
    "READABLE_STATUSES",
    "BatchStep",
    "BufferedJsonConverterOutput",
    "Converter",
    "ExportRunner",
    "ExportTask",
    "FileConverter",
    "FileConverterOutput",
    "JsonConverter",
    "JsonConverterOutput",
    "ResumeReport",
    "StepContext",
    "Stream",
    "StreamType",
    "TaskManager",
    "TaskRecord",
    "TaskStatus",
]
