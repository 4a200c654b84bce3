"""Helpers for testing rowport plugins (rowport's own tests use them too).

::

    from rowport.testing import make_row, run_plugin

    def test_tags_rows():
        run = run_plugin(my_plugin, [make_row(global_key="a")])
        assert run.rows[0]["data_row"]["tag"] == "x"
        assert run.problems == []

:func:`make_client` and :func:`build_catalog` give a real catalog in a temporary directory;
:func:`make_project` queues rows of your own in a project, :func:`box_label` is a label of one
box and a ``quality`` answer to import on a row, :func:`labels_of` and
:func:`objects_of` read an exported row's labels back; :func:`host_with` is a plugin host with
exactly the plugins a test names;
:func:`collecting_sink` is an in-memory sink to pass to ``export(sinks=...)`` or
:class:`~rowport.sinks.SinkDelivery`; :func:`sdk_python` is a virtual environment holding the
reference SDK (``labelbox``), for scripts that run it against ``rowport serve``.
:data:`ALL_SECTIONS` is the params of a project export with every section on
(``project.export(params=ALL_SECTIONS)``; ``{**ALL_SECTIONS, "predictions": True}`` for more).
"""

from __future__ import annotations

import contextlib
import http.server
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import attrs
import pluggy

from rowport._ids import new_id
from rowport.catalog import Catalog, TaskStatus
from rowport.client import Client
from rowport.errors import RowportError
from rowport.media_types import MediaType
from rowport.plugins import ExportContext, PluginHost, RaisedProblem, load
from rowport.request import (
    PARAMS_BY_KIND,
    ExportKind,
    ExportParams,
    ExportRequest,
    build_request,
)
from rowport.sinks import BaseSink, SinkFatalError

__all__ = [
    "ALL_SECTIONS",
    "CollectingSink",
    "MediaServer",
    "PluginRun",
    "RowportServer",
    "box_label",
    "build_catalog",
    "by_global_key",
    "collecting_sink",
    "export_rows",
    "host_with",
    "install_package",
    "labels_of",
    "make_client",
    "make_context",
    "make_project",
    "make_row",
    "objects_of",
    "run_plugin",
    "sdk_python",
    "serve_http",
    "serve_media",
    "start_server",
]

#: Every section of a project export on: each row's attachments, metadata fields, embeddings and
#: details, and its project's details, labels' details and performance details (read-only;
#: not ``interpolated_frames``, the run sections or the catalog scope params).
ALL_SECTIONS: Mapping[str, bool] = MappingProxyType(
    {
        field.name: True
        for field in attrs.fields(ExportParams)
        if field.type in (bool, "bool")
        and field.name in PARAMS_BY_KIND[ExportKind.PROJECT]
        and field.name != "interpolated_frames"
    }
)

_ROW_DATA = {
    "image": "https://example.com/images/{n}.jpg",
    "video": "https://example.com/videos/{n}.mp4",
    "text": "text row number {n}",
    "geospatial": "https://example.com/tiles/{n}/{{z}}/{{x}}/{{y}}.png",
    "document": "https://example.com/documents/{n}.pdf",
    "audio": "https://example.com/audio/{n}.mp3",
    "conversational": "https://example.com/conversations/{n}.json",
    "html": "https://example.com/pages/{n}.html",
}
# Stored attributes, so the media-type plugins have nothing to fetch for these made-up URLs.
_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "image": {
        "height": 480,
        "width": 640,
        "asset_type": "image",
        "mime_type": "image/jpeg",
        "exif_rotation": "1",
    },
    "video": {
        "mime_type": "video/mp4",
        "frame_rate": 30,
        "frame_count": 300,
        "width": 640,
        "height": 480,
        "duration": 10.0,
        "codec": "avc1",
        "asset_type": "video",
    },
    "text": {"mime_type": "text/plain"},
    "geospatial": {"mime_type": "application/x-tms-geo"},
    "document": {"asset_type": "pdf", "mime_type": "application/pdf", "page_count": 2},
    "audio": {
        "asset_type": "audio",
        "mime_type": "audio/mpeg",
        "duration_ms": 10000,
        "sample_rate": 44100,
        "channels": 2,
    },
    "conversational": {
        "asset_type": "conversational",
        "mime_type": "application/vnd.labelbox.conversational",
        "labelable_ids": [],
        "message_count": 0,
    },
    "html": {"asset_type": "html", "mime_type": "text/html", "size": 0},
}
_counter = itertools.count()


