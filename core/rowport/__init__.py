"""rowport: self-hosted, streaming, pluggable export of annotated ML data rows.

Start with :class:`Client`::

    import rowport
    client = rowport.Client()                      # ./.rowport or $ROWPORT_HOME
    task = client.get_project(project_id).export(params={"label_details": True})
    task.wait_till_done()
    for output in task.get_buffered_stream():
        print(output.json)

The names below are imported on first use (:pep:`562`), so ``import rowport`` and
``rowport --help`` stay cheap: ``rowport.Client`` brings in the catalog, ``rowport.hookimpl``
brings in pluggy, and nothing else is loaded until it is needed.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

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
        Organization,
        Project,
        Slice,
        User,
    )
    from rowport.errors import (
        ExportTaskException,
        InvalidExportRequest,
        NotFound,
        ResourceNotFoundError,
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
        TaskStatus,
    )

__version__ = "0.1.0"

# public name -> the module that defines it
_LAZY: dict[str, str] = {
    "Batch": "rowport.entities",
    "BufferedJsonConverterOutput": "rowport.tasks",
    "CatalogView": "rowport.entities",
    "Client": "rowport.client",
    "DataRow": "rowport.entities",
    "Dataset": "rowport.entities",
    "ExportKind": "rowport.request",
    "ExportTask": "rowport.tasks",
    "ExportTaskException": "rowport.errors",
    "FileConverter": "rowport.tasks",
    "FileConverterOutput": "rowport.tasks",
    "InvalidExportRequest": "rowport.errors",
    "JsonConverter": "rowport.tasks",
    "JsonConverterOutput": "rowport.tasks",
    "Label": "rowport.entities",
    "MediaType": "rowport.media_types",
    "Model": "rowport.entities",
    "ModelRun": "rowport.entities",
    "NotFound": "rowport.errors",
    "Ontology": "rowport.entities",
    "Organization": "rowport.entities",
    "Project": "rowport.entities",
    "ResourceNotFoundError": "rowport.errors",
    "RowportError": "rowport.errors",
    "Slice": "rowport.entities",
    "StreamType": "rowport.tasks",
    "TaskStatus": "rowport.tasks",
    "User": "rowport.entities",
    "WorkflowStatus": "rowport.request",
    "hookimpl": "rowport.hookspecs",
}

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
    "Organization",
    "Project",
    "ResourceNotFoundError",
    "RowportError",
    "Slice",
    "StreamType",
    "TaskStatus",
    "User",
    "WorkflowStatus",
    "hookimpl",
]


def __getattr__(name: str) -> Any:
    """Import a public name on first use and keep it as a module attribute."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rowport' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
