"""Every operation of the HTTP API, declared once.

An :class:`Operation` names the call it makes, its HTTP method and path (relative to
``/api/v1``), a summary, and its parameters. A catalog operation is named after the store
method it calls (``catalog.rows.create_dataset`` calls ``catalog.rows.create_dataset(...)``)
and takes that method's parameters: each path parameter from the path, the others from the
JSON body (or the query string of a GET), with the method's parameter names. Other operations
(exports, tasks, imports) declare their parameters here. The server builds a route and an
OpenAPI operation from each entry; the remote client sends each call from the same entry.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

__all__ = ["OPERATIONS", "Operation", "Param", "operation"]

Location = Literal["path", "query", "body"]
_PATH_PARAM = re.compile(r"{(\w+)}")
# store parameters only the importer sets (ids and times kept from an export row)
_INTERNAL = frozenset({"id", "created_at", "option_ids", "run_data_row_ids", "check"})


@attrs.frozen(kw_only=True)
class Param:
    """One parameter of an operation: its name, where it travels, its JSON schema."""

    name: str
    location: Location
    schema: Mapping[str, Any]
    required: bool


@attrs.frozen(kw_only=True)
class Operation:
    """One API operation. ``writes`` operations are refused (403) to read-only keys;
    ``body`` is ``json`` (an object of the body parameters) or ``ndjson`` (streamed rows)."""

    name: str
    method: str
    path: str
    summary: str
    params: tuple[Param, ...]
    returns: Mapping[str, Any]
    writes: bool
    body: Literal["json", "ndjson"] = "json"
    extra_body: bool = False  # the body's other keys are passed on too (``**changes``)
    answers: str = "application/json"  # the media type of the answer (else text, as is)

    @property
    def store_call(self) -> tuple[str, str] | None:
        """``(store, method)`` of a catalog operation, else None."""
        parts = self.name.split(".")
        return (parts[1], parts[2]) if parts[0] == "catalog" else None

    def path_params(self) -> list[str]:
        """The names in the path's ``{...}``, in order."""
        return _PATH_PARAM.findall(self.path)


# -- JSON schemas of Python annotations ------------------------------------------------------

_STRING: dict[str, Any] = {"type": "string"}