# -- a real catalog ----------------------------------------------------------------------------


def make_client(
    tmp_path: Path,
    *,
    plugins: PluginHost | Sequence[object] | None = None,
    autoload: bool = False,
    **kwargs: Any,
) -> Client:
    """A client on a new home in ``tmp_path / "home"``.

    :param plugins: a :class:`PluginHost`, or plugin objects registered beside the built-ins
        (a built-in named again is left as it is); default: the built-ins only.
    :param autoload: also load installed third-party plugins (entry points).
    :param kwargs: passed to :class:`~rowport.Client`.
    """
    if not isinstance(plugins, PluginHost):
        loaded = load(autoload=autoload, block=())
        for plugin in plugins or ():
            if loaded.pm.is_registered(plugin):
                continue  # a built-in is already there
            loaded.pm.register(plugin, name=_plugin_name(loaded.pm, plugin))
        loaded.pm.check_pending()
        plugins = PluginHost(loaded)
    return Client(Path(tmp_path) / "home", plugins=plugins, **kwargs)


def _plugin_name(pm: pluggy.PluginManager, plugin: object) -> str:
    """A module's name, else the class name (``-2``, ``-3``... when taken): readable in
    ERRORS lines, where pluggy's default would be a number."""
    base = getattr(plugin, "__name__", None) or type(plugin).__name__
    name, n = base, 1
    while pm.has_plugin(name):
        n += 1
        name = f"{base}-{n}"
    return name


def host_with(*plugins: object, builtins: bool = False) -> PluginHost:
    """A :class:`PluginHost` with exactly ``plugins`` (and the built-ins with ``builtins``; no
    installed packages), each registered under its class name or ``plugin<i>``."""
    loaded = load(builtins=builtins, autoload=False, block=())
    for i, plugin in enumerate(plugins):
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        if name in ("SimpleNamespace", "module"):
            name = f"plugin{i}"
        loaded.pm.register(plugin, name=name)
    loaded.pm.check_pending()
    return PluginHost(loaded)


def make_project(
    client: Client,
    media_type: str,
    specs: Sequence[Mapping[str, Any]],
    *,
    tools: Sequence[Mapping[str, Any]] = (),
    classifications: Sequence[Mapping[str, Any]] = (),
) -> tuple[Any, list[Any], Any]:
    """A dataset holding ``specs`` (data row dicts; ``media_type`` added) queued in a new
    project of that media type with an ontology of ``tools`` and ``classifications``:
    ``(project, data_rows, ontology)``."""
    media = MediaType.parse(media_type).value
    dataset = client.create_dataset(f"{media} rows")
    rows = dataset.create_data_rows([{"media_type": media, **spec} for spec in specs])
    ontology = client.create_ontology(
        f"{media} ontology", tools=list(tools), classifications=list(classifications)
    )
    project = client.create_project(f"{media} project", media, ontology)
    project.create_batch("batch", data_rows=rows)
    return project, rows, ontology


def box_label(row: Any, **extra: Any) -> dict[str, Any]:
    """A label spec to import on ``row`` (a data row or its id): one ``box`` bounding box and a
    ``quality`` radio answer ``good``, by feature name, plus any ``extra`` keys."""
    return {
        "data_row_id": row if isinstance(row, str) else row.uid,
        "annotations": {
            "objects": [
                {
                    "name": "box",
                    "annotation_kind": "ImageBoundingBox",
                    "bounding_box": {"top": 1.0, "left": 2.0, "height": 3.0, "width": 4.0},
                }
            ],
            "classifications": [{"name": "quality", "radio_answer": {"name": "good"}}],
            "relationships": [],
        },
        **extra,
    }


