"""The client: one object that opens a rowport home and hands out entity handles.

``Client(home)`` opens ``home/catalog.db`` (created and migrated on first use) and keeps export
tasks under ``home/tasks``. Its methods are shaped like the reference SDK's client, so code
written for it reads the same; every one acts through :attr:`Client.catalog`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import attrs
import orjson

from rowport._home import DEFAULT_HOME, default_home
from rowport.api._backend import Backend, CatalogBackend, is_server_url
from rowport.catalog import DEFAULT_HEARTBEAT, Catalog, IngestReport, ProgressCallback
from rowport.entities import (
    CatalogView,
    DataRow,
    Dataset,
    Model,
    ModelRun,
    Ontology,
    Organization,
    Project,
    Slice,
    User,
)
from rowport.errors import InvalidExportRequest, InvalidInput, NotFound, RowportError
from rowport.media_types import MediaType
from rowport.plugins import PluginHost
from rowport.request import ExportKind, ExportOptions, ScopeBy, build_request
from rowport.request._dates import resolve_zone
from rowport.tasks import ExportTask, TaskManager
from rowport.tasks._executors import EXECUTOR_ENV, ShardExecutor, parse_executor
from rowport.tasks._resume import ResumeReport

if TYPE_CHECKING:
    from rowport.remote import RemoteBackend, RemoteTaskManager

__all__ = ["DEFAULT_HOME", "Client"]


class Client:
    """A rowport home, or a ``rowport serve`` server: the catalog, its export tasks, and
    handles on what they hold.

    :param home: the directory holding ``catalog.db`` and ``tasks/``, or the ``http(s)://`` URL
        of a ``rowport serve`` server (then every call goes to the server, with ``api_key``);
        when None: ``$ROWPORT_URL`` if set, else ``$ROWPORT_HOME`` or ``./.rowport``.
    :param api_key: the key a server client sends (``$ROWPORT_API_KEY`` when None). An
        embedded client accepts it, as the reference's ``Client(api_key=...)`` does, so code
        written for it runs unchanged, and does not check it. It is kept out of ``repr``.
    :param user_email: who acts (recorded as ``created_by``); the catalog's default when None.
    :param timezone: the IANA zone that naive dates in export filters are read in.
    :param max_workers: how many exports run at once in this process.
    :param plugins: the plugins exports run (default: built-ins and installed packages, see
        :func:`rowport.plugins.load`).
    :param heartbeat: seconds between the heartbeats of this process's export runners
        (default 2); a runner on another host that missed three is declared dead.
    :param organization_name: the name a new home's organization gets (``rowport``).
    :param executor: where exports run: ``local`` (in this process, the default), ``process``
        or ``process:N`` (as shards on N worker processes of this machine), ``dask://HOST:PORT``
        (as shards on a Dask cluster), or a :class:`~rowport.tasks.ShardExecutor`; None:
        ``$ROWPORT_EXECUTOR``, else local. See docs/deploy.md.
    :param shard_rows: plan rows per shard (a multiple of 100; default: a few per worker).
    """

    def __init__(
        self,
        home: str | Path | None = None,
        *,
        api_key: str | None = None,
        user_email: str | None = None,
        timezone: str = "UTC",
        max_workers: int = 2,
        plugins: PluginHost | None = None,
        heartbeat: float = DEFAULT_HEARTBEAT,
        organization_name: str | None = None,
        executor: str | ShardExecutor | None = None,
        shard_rows: int | None = None,
    ) -> None:
        resolve_zone(timezone)
        if api_key is not None and not isinstance(api_key, str):
            raise InvalidInput(f"api_key must be a string, got {type(api_key).__name__}")
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
            raise InvalidInput(f"max_workers must be a positive int, got {max_workers!r}")
        self.timezone = timezone
        self.max_workers = max_workers
        self._lock = threading.Lock()
        self._closed = False
        self._remote: RemoteTaskManager | None = None
        self.url: str | None = None
        target = home if home is not None else os.environ.get("ROWPORT_URL") or default_home()
        if is_server_url(target):
            self._open_remote(str(target), api_key or os.environ.get("ROWPORT_API_KEY"))
            return
        self._api_key = api_key
        self._home = Path(target).expanduser().absolute()
        self._home.mkdir(parents=True, exist_ok=True)
        names: dict[str, Any] = {}
        if user_email is not None:
            names["user_email"] = user_email
        if organization_name is not None:
            names["organization_name"] = organization_name
        self._catalog = Catalog(self._home / "catalog.db", **names)
        self.backend: Backend = CatalogBackend(self._catalog)
        self._own_executor: ShardExecutor | None = None
        try:
            if executor is None or isinstance(executor, str):
                named = executor if executor is not None else os.environ.get(EXECUTOR_ENV, "")
                executor = self._own_executor = parse_executor(named)
            self._plugins = plugins if plugins is not None else PluginHost.load()
            self._tasks = TaskManager.for_catalog(
                self._catalog,
                self._home / "tasks",
                max_workers=max_workers,
                host=self._plugins,
                heartbeat=heartbeat,
                executor=executor,
                shard_rows=shard_rows,
            )
        except BaseException:
            if self._own_executor is not None:
                self._own_executor.close()
            self._catalog.close()
            raise

    def _open_remote(self, url: str, api_key: str | None) -> None:
        if not api_key:
            raise InvalidInput(
                f"a client of the rowport server {url} needs an api_key (or $ROWPORT_API_KEY):"
                " create one with `rowport keys create --name NAME` where the server runs"
            )
        from rowport.remote import ApiSession, RemoteBackend, RemoteTaskManager

        self._api_key = api_key
        self.url = url.rstrip("/")
        session = ApiSession(self.url, api_key)
        self._remote_backend: RemoteBackend = RemoteBackend(session)
        self.backend = self._remote_backend
        self._remote = RemoteTaskManager(session)

    def __repr__(self) -> str:
        if self.url is not None:
            return f"<Client url={self.url!r}>"
        return f"<Client home={str(self._home)!r}>"

    def _local(self, what: str) -> None:
        if self.url is not None:
            raise RowportError(
                f"{what} belongs to an embedded client; this client talks to {self.url}"
            )

    @property
    def is_remote(self) -> bool:
        """Whether this client talks to a ``rowport serve`` server."""
        return self.url is not None

    @property
    def home(self) -> Path:
        """The home directory (embedded clients only)."""
        self._local("home")
        return self._home

    @property
    def catalog(self) -> Catalog:
        """The embedded catalog and its stores (embedded clients only; a remote client's
        handles act through :attr:`backend`)."""
        self._local("catalog")
        return self._catalog

    @property
    def plugins(self) -> PluginHost:
        """The plugins exports run (embedded clients only: a server runs its own)."""
        self._local("plugins")
        return self._plugins

    # -- lifecycle --------------------------------------------------------------------------

    def close(self, *, cancel_running: bool = False, interrupt_running: bool = False) -> None:
        """Wait for running exports (with ``cancel_running``, cancel them first: each ends
        CANCELED after its current batch; with ``interrupt_running`` likewise, but recorded as
        interrupted, so :meth:`resume_interrupted` continues them later), then close the catalog
        (a remote client closes its connections; the server's exports go on). Closing twice is
        harmless."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._remote is not None:
            self._remote.session.close()
            return
        if interrupt_running:
            self._tasks.shutdown(wait=True, interrupt_running=True)
        elif cancel_running:
            self._tasks.shutdown(wait=True, cancel_running=True)
        else:
            self._tasks.shutdown(wait=True)
        if self._own_executor is not None:
            self._own_executor.close()
        self._catalog.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- organization and users -------------------------------------------------------------

    def get_organization(self) -> Organization:
        """The organization this home's catalog belongs to."""
        return Organization.from_record(
            self, self.backend.call("catalog.organization.get_organization")
        )

    def get_user(self) -> User:
        """The user this client acts as (``user_email``; recorded as ``created_by``)."""
        return User.from_record(self, self.backend.call("catalog.organization.get_user"))

    # -- datasets and data rows -------------------------------------------------------------

    def create_dataset(self, name: str, description: str | None = None) -> Dataset:
        """Create an empty dataset."""
        return Dataset.from_record(
            self,
            self.backend.call("catalog.rows.create_dataset", name=name, description=description),
        )

    def get_dataset(self, dataset_id: str) -> Dataset:
        """The dataset with this id; :class:`~rowport.errors.NotFound` when there is none."""
        return Dataset.from_record(
            self, self.backend.call("catalog.rows.get_dataset", dataset_id=dataset_id)
        )

    def get_datasets(self) -> list[Dataset]:
        """Every dataset, oldest first."""
        return [
            Dataset.from_record(self, r) for r in self.backend.call("catalog.rows.list_datasets")
        ]

    def get_data_row(self, data_row_id: str) -> DataRow:
        """The data row with this id."""
        return DataRow.from_record(
            self, self.backend.call("catalog.rows.get_data_row", data_row_id=data_row_id)
        )

    def get_data_rows(self, data_row_ids: Sequence[str]) -> list[DataRow]:
        """The data rows with these ids, in the order asked."""
        return [
            DataRow.from_record(self, r)
            for r in self.backend.call("catalog.rows.get_data_rows", ids=list(data_row_ids))
        ]

    def get_data_row_by_global_key(self, global_key: str) -> DataRow:
        """The data row holding ``global_key``."""
        return DataRow.from_record(
            self,
            self.backend.call("catalog.rows.get_data_row_by_global_key", global_key=global_key),
        )

    def get_data_row_ids_for_global_keys(self, global_keys: Sequence[str]) -> dict[str, str]:
        """Map each global key that exists to its data row id (unknown keys are left out)."""
        return dict(self.backend.call("catalog.rows.resolve_global_keys", keys=list(global_keys)))

    # -- metadata and embeddings ------------------------------------------------------------

    def create_metadata_schema(
        self, name: str, kind: str, options: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Create a metadata field of kind ``string``, ``number``, ``datetime`` or ``enum``
        (an enum takes its option names); returns ``{"id", "name", "kind", "options"}``."""
        return dict(
            self.backend.call(
                "catalog.rows.create_metadata_schema", name=name, kind=kind, options=list(options)
            )
        )

    def get_metadata_schemas(self) -> list[dict[str, Any]]:
        """Every metadata field with its options."""
        return list(self.backend.call("catalog.rows.list_metadata_schemas"))

    def create_embedding(
        self, name: str, dimensions: int, is_custom: bool = True
    ) -> dict[str, Any]:
        """Create an embedding (a name and a vector length); returns its record."""
        return dict(
            self.backend.call(
                "catalog.rows.create_embedding",
                name=name,
                dimensions=dimensions,
                is_custom=is_custom,
            )
        )

    def get_embedding(self, embedding_id_or_name: str) -> dict[str, Any]:
        """An embedding by id or name."""
        return dict(
            self.backend.call("catalog.rows.get_embedding", id_or_name=embedding_id_or_name)
        )

    # -- ontologies and projects ------------------------------------------------------------

    def create_ontology(
        self,
        name: str,
        tools: Sequence[Mapping[str, Any]] = (),
        classifications: Sequence[Mapping[str, Any]] = (),
        media_type: str | MediaType | None = None,
    ) -> Ontology:
        """Create an ontology from tool and classification specs (see the catalog guide)."""
        media = MediaType.parse(media_type).value if media_type is not None else None
        record = self.backend.call(
            "catalog.ontologies.create_ontology",
            name=name,
            tools=list(tools),
            classifications=list(classifications),
            media_type=media,
        )
        return Ontology.from_record(self, record)

    def get_ontology(self, ontology_id: str) -> Ontology:
        """The ontology with this id."""
        return Ontology.from_record(
            self, self.backend.call("catalog.ontologies.get_ontology", ontology_id=ontology_id)
        )

    def create_project(
        self,
        name: str,
        media_type: str | MediaType,
        ontology: Ontology | str | None = None,
        description: str | None = None,
    ) -> Project:
        """Create a project labelling ``media_type`` rows, with an ontology (handle or id)."""
        record = self.backend.call(
            "catalog.projects.create_project",
            name=name,
            media_type=media_type,
            ontology_id=_ontology_id(ontology),
            description=description,
        )
        return Project.from_record(self, record)

    def get_project(self, project_id: str) -> Project:
        """The project with this id."""
        return Project.from_record(
            self, self.backend.call("catalog.projects.get_project", project_id=project_id)
        )

    def get_projects(self) -> list[Project]:
        """Every project, oldest first."""
        return [
            Project.from_record(self, r)
            for r in self.backend.call("catalog.projects.list_projects")
        ]

    # -- models and slices ------------------------------------------------------------------

    def create_model(self, name: str, ontology: Ontology | str | None = None) -> Model:
        """Create a model; with an ontology, its predictions are checked against it."""
        return Model.from_record(
            self,
            self.backend.call(
                "catalog.models.create_model", name=name, ontology_id=_ontology_id(ontology)
            ),
        )

    def get_model(self, model_id: str) -> Model:
        """The model with this id."""
        return Model.from_record(
            self, self.backend.call("catalog.models.get_model", model_id=model_id)
        )

    def get_models(self) -> list[Model]:
        """Every model, oldest first."""
        return [Model.from_record(self, r) for r in self.backend.call("catalog.models.list_models")]

    def get_model_run(self, model_run_id: str) -> ModelRun:
        """The model run with this id."""
        return ModelRun.from_record(
            self, self.backend.call("catalog.models.get_model_run", run_id=model_run_id)
        )

    def create_slice(self, name: str, filters: Mapping[str, Any]) -> Slice:
        """Save a filter over the catalog under a name (filter keys in the catalog guide)."""
        return Slice.from_record(
            self, self.backend.call("catalog.models.create_slice", name=name, filters=filters)
        )

    def get_slice(self, slice_id: str) -> Slice:
        """The slice with this id."""
        return Slice.from_record(
            self, self.backend.call("catalog.models.get_slice", slice_id=slice_id)
        )

    def get_slices(self) -> list[Slice]:
        """Every slice, oldest first."""
        return [Slice.from_record(self, r) for r in self.backend.call("catalog.models.list_slices")]

    def get_catalog_slice(
        self, slice_id: str | None = None, slice_name: str | None = None
    ) -> Slice | list[Slice]:
        """A slice by id, or by name (a list when several slices share the name), as the
        reference's ``get_catalog_slice``.

        :raises InvalidInput: (a ``ValueError``) unless exactly one of them is given.
        :raises ResourceNotFoundError: when no slice has that id or name.
        """
        if (slice_id is None) == (slice_name is None):
            raise InvalidInput("get_catalog_slice takes exactly one of slice_id and slice_name")
        if slice_id is not None:
            return self.get_slice(slice_id)
        matches = [s for s in self.get_slices() if s.name == slice_name]
        if not matches:
            raise NotFound("slice", str(slice_name))
        return matches[0] if len(matches) == 1 else matches

    def get_catalog(self) -> CatalogView:
        """The whole catalog, to export."""
        return CatalogView(client=self)

    # -- ingest -----------------------------------------------------------------------------

    def import_rows(
        self,
        rows: Iterable[Any],
        strict: bool = False,
        *,
        batch_size: int = 1000,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Load rows in the export format (dicts or JSON text), keeping their ids.

        An upsert by id: a row stored with the same content is ``unchanged``, one whose content
        changed is ``updated``. A bad row is reported with its number and reason and the others
        load; with ``strict`` nothing loads unless every row is valid. ``progress`` is called
        with an :class:`~rowport.catalog.IngestProgress` after every batch (by an embedded
        client; a remote client streams the rows to the server and gets its report).
        """
        if self._remote is not None:
            return self._remote_backend.import_lines(
                _ndjson_lines(rows), strict=strict, batch_size=batch_size, keep_blank=True
            )
        return self.catalog.importer.import_rows(
            rows, strict=strict, batch_size=batch_size, progress=progress
        )

    def import_file(
        self,
        path: str | Path,
        strict: bool = False,
        *,
        batch_size: int = 1000,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Load an NDJSON file in the export format (see :meth:`import_rows`)."""
        if self._remote is not None:
            return self._remote_backend.import_lines(
                _file_lines(Path(path)), strict=strict, batch_size=batch_size, keep_blank=False
            )
        return self.catalog.importer.import_file(
            Path(path), strict=strict, batch_size=batch_size, progress=progress
        )

    # -- export tasks -----------------------------------------------------------------------

    def _export(
        self,
        kind: ExportKind,
        scope_ids: Sequence[str] = (),
        *,
        scope_by: ScopeBy = "id",
        params: Mapping[str, Any] | None = None,
        filters: Mapping[str, Any] | None = None,
        task_name: str | None = None,
        legacy: bool = False,
        sinks: Sequence[Any] | None = None,
        on_row_error: str | None = None,
        max_error_ratio: float | None = None,
        plugin_options: Mapping[str, Any] | None = None,
        formats: Sequence[Any] | None = None,
        served_formats: Sequence[Any] | None = None,
        timezone: str | None = None,
    ) -> ExportTask:
        """Validate an export request and start its task (every ``export()`` comes here).

        Beyond the reference's arguments every ``export()`` takes:

        :param sinks: where rows go besides the RESULT stream: sink names or
            ``{"name": ..., "options": {...}}`` (see ``docs/sinks.md``).
        :param on_row_error: what a row with problems does: ``keep`` (default), ``skip``,
            ``fail``.
        :param max_error_ratio: fail the task once more than this share of rows had problems.
        :param plugin_options: options for plugins, as ``context.options``.
        :param formats: training formats to write as the rows stream:
            ``{"name": "coco", "output": "out/", "options": {...}, "strict": False}`` or
            ``("coco", "out/")`` (see ``docs/formats.md``); the task completes once they are
            written. A remote client sends them to the server, which writes each inside the
            task's folder: name a format (``"coco"``) or ``{"name", "options", "strict"}``, no
            output, and download it with ``task.download_format("coco", "out/")``.
        :param served_formats: formats written inside the task's folder
            (``formats/NAME.zip``; what an export started over the API names).
        :param timezone: the zone naive filter dates are read in, instead of the client's
            (what a remote client sends with its request).
        :raises InvalidExportRequest: before any task exists, naming the bad key.
        """
        if self._closed:
            raise RowportError("this client is closed")
        if self._remote is not None:
            arguments = {
                "scope_by": scope_by,
                "params": params,
                "filters": filters,
                "task_name": task_name,
                "legacy": legacy,
                "sinks": sinks,
                "on_row_error": on_row_error,
                "max_error_ratio": max_error_ratio,
                "plugin_options": plugin_options,
                "formats": list(formats) if formats else None,
                "timezone": self.timezone,
            }
            return self._remote.start("exports.start", kind, scope_ids, arguments, client=self)
        request = build_request(
            kind,
            scope_ids=tuple(scope_ids),
            scope_by=scope_by,
            params=params,
            filters=filters,
            task_name=task_name,
            timezone=self.timezone if timezone is None else timezone,
        )
        options = self._export_options(sinks, on_row_error, max_error_ratio, plugin_options)
        if formats or served_formats:
            checked = self._check_formats(formats) if formats else []
            if served_formats:
                checked += self._check_served_formats(served_formats)
            options = attrs.evolve(options, extra={**options.extra, "formats": checked})
        if options:
            request = attrs.evolve(request, options=options)
        return self._tasks.start(request, client=self, legacy=legacy)

    def _check_formats(self, formats: Sequence[Any]) -> list[dict[str, Any]]:
        """The export's formats, checked against this client's plugins (no files written).

        :raises InvalidExportRequest: an unknown format, option or unusable output path.
        """
        from rowport.formats import build_conversion, parse_format_requests

        try:
            requests = parse_format_requests(formats)
            for request in requests:
                build_conversion(self.plugins, request)
        except InvalidInput as exc:
            raise InvalidExportRequest(str(exc)) from None
        outputs = [r.output for r in requests]
        if len(set(outputs)) != len(outputs):
            raise InvalidExportRequest("formats: two formats name the same output path")
        return [r.to_dict() for r in requests]

    def _check_served_formats(self, formats: Sequence[Any]) -> list[dict[str, Any]]:
        """Formats written inside the task's folder, checked as :meth:`_check_formats` checks.

        :raises InvalidExportRequest: an unknown format or option, a bad shape.
        """
        from rowport.formats import served_requests

        try:
            return served_requests(self.plugins, formats)
        except InvalidInput as exc:
            raise InvalidExportRequest(str(exc)) from None

    def get_formats(self) -> list[dict[str, Any]]:
        """Every registered training format: name, plugin, summary, media types, annotation
        kinds, layout and options (a remote client lists the server's, the same shape)."""
        if self._remote is not None:
            formats: list[dict[str, Any]] = self._remote.session.call("formats.list", {})
            return formats
        from rowport.formats import describe_formats

        return describe_formats(self.plugins)

    def _export_options(
        self,
        sinks: Sequence[Any] | None,
        on_row_error: str | None,
        max_error_ratio: float | None,
        plugin_options: Mapping[str, Any] | None,
    ) -> ExportOptions:
        """The export's options, checked once here (sinks against this client's plugins).

        :raises InvalidExportRequest: naming the bad option and what is allowed.
        """
        options = ExportOptions.build(
            on_row_error=on_row_error,
            max_error_ratio=max_error_ratio,
            plugin_options=plugin_options,
        )
        if plugin_options is not None:
            problems = self.plugins.check_plugin_options(plugin_options)
            if problems:
                raise InvalidExportRequest("; ".join(problems))
        if sinks:
            from rowport.sinks import check_sinks, parse_sink_specs

            try:
                specs = parse_sink_specs(sinks)
                check_sinks(self.plugins, specs)
            except InvalidInput as exc:
                raise InvalidExportRequest(str(exc)) from None
            checked = tuple({"name": s.name, "options": dict(s.options)} for s in specs)
            options = attrs.evolve(options, sinks=checked)
        return options

    def _probe_media(
        self,
        kind: ExportKind,
        scope_ids: Sequence[str] = (),
        *,
        only_missing: bool = True,
        task_name: str | None = None,
        plugin_options: Mapping[str, Any] | None = None,
    ) -> ExportTask:
        """Validate a media probe and start its task (every ``probe_media()`` comes here).

        :param only_missing: read only rows whose stored attributes lack what their media
            type's plugin fills (default); False re-reads every row.
        :param plugin_options: options for plugins, as for an export (``media.timeout``,
            ``media.max_bytes``...); ``media.fetch`` is the probe's to set.
        :raises InvalidExportRequest: before any task exists, naming the bad value.
        """
        if self._closed:
            raise RowportError("this client is closed")
        if self._remote is not None:
            arguments = {
                "only_missing": only_missing,
                "task_name": task_name,
                "plugin_options": plugin_options,
            }
            return self._remote.start("probes.start", kind, scope_ids, arguments, client=self)
        if not isinstance(only_missing, bool):
            raise InvalidExportRequest(f"only_missing must be True or False, got {only_missing!r}")
        media = (plugin_options or {}).get("media") if isinstance(plugin_options, Mapping) else None
        if isinstance(media, Mapping) and "fetch" in media:
            raise InvalidExportRequest(
                "a media probe reads media by definition: drop plugin_options['media']['fetch']"
                " and pass only_missing=False to re-read rows that have attributes"
            )
        request = build_request(
            kind, scope_ids=tuple(scope_ids), task_name=task_name, timezone=self.timezone
        )
        options = self._export_options(None, None, None, plugin_options)
        given = dict(options.plugin_options or {})
        media_options = dict(given.get("media") or {})
        media_options["fetch"] = "missing" if only_missing else "always"
        given["media"] = media_options
        request = attrs.evolve(request, options=attrs.evolve(options, plugin_options=given))
        return self._tasks.start_probe(request, only_missing=only_missing, client=self)

    def probe_media(
        self,
        *,
        only_missing: bool = True,
        task_name: str | None = None,
        plugin_options: Mapping[str, Any] | None = None,
    ) -> ExportTask:
        """Read the media of every data row of the catalog and store the attributes found, as a
        task (``dataset.probe_media()`` and ``project.probe_media()`` do it for their rows).

        Exports use stored attributes and read no media by default; this fills them. The task
        runs like an export (progress, ``cancel()``, ``wait_till_done()``); its RESULT stream
        holds one line per data row (``outcome``: ``updated``, ``unchanged`` or ``failed``),
        its ERRORS stream what could not be read. With ``only_missing`` (default) only rows
        lacking attributes are read; ``False`` re-reads every row.
        """
        return self._probe_media(
            ExportKind.CATALOG,
            only_missing=only_missing,
            task_name=task_name,
            plugin_options=plugin_options,
        )

    def deliver(self, task_id: str, sink: str, options: Mapping[str, Any] | None = None) -> Any:
        """Re-drive ``sink`` from a finished task's RESULT stream (see ``docs/sinks.md``).

        :return: a :class:`rowport.sinks.DeliveryReport`.
        """
        from rowport.sinks import redeliver

        self._local("deliver")
        return redeliver(self, task_id, sink, options)

    def get_task(self, task_id: str) -> ExportTask:
        """The export task with this id (from this or any other process)."""
        if self._remote is not None:
            return self._remote.get(task_id, client=self)
        return self._tasks.get(task_id, client=self)

    def resume_interrupted(self, *, allow_changed: bool = False) -> ResumeReport:
        """Resume every export of this home whose last attempt was interrupted (its process
        died, the machine rebooted, or a server was stopped): what ``rowport serve --resume``
        does at start. Tasks that cannot be resumed are left as they are; the report says why
        (embedded clients only)."""
        self._local("resume_interrupted")
        return self._tasks.resume_interrupted(allow_changed=allow_changed, client=self)

    def get_task_by_id(self, task_id: str) -> ExportTask:
        """The reference's name for :meth:`get_task`; :class:`ResourceNotFoundError` when
        there is no such task."""
        return self.get_task(task_id)

    def get_tasks(self) -> list[ExportTask]:
        """Every export task, newest first."""
        if self._remote is not None:
            return self._remote.list(client=self)
        return self._tasks.list(client=self)

    def cancel_task(self, task_id: str) -> bool:
        """Ask a running export to stop; False when it had already finished."""
        if self._remote is not None:
            return self._remote.cancel(task_id)
        return self._tasks.cancel(task_id)


def _ontology_id(ontology: Ontology | str | None) -> str | None:
    if ontology is None or isinstance(ontology, str):
        return ontology
    if isinstance(ontology, Ontology):
        return ontology.uid
    raise InvalidInput(f"ontology must be an Ontology or an id, got {ontology!r}")


def _ndjson_lines(rows: Iterable[Any]) -> Iterator[bytes]:
    """Rows (dicts, JSON text or bytes) as NDJSON lines, one per row."""
    for row in rows:
        if isinstance(row, bytes):
            text = row.rstrip(b"\r\n")
        elif isinstance(row, str):
            text = row.rstrip("\r\n").encode()
        else:
            text = orjson.dumps(row)
        if b"\n" in text:  # pretty-printed JSON text: one line, the same row
            try:
                text = orjson.dumps(orjson.loads(text))
            except orjson.JSONDecodeError:
                text = text.replace(b"\n", b" ")
        yield text + b"\n"


def _file_lines(path: Path) -> Iterator[bytes]:
    """An NDJSON file's bytes in chunks (lines stay as they are, blank ones too)."""
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            yield chunk