def schema_of(annotation: Any) -> dict[str, Any]:
    """A JSON schema for a store method's annotation (loose where Python's is loose)."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        return {}
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        kinds = [a for a in args if a is not type(None)]
        inner = schema_of(kinds[0]) if len(kinds) == 1 else {}
        return {**inner, "nullable": True} if type(None) in args else inner
    if annotation in (str,) or (isinstance(annotation, type) and issubclass(annotation, str)):
        return dict(_STRING)
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer"}
    if annotation is float:
        return {"type": "number"}
    if annotation is type(None) or annotation is None:
        return {"nullable": True}
    if origin in (list, tuple, Sequence) or annotation in (list, tuple):
        return {"type": "array", "items": schema_of(args[0]) if args else {}}
    if origin in (dict, Mapping) or annotation in (dict,):
        return {"type": "object"}
    return {}


def _store_params(store: str, method: str, path: str, method_http: str) -> tuple[Param, ...]:
    store_cls = _store_classes()[store]
    fn = getattr(store_cls, method)
    hints = typing.get_type_hints(fn)
    in_path = set(_PATH_PARAM.findall(path))
    params = []
    for p in list(inspect.signature(fn).parameters.values())[1:]:
        if p.name in _INTERNAL or p.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        if p.name in in_path:
            location: Location = "path"
        else:
            location = "query" if method_http == "GET" else "body"
        params.append(
            Param(
                name=p.name,
                location=location,
                schema=schema_of(hints.get(p.name, Any)),
                required=p.default is inspect.Parameter.empty,
            )
        )
    return tuple(params)


def _store_classes() -> dict[str, type]:
    from rowport.catalog import ModelStore, OntologyStore, OrganizationStore, ProjectStore, RowStore

    return {
        "rows": RowStore,
        "projects": ProjectStore,
        "models": ModelStore,
        "ontologies": OntologyStore,
        "organization": OrganizationStore,
    }


def _returns(store: str, method: str) -> dict[str, Any]:
    hints = typing.get_type_hints(getattr(_store_classes()[store], method))
    return schema_of(hints.get("return", Any))


def catalog(
    route: str, store_method: str, summary: str, *, writes: bool | None = None
) -> Operation:
    """A catalog operation: ``route`` is ``"METHOD /path"``, ``store_method`` ``store.method``."""
    http, path = route.split(" ", 1)
    store, method = store_method.split(".")
    fn = getattr(_store_classes()[store], method)
    extra = any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(fn).parameters.values()
    )
    return Operation(
        name=f"catalog.{store}.{method}",
        method=http,
        path=path,
        summary=summary,
        params=_store_params(store, method, path, http),
        returns=_returns(store, method),
        writes=http != "GET" if writes is None else writes,
        extra_body=extra,
    )


def _param(
    name: str, location: Location, schema: Mapping[str, Any], required: bool = False
) -> Param:
    return Param(name=name, location=location, schema=schema, required=required)


_OBJECT: dict[str, Any] = {"type": "object"}
_OPT_STRING: dict[str, Any] = {"type": "string", "nullable": True}
_OPT_OBJECT: dict[str, Any] = {"type": "object", "nullable": True}
_STRINGS: dict[str, Any] = {"type": "array", "items": _STRING}
_TASK: dict[str, Any] = {"$ref": "#/components/schemas/Task"}
_EXPORT_OPTIONS = (
    _param("params", "body", _OPT_OBJECT),
    _param("filters", "body", _OPT_OBJECT),
    _param("task_name", "body", _OPT_STRING),
    _param("legacy", "body", {"type": "boolean"}),
    _param("sinks", "body", {"type": "array", "nullable": True}),
    _param("on_row_error", "body", _OPT_STRING),
    _param("max_error_ratio", "body", {"type": "number", "nullable": True}),
    _param("plugin_options", "body", _OPT_OBJECT),
    _param("formats", "body", {"type": "array", "nullable": True}),
    # the IANA zone naive filter dates are read in (the calling client's; UTC when absent)
    _param("timezone", "body", _OPT_STRING),
)
_FORMAT: dict[str, Any] = {"$ref": "#/components/schemas/Format"}
_FORMAT_REPORT: dict[str, Any] = {"$ref": "#/components/schemas/FormatReport"}
_KIND = _param(
    "kind",
    "body",
    {
        "type": "string",
        "enum": ["data_rows", "dataset", "project", "model_run", "slice", "catalog"],
    },
    True,
)

OPERATIONS: tuple[Operation, ...] = (
    # -- organization ----------------------------------------------------------------------
    catalog("GET /organization", "organization.get_organization", "The key's organization."),
    catalog("GET /users", "organization.list_users", "The organization's users."),
    catalog("GET /user", "organization.get_user", "A user by email (the acting user without)."),
    # -- datasets and data rows -------------------------------------------------------------
    catalog("GET /datasets", "rows.list_datasets", "Every dataset, oldest first."),
    catalog("POST /datasets", "rows.create_dataset", "Create an empty dataset."),
    catalog("GET /datasets/{dataset_id}", "rows.get_dataset", "A dataset."),
    catalog("GET /datasets/{dataset_id}/data_rows", "rows.list_data_rows", "A dataset's rows."),
    catalog(
        "POST /datasets/{dataset_id}/data_rows",
        "rows.create_data_rows",
        "Add data rows to a dataset (all or nothing).",
    ),
    catalog("GET /counts/datasets", "rows.dataset_row_counts", "Rows per dataset."),
    catalog("GET /data_rows/{data_row_id}", "rows.get_data_row", "A data row."),
    catalog("PATCH /data_rows/{data_row_id}", "rows.update_data_row", "Change a data row."),
    catalog("POST /data_rows/{data_row_id}/metadata", "rows.set_metadata", "Set a row's metadata."),
    catalog(
        "POST /data_rows/{data_row_id}/attachments",
        "rows.add_attachments",
        "Attach items to a row.",
    ),
    catalog(
        "POST /data_rows/{data_row_id}/embeddings",
        "rows.add_embeddings",
        "Store vectors of a row.",
    ),
    catalog(
        "POST /lookups/data_rows", "rows.get_data_rows", "Data rows by id, in order.", writes=False
    ),
    catalog(
        "POST /lookups/data_row_by_global_key",
        "rows.get_data_row_by_global_key",
        "The data row holding a global key.",
        writes=False,
    ),
    catalog(
        "POST /lookups/global_keys",
        "rows.resolve_global_keys",
        "Data row ids of global keys.",
        writes=False,
    ),
    catalog(
        "POST /lookups/attachments", "rows.read_attachments", "Rows' attachments.", writes=False
    ),
    catalog("POST /lookups/metadata", "rows.read_metadata", "Rows' metadata.", writes=False),
    catalog("POST /lookups/embeddings", "rows.read_embeddings", "Rows' vectors.", writes=False),
    catalog("GET /metadata_schemas", "rows.list_metadata_schemas", "Every metadata field."),
    catalog("POST /metadata_schemas", "rows.create_metadata_schema", "Create a metadata field."),
    catalog("POST /embeddings", "rows.create_embedding", "Create an embedding."),
    catalog("GET /embeddings/{id_or_name}", "rows.get_embedding", "An embedding by id or name."),
    # -- ontologies and projects ------------------------------------------------------------
    catalog("POST /ontologies", "ontologies.create_ontology", "Create an ontology."),
    catalog("GET /ontologies/{ontology_id}", "ontologies.get_ontology", "An ontology."),
    catalog("GET /projects", "projects.list_projects", "Every project, oldest first."),
    catalog("POST /projects", "projects.create_project", "Create a project."),
    catalog("GET /counts/projects", "projects.project_counts", "Rows and labels per project."),
    catalog("GET /projects/{project_id}", "projects.get_project", "A project."),
    catalog(
        "PUT /projects/{project_id}/ontology",
        "projects.set_project_ontology",
        "Connect an ontology.",
    ),
    catalog("GET /projects/{project_id}/tags", "projects.project_tags", "A project's tags."),
    catalog("POST /projects/{project_id}/tags", "projects.add_project_tags", "Tag a project."),
    catalog("GET /projects/{project_id}/batches", "projects.list_batches", "A project's batches."),
    catalog("POST /projects/{project_id}/batches", "projects.create_batch", "Queue a batch."),
    catalog(
        "POST /projects/{project_id}/workflow_moves",
        "projects.move_to_status",
        "Move rows to a workflow status.",
    ),
    catalog(
        "GET /projects/{project_id}/workflow/{data_row_id}",
        "projects.workflow_state",
        "A row's workflow state and history.",
    ),
    catalog("GET /projects/{project_id}/labels", "projects.list_labels", "A project's labels."),
    catalog("POST /projects/{project_id}/labels", "projects.import_labels", "Add labels."),
    catalog("POST /labels/{label_id}/reviews", "projects.add_review", "Review a label."),
    # -- models, runs and slices ------------------------------------------------------------
    catalog("GET /models", "models.list_models", "Every model, oldest first."),
    catalog("POST /models", "models.create_model", "Create a model."),
    catalog("GET /models/{model_id}", "models.get_model", "A model."),
    catalog("GET /models/{model_id}/runs", "models.list_model_runs", "A model's runs."),
    catalog("POST /models/{model_id}/runs", "models.create_model_run", "Start a model run."),
    catalog("GET /counts/model_runs", "models.model_run_row_counts", "Rows per model run."),
    catalog("GET /model_runs/{run_id}", "models.get_model_run", "A model run."),
    catalog(
        "POST /model_runs/{run_id}/data_rows",
        "models.upsert_run_data_rows",
        "Add rows to a run.",
    ),
    catalog("POST /model_runs/{run_id}/labels", "models.add_run_labels", "Add ground truth."),
    catalog(
        "POST /model_runs/{run_id}/predictions",
        "models.add_run_predictions",
        "Add predictions.",
    ),
    catalog("POST /model_runs/{run_id}/splits", "models.assign_split", "Assign rows a split."),
    catalog(
        "GET /model_runs/{run_id}/annotations",
        "models.run_annotations",
        "A run's labels or predictions (kind=label|prediction).",
    ),
    catalog("GET /slices", "models.list_slices", "Every slice, oldest first."),
    catalog("POST /slices", "models.create_slice", "Save a slice."),
    catalog("GET /slices/{slice_id}", "models.get_slice", "A slice."),
    catalog(
        "POST /counts/slice_rows",
        "models.count_slice_rows",
        "Rows a slice's filters select.",
        writes=False,
    ),
    # -- exports, tasks and imports ---------------------------------------------------------
    Operation(
        name="exports.start",
        method="POST",
        path="/exports",
        summary="Start an export task (validated as the embedded client does: 4xx, no task).",
        params=(
            _KIND,
            _param("scope_ids", "body", _STRINGS),
            _param("scope_by", "body", {"type": "string", "enum": ["id", "global_key"]}),
            *_EXPORT_OPTIONS,
        ),
        returns=_TASK,
        writes=True,
    ),
    Operation(
        name="probes.start",
        method="POST",
        path="/probes",
        summary="Start a media probe task over a scope.",
        params=(
            _KIND,
            _param("scope_ids", "body", _STRINGS),
            _param("only_missing", "body", {"type": "boolean"}),
            _param("task_name", "body", _OPT_STRING),
            _param("plugin_options", "body", _OPT_OBJECT),
        ),
        returns=_TASK,
        writes=True,
    ),
    Operation(
        name="tasks.list",
        method="GET",
        path="/tasks",
        summary="Every export task of the organization, newest first.",
        params=(),
        returns={"type": "array", "items": _TASK},
        writes=False,
    ),
    Operation(
        name="tasks.get",
        method="GET",
        path="/tasks/{task_id}",
        summary="A task's record (status, progress, error).",
        params=(_param("task_id", "path", _STRING, True),),
        returns=_TASK,
        writes=False,
    ),
    Operation(
        name="tasks.cancel",
        method="POST",
        path="/tasks/{task_id}/cancel",
        summary="Ask a running task to stop; false when it had already finished.",
        params=(_param("task_id", "path", _STRING, True),),
        returns={"type": "object", "properties": {"accepted": {"type": "boolean"}}},
        writes=True,
    ),
    Operation(
        name="tasks.convert",
        method="POST",
        path="/tasks/{task_id}/convert",
        summary=(
            "Convert a finished task's RESULT stream to a format, written inside the task's"
            " folder (formats/NAME.zip, replaced by a new conversion); its report."
        ),
        params=(
            _param("task_id", "path", _STRING, True),
            _param("format", "body", _STRING, True),
            _param("options", "body", _OPT_OBJECT),
            _param("strict", "body", {"type": "boolean"}),
        ),
        returns=_FORMAT_REPORT,
        writes=True,
    ),
    Operation(
        name="tasks.formats",
        method="GET",
        path="/tasks/{task_id}/formats",
        summary=(
            "The formats written for a task (each format's latest report, its lossiness);"
            " download one from /tasks/{task_id}/formats/{name}."
        ),
        params=(_param("task_id", "path", _STRING, True),),
        returns={"type": "array", "items": _FORMAT_REPORT},
        writes=False,
    ),
    Operation(
        name="tasks.report",
        method="GET",
        path="/tasks/{task_id}/report",
        summary=(
            "The task's report: one self-contained HTML file (request, progress, throughput"
            " plot, time per stage, error groups), readable offline."
        ),
        params=(_param("task_id", "path", _STRING, True),),
        returns={"type": "string"},
        writes=False,
        answers="text/html",
    ),
    Operation(
        name="formats.list",
        method="GET",
        path="/formats",
        summary="Every registered training format (built-in and third-party).",
        params=(),
        returns={"type": "array", "items": _FORMAT},
        writes=False,
    ),
    Operation(
        name="imports.rows",
        method="POST",
        path="/imports",
        summary=(
            "Load NDJSON rows in the export format (streamed body); a line-numbered report."
            " Blank lines are skipped, or refused as rows with keep_blank (as import_rows)."
        ),
        params=(
            _param("strict", "query", {"type": "boolean"}),
            _param("batch_size", "query", {"type": "integer"}),
            _param("keep_blank", "query", {"type": "boolean"}),
        ),
        returns={"$ref": "#/components/schemas/IngestReport"},
        writes=True,
        body="ndjson",
    ),
)

_BY_NAME = {op.name: op for op in OPERATIONS}


def operation(name: str) -> Operation:
    """The operation called ``name`` (a KeyError names a call nobody declared)."""
    return _BY_NAME[name]