def labels_of(row: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The labels of an exported row's one project."""
    (section,) = row["projects"].values()
    return list(section["labels"])


def objects_of(row: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The objects of every label of an exported row's one project."""
    return [obj for label in labels_of(row) for obj in label["annotations"].get("objects", [])]


def build_catalog(
    client: Client, media_type: str = "image", rows: int = 3, labels: bool = True
) -> dict[str, Any]:
    """A dataset of ``rows`` data rows queued in a project, most of them labelled.

    The ontology has a ``box`` bounding-box tool and a ``quality`` radio classification; with
    ``labels`` every row but the last gets a label (a box on images, a radio answer always).

    :return: ``{"dataset", "ontology", "project", "batch"}`` ids, ``"data_rows"`` (ids) and
        ``"global_keys"``, in creation order.
    """
    media = MediaType.parse(media_type).value
    n = next(_counter)
    dataset = client.create_dataset(f"{media} rows {n}")
    specs = [
        {
            "row_data": _ROW_DATA[media].format(n=i),
            "global_key": f"{media}-{n}-{i}",
            "external_id": f"{media}-{i}",
            "media_type": media,
            "media_attributes": _ATTRIBUTES[media],
        }
        for i in range(rows)
    ]
    data_rows = dataset.create_data_rows(specs)
    ontology = client.create_ontology(
        f"ontology {n}",
        tools=[{"tool": "bbox", "name": "box"}],
        classifications=[
            {"type": "radio", "name": "quality", "options": [{"name": "good"}, {"name": "bad"}]}
        ],
    )
    project = client.create_project(f"{media} project {n}", media, ontology)
    batch = project.create_batch(f"batch {n}", data_rows=data_rows)
    if labels and rows > 1:
        project.import_labels([_label(row.uid, media) for row in data_rows[:-1]])
    return {
        "dataset": dataset.uid,
        "ontology": ontology.uid,
        "project": project.uid,
        "batch": batch.uid,
        "data_rows": [row.uid for row in data_rows],
        "global_keys": [spec["global_key"] for spec in specs],
    }


def _label(data_row_id: str, media: str) -> dict[str, Any]:
    annotations: dict[str, Any] = {
        "classifications": [{"name": "quality", "radio_answer": {"name": "good"}}]
    }
    if media == "image":
        annotations["objects"] = [
            {
                "name": "box",
                "annotation_kind": "ImageBoundingBox",
                "bounding_box": {"top": 1.0, "left": 2.0, "height": 3.0, "width": 4.0},
            }
        ]
    return {"data_row_id": data_row_id, "annotations": annotations}


# -- rows and contexts without a catalog -------------------------------------------------------


def make_row(media_type: str = "image", **overrides: Any) -> dict[str, Any]:
    """A row in the export format, as row hooks get it (with ``_media_type``).

    Keyword arguments replace top-level keys; ``data_row={...}``, ``global_key=``,
    ``row_data=`` and ``external_id=`` change the ``data_row`` section.
    """
    media = MediaType.parse(media_type).value
    n = next(_counter)
    data_row: dict[str, Any] = {
        "id": new_id(),
        "global_key": f"{media}-row-{n}",
        "row_data": _ROW_DATA[media].format(n=n),
        "external_id": f"{media}-row-{n}",
    }
    for key in ("id", "global_key", "row_data", "external_id"):
        if key in overrides:
            data_row[key] = overrides.pop(key)
    data_row.update(overrides.pop("data_row", {}))
    row: dict[str, Any] = {
        "data_row": data_row,
        "media_attributes": {},
        "attachments": [],
        "metadata_fields": [],
        "embeddings": [],
        "projects": {},
    }
    row.update(overrides)
    row["_media_type"] = media
    return row


def make_context(
    request: ExportRequest | None = None, catalog: Catalog | None = None, **options: Any
) -> ExportContext:
    """An :class:`ExportContext` for calling hooks directly.

    :param request: default: a catalog export with default params.
    :param catalog: default: an empty in-memory catalog.
    :param options: the plugin options (``context.options``).
    """
    return ExportContext(
        task_id=f"test-{new_id()}",
        request=request if request is not None else build_request("catalog"),
        catalog=catalog if catalog is not None else Catalog(Path(":memory:")),
        options=dict(options),
    )


@attrs.frozen(kw_only=True)
class PluginRun:
    """What :func:`run_plugin` saw: the rows after the hooks and every problem raised."""

    rows: list[dict[str, Any]]
    problems: list[RaisedProblem]

    @property
    def codes(self) -> list[str]:
        """The problem codes, in order."""
        return [raised.problem.code for raised in self.problems]


def run_plugin(
    plugin: object,
    rows: Iterable[dict[str, Any]],
    *,
    media_types: Iterable[str] | None = None,
    context: ExportContext | None = None,
) -> PluginRun:
    """Run ONE plugin's validate then transform hooks over ``rows``, as an export would.

    Only ``plugin`` is registered (no built-ins, no installed packages). Rows are batched by
    their ``_media_type`` (``image`` when missing), so media-type dispatch applies: a plugin
    that declared ``video`` does not see ``image`` rows. ``media_types`` limits the run to
    those media types (other rows pass through untouched). Rows change in place and are
    returned in their order.
    """
    loaded = load(builtins=False, autoload=False, block=())
    loaded.pm.register(plugin, name=_plugin_name(loaded.pm, plugin))
    loaded.pm.check_pending()
    host = PluginHost(loaded)
    context = context if context is not None else make_context()
    rows = list(rows)
    wanted = {MediaType.parse(m).value for m in media_types} if media_types is not None else None
    groups: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        media = MediaType.parse(row.get("_media_type") or "image").value
        if wanted is None or media in wanted:
            groups.setdefault(media, []).append(index)
    problems: list[RaisedProblem] = []
    for media, indexes in groups.items():
        batch = [rows[i] for i in indexes]
        for stage in (host.validate, host.transform):
            for raised in stage(media, batch, context):
                # report the index in ``rows``, not in the media type's batch
                problem = attrs.evolve(raised.problem, index=indexes[raised.problem.index])
                problems.append(attrs.evolve(raised, problem=problem))
        context.batch.clear()  # as an export does once every plugin saw a batch
    return PluginRun(rows=rows, problems=problems)


# -- an in-memory sink -------------------------------------------------------------------------


@attrs.define
class CollectingSink(BaseSink):
    """A sink that keeps what it is given, for tests; each :func:`collecting_sink` factory
    lists the instances it built in ``instances``.

    :param fail_writes: the first this many ``write`` calls raise (to test retries).
    :param fail_open: ``open`` raises (every time).
    :param fatal: failures raise :class:`~rowport.sinks.SinkFatalError` (no retries).
    :param delay: seconds each ``write`` takes (to test backpressure).
    """

    instances: ClassVar[list[CollectingSink]] = []

    fail_writes: int = 0
    fail_open: bool = False
    fatal: bool = False
    delay: float = 0.0
    batches: list[list[bytes]] = attrs.field(factory=list, init=False, repr=False)
    events: list[str] = attrs.field(factory=list, init=False, repr=False)
    context: ExportContext | None = attrs.field(default=None, init=False, repr=False)
    summary: dict[str, Any] | None = attrs.field(default=None, init=False, repr=False)
    error: str | None = attrs.field(default=None, init=False)
    write_calls: int = attrs.field(default=0, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        type(self).instances.append(self)

    @property
    def lines(self) -> list[bytes]:
        """Every line written, in order."""
        return [line for batch in self.batches for line in batch]

    def _failure(self, message: str) -> Exception:
        return SinkFatalError(message) if self.fatal else RowportError(message)

    def open(self, context: ExportContext) -> None:
        self.events.append("open")
        if self.fail_open:
            raise self._failure("open failed on purpose")
        self.context = context

    def write(self, batch: list[bytes]) -> None:
        with self._lock:
            self.write_calls += 1
            calls = self.write_calls
        if self.delay:
            time.sleep(self.delay)
        if calls <= self.fail_writes:
            self.events.append("write-failed")
            raise self._failure(f"write {calls} failed on purpose")
        self.events.append("write")
        self.batches.append(list(batch))

    def close(self, summary: dict[str, Any]) -> None:
        self.events.append("close")
        self.summary = summary

    def abort(self, error: str) -> None:
        self.events.append("abort")
        self.error = error


def collecting_sink() -> type[CollectingSink]:
    """A new sink factory (a subclass of :class:`CollectingSink` with its own ``instances``
    list), to register with ``register("collect", factory)``."""
    factory: type[CollectingSink] = type("CollectingSink", (CollectingSink,), {"instances": []})
    return factory


# -- media over HTTP and reading an export -----------------------------------------------------


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that stops reading after the head it needs


@contextlib.contextmanager
def serve_http(
    handler: Callable[..., http.server.BaseHTTPRequestHandler], *, quiet: bool = False
) -> Iterator[http.server.ThreadingHTTPServer]:
    """A threaded HTTP server on 127.0.0.1 (a free port, ``server.server_port``) answering with
    ``handler``, stopped and closed when the block ends.

    :param quiet: drop the tracebacks of clients that hang up mid-answer.
    """
    server = (_QuietServer if quiet else http.server.ThreadingHTTPServer)(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class MediaServer:
    """A threaded HTTP server on 127.0.0.1 serving the files under ``root``, for media tests.

    With ``honour_range`` it answers ``Range: bytes=a-b`` with 206 and the slice; without, it
    sends the whole file (200) whatever the request asks. ``requests`` lists ``(path, Range)``
    of every GET, ``hits`` counts them by path, ``ranges`` lists the Range headers alone.
    Use it through :func:`serve_media`.
    """

    def __init__(self, root: Path, *, honour_range: bool = True) -> None:
        import functools
        import re
        from collections import Counter

        self.root = Path(root)
        self.requests: list[tuple[str, str | None]] = []
        self.hits: Counter[str] = Counter()
        seen, hits = self.requests, self.hits

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                wanted = self.headers.get("Range")
                seen.append((self.path, wanted))
                hits[self.path] += 1
                match = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted or "")
                if not honour_range or match is None:
                    super().do_GET()
                    return
                path = Path(self.translate_path(self.path))
                if not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                start = int(match[1])
                end = min(int(match[2]) if match[2] else len(data) - 1, len(data) - 1)
                body = data[start : end + 1]
                self.send_response(206)
                self.send_header("Content-Type", self.guess_type(str(path)))
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.handler = functools.partial(Handler, directory=str(self.root))
        self.httpd: http.server.ThreadingHTTPServer | None = None

    @property
    def ranges(self) -> list[str | None]:
        """The Range header of every GET, in order (None when there was none)."""
        return [wanted for _, wanted in self.requests]

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>`` (while :func:`serve_media` runs it)."""
        if self.httpd is None:
            raise RuntimeError("the media server is not running: use it through serve_media()")
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def url(self, name: str) -> str:
        """The URL of file ``name`` under the root."""
        return f"{self.base}/{name}"


@contextlib.contextmanager
def serve_media(root: Path, *, honour_range: bool = True) -> Iterator[MediaServer]:
    """A running :class:`MediaServer` on ``root``, stopped when the block ends."""
    server = MediaServer(root, honour_range=honour_range)
    with serve_http(server.handler, quiet=True) as server.httpd:
        yield server
    server.httpd = None


def export_rows(
    exportable: Any, *, media_fetch: str | None = None, **options: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run ``exportable.export(**options)`` to COMPLETE; return (RESULT rows, ERRORS lines).

    :param media_fetch: set ``plugin_options["media"]["fetch"]`` (``"missing"``, ``"always"``)
        so the export reads media, which it does not by default.
    """
    from rowport.tasks import StreamType

    if media_fetch is not None:
        plugin_options = dict(options.pop("plugin_options", None) or {})
        plugin_options["media"] = {**(plugin_options.get("media") or {}), "fetch": media_fetch}
        options["plugin_options"] = plugin_options
    task = exportable.export(**options)
    task.wait_till_done(timeout_seconds=60)
    if task.status != TaskStatus.COMPLETE:
        raise AssertionError(f"export ended {task.status}: {task.errors_message}")
    rows = [o.json for o in task.get_buffered_stream()] if task.has_result() else []
    errors = (
        [o.json for o in task.get_buffered_stream(StreamType.ERRORS)] if task.has_errors() else []
    )
    return rows, errors


def by_global_key(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Export rows keyed by their data row's global key."""
    return {row["data_row"]["global_key"]: row for row in rows}


# -- a real `rowport serve` ------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RowportServer:
    """A ``rowport serve`` subprocess on 127.0.0.1: its ``url``, ``home``, the ``pid`` and the
    stderr log file (one JSON line per request)."""

    url: str
    home: Path
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        """The server process's id."""
        return self.process.pid

    def create_key(
        self, name: str = "test", *, organization: str = "", read_only: bool = False
    ) -> str:
        """A new key's token (``rowport keys create`` on the server's home)."""
        from rowport._organizations import ensure_organization
        from rowport.catalog import KeyStore, open_database

        ensure_organization(self.home, organization)
        db = open_database(self.home / "catalog.db")
        try:
            _, token = KeyStore(db).create_key(name, organization=organization, read_only=read_only)
        finally:
            db.close()
        return token

    def client(self, token: str | None = None, **options: Any) -> Client:
        """A remote client of this server (with a new key unless ``token`` is given)."""
        return Client(self.url, api_key=token or self.create_key(), **options)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        """Stop the server with ``sig`` and wait for it; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout)


READY_PREFIX = "rowport serve: listening on "


def start_server(
    home: Path, *args: str, timeout: float = 60.0, env: dict[str, str] | None = None
) -> RowportServer:
    """Start ``rowport serve --port 0`` on ``home`` (127.0.0.1) in a subprocess and return
    once it prints its readiness line; stop it with :meth:`RowportServer.stop`.

    ``args`` are more ``rowport serve`` options, ``env`` more environment variables. stderr
    (the access log) goes to ``home/serve.log``.
    """
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    log = home / "serve.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    env.pop("ROWPORT_URL", None)
    command = [sys.executable, "-m", "rowport", "--home", str(home), "serve", "--port", "0", *args]
    with log.open("ab") as err:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, env=env)
    assert process.stdout is not None
    found: list[str] = []

    def read_ready() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.decode(errors="replace").strip()
            if line.startswith(READY_PREFIX):
                found.append(line[len(READY_PREFIX) :])
                return

    reader = threading.Thread(target=read_ready, daemon=True)
    reader.start()
    reader.join(timeout)
    if not found:
        process.kill()
        process.wait()
        raise RowportError(
            f"rowport serve did not become ready in {timeout:g} s: {log.read_text()[-2000:]}"
        )
    return RowportServer(url=found[0], home=home, process=process, log=log)


def install_package(source: Path, target: Path) -> Path:
    """``pip install --no-deps`` the package at ``source`` into ``target/site`` (offline when
    its build backend is already here); the directory to put on ``PYTHONPATH``."""
    import importlib.util

    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-input", "-q"]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-build-isolation")  # offline: the backend is already here
    done = subprocess.run(
        [*command, "--target", str(target / "site"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=target,
        check=False,
    )
    if done.returncode != 0:
        raise RowportError(f"pip could not install {source}: {done.stdout}{done.stderr}")
    return target / "site"


SDK_VERSION = "7.17.0"  # the reference SDK whose wire protocol /graphql follows


def _has_sdk(python: Path, version: str) -> bool:
    check = f"import labelbox; assert labelbox.__version__ == {version!r}"
    return python.exists() and subprocess.run([python, "-c", check], check=False).returncode == 0


def sdk_python(version: str = SDK_VERSION, cache: Path | None = None) -> Path:
    """The ``python`` of a virtual environment holding ``labelbox==version``, built once (about
    a minute and 53 MB) in ``cache`` (``$ROWPORT_TEST_CACHE``, else ``~/.cache/rowport-tests``)
    and reused after.

    :raises RowportError: the environment could not be built (no package index, say).
    """
    if cache is None:
        cache = Path(os.environ.get("ROWPORT_TEST_CACHE", Path.home() / ".cache" / "rowport-tests"))
    venv = cache / f"labelbox-{version}"
    python = venv / "bin" / "python"
    if _has_sdk(python, version):
        return python
    import fcntl

    cache.mkdir(parents=True, exist_ok=True)
    # processes of one test run (pytest-xdist workers) build it once: the others wait, then
    # find it built
    with open(cache / f"labelbox-{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _has_sdk(python, version):
            return python
        return _build_sdk(venv, python, version)


def _build_sdk(venv: Path, python: Path, version: str) -> Path:
    import shutil

    building = venv.with_name(venv.name + f".building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", building], check=True)
        subprocess.run(
            [
                building / "bin" / "python",
                "-m",
                "pip",
                "install",
                "--quiet",
                f"labelbox=={version}",
            ],
            check=True,
            capture_output=True,
            timeout=900,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(building, ignore_errors=True)
        raise RowportError(f"could not install labelbox=={version} into a venv: {exc}") from exc
    shutil.rmtree(venv, ignore_errors=True)
    building.rename(venv)
    if not _has_sdk(python, version):
        raise RowportError(f"{venv} was built but does not import labelbox=={version}")
    return python
