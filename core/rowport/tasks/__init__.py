"""Export tasks: the manager, the runner, the ``ExportTask`` handle and stream readers."""

from __future__ import annotations

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
from rowport.tasks._runner import BatchStep, ExportRunner, StepContext
from rowport.tasks._stream import Stream
from rowport.tasks._task import ExportTask

__all__ = [
    "BatchStep",
    "BufferedJsonConverterOutput",
    "Converter",
    "ExportRunner",
    "ExportTask",
    "FileConverter",
    "FileConverterOutput",
    "JsonConverter",
    "JsonConverterOutput",
    "StepContext",
    "Stream",
    "StreamType",
    "TaskManager",
]
