"""rowport: self-hosted, streaming, pluggable export of annotated ML data rows.

Start with :class:`Client`::

    import rowport
    client = rowport.Client()                      # ./.rowport or $ROWPORT_HOME
    task = client.get_project(project_id).export(params={"label_details": True})
    task.wait_till_done()
    for output in task.get_buffered_stream():
        print(output.json)
"""

from __future__ import annotations

from rowport.client import Client
from rowport.entities import (
    Batch,
    CatalogView,
    DataRow,
    Dataset,
    Label,
    Model,
    ModelRun,
    Ontology,
    Project,
    Slice,
)
from rowport.errors import (
    ExportTaskException,
    InvalidExportRequest,
    NotFound,
    RowportError,
)
from rowport.hookspecs import hookimpl
from rowport.media_types import MediaType
from rowport.request import ExportKind, WorkflowStatus
from rowport.tasks import (
    BufferedJsonConverterOutput,
    ExportTask,
    FileConverter,
    FileConverterOutput,
    JsonConverter,
    JsonConverterOutput,
    StreamType,
)

__version__ = "0.1.0"

__all__ = [
    "Batch",
    "BufferedJsonConverterOutput",
    "CatalogView",
    "Client",
    "DataRow",
    "Dataset",
    "ExportKind",
    "ExportTask",
    "ExportTaskException",
    "FileConverter",
    "FileConverterOutput",
    "InvalidExportRequest",
    "JsonConverter",
    "JsonConverterOutput",
    "Label",
    "MediaType",
    "Model",
    "ModelRun",
    "NotFound",
    "Ontology",
    "Project",
    "RowportError",
    "Slice",
    "StreamType",
    "WorkflowStatus",
    "hookimpl",
]
