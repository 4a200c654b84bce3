"""rowport's built-in sinks: files, a directory of JSON files, stdout and a webhook.

Registered with ``trylast=True``, so a plugin that registers a sink of the same name wins.
Every option is an attrs field: ``ndjson_file(path=...)`` is the whole configuration, and
construction does no I/O (that starts in ``open``).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:  # requests is imported when a webhook sink opens
    import requests

from rowport import hookimpl
from rowport.plugins import ExportContext
from rowport.sinks import BaseSink, SinkError, SinkFatalError

__all__ = [
    "DirectorySink",
    "JsonArrayFileSink",
    "NdjsonFileSink",
    "StdoutSink",
    "WebhookSink",
    "rowport_register_sinks",
]

_BUFFER = 1 << 20
_PARTIAL = ".partial"


@hookimpl(trylast=True)
def rowport_register_sinks(register: Callable[..., None]) -> None:
    """Register ``ndjson_file``, ``json_array_file``, ``directory``, ``stdout``, ``webhook``."""
    register("ndjson_file", NdjsonFileSink)
    register("json_array_file", JsonArrayFileSink)
    register("directory", DirectorySink)
    register("stdout", StdoutSink)
    register("webhook", WebhookSink)


def _path(value: Any) -> str:
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise TypeError(f"path must be a file path, got {value!r}")
    return os.fspath(value)


def _positive(name: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, _attribute: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}")

    return check


def check_writable_dir(directory: Path) -> None:
    """Raise :class:`SinkFatalError` unless ``directory`` is (or can be made) a folder this
    process can write in: its nearest existing ancestor must be a folder where a file can be
    created (tried with a temporary file, which also catches read-only mounts)."""
    current = directory
    while not current.exists() and current.parent != current:
        current = current.parent
    if not current.is_dir():
        raise SinkFatalError(f"{current} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=current):
            pass
    except OSError as exc:
        raise SinkFatalError(f"cannot write in {current}: {exc.strerror or exc}") from None


# -- files ---------------------------------------------------------------------------------------


@attrs.define
class _FileSink(BaseSink):
    """Rows go to ``path + ".partial"``, renamed to ``path`` on close; abort deletes it."""

    path: str = attrs.field(converter=_path)
    _file: IO[bytes] | None = attrs.field(default=None, init=False)
    _count: int = attrs.field(default=0, init=False)

    @property
    def partial(self) -> Path:
        return Path(self.path + _PARTIAL)

    def check(self) -> None:
        """Refuse a path that is a directory or whose folder cannot be created or written."""
        target = Path(self.path)
        if target.is_dir():
            raise SinkFatalError(f"{target} is a directory, not a file")
        check_writable_dir(target.parent)

    def open(self, context: ExportContext) -> None:
        target = Path(self.path)
        if target.is_dir():
            raise SinkFatalError(f"{target} is a directory, not a file")
        target.parent.mkdir(parents=True, exist_ok=True)
        self._close_file()
        self._file = open(self.partial, "wb", buffering=_BUFFER)  # noqa: SIM115
        self._count = 0
        self._start()

    def _start(self) -> None:
        """Write what comes before the first row."""

    def _encode(self, batch: list[bytes]) -> bytes:
        raise NotImplementedError

    def _end(self) -> bytes:
        return b""

    def write(self, batch: list[bytes]) -> None:
        f = self._file
        if f is None:
            raise RuntimeError("write() before open()")
        position = f.tell()
        try:
            f.write(self._encode(batch))
        except BaseException:
            f.seek(position)  # all or nothing: a retried batch is not written twice
            f.truncate()
            raise
        self._count += len(batch)

    def close(self, summary: dict[str, Any]) -> None:
        f = self._file
        if f is None:
            raise RuntimeError("close() before open()")
        f.write(self._end())
        f.flush()
        os.fsync(f.fileno())
        self._close_file()
        os.replace(self.partial, self.path)

    def abort(self, error: str) -> None:
        self._close_file()
        self.partial.unlink(missing_ok=True)

    def _close_file(self) -> None:
        if self._file is not None:
            f, self._file = self._file, None
            f.close()


@attrs.define
class NdjsonFileSink(_FileSink):
    """``ndjson_file``: the rows as NDJSON in one file (the RESULT stream's bytes).

    :param path: the file to write (replaced when the export completes).
    """

    def _encode(self, batch: list[bytes]) -> bytes:
        return b"\n".join(batch) + b"\n" if batch else b""


@attrs.define
class JsonArrayFileSink(_FileSink):
    """``json_array_file``: the rows as one JSON array, streamed (never held in memory).

    :param path: the file to write (replaced when the export completes).
    """

    def _start(self) -> None:
        assert self._file is not None
        self._file.write(b"[")

    def _encode(self, batch: list[bytes]) -> bytes:
        if not batch:
            return b""
        body = b",\n".join(batch)
        return body if self._count == 0 else b",\n" + body

    def _end(self) -> bytes:
        return b"]\n"


# -- a directory of files ------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_stem(name: str) -> str:
    """``name`` as a file name: unsafe characters become ``_``; a name that had to change (or
    is empty, or starts with a dot) gets a short hash of the original so names stay unique."""
    safe = _UNSAFE.sub("_", name).lstrip(".")[:150]
    if safe == name and safe:
        return safe
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{safe}-{digest}" if safe else digest


def _dig(row: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(row, dict):
            return None
        row = row.get(key)
    return row


@attrs.define
class DirectorySink(BaseSink):
    """``directory``: one ``<name>.json`` per row in a directory.

    Files are written to a hidden staging directory inside ``path`` and moved in when the
    export completes; abort removes the staging directory.

    :param path: the directory (created when missing).
    :param name_field: the dotted key naming each file (default ``data_row.global_key``; rows
        without one use ``data_row.id``).
    """

    path: str = attrs.field(converter=_path)
    name_field: str = attrs.field(default="data_row.global_key")
    _staging: Path | None = attrs.field(default=None, init=False)

    @name_field.validator
    def _check_name_field(self, _attribute: Any, value: Any) -> None:
        if not isinstance(value, str) or not value:
            raise TypeError(f"name_field must be a dotted key such as 'data_row.id', got {value!r}")

    def check(self) -> None:
        """Refuse a path that is not a directory or cannot be created or written."""
        check_writable_dir(Path(self.path))

    def open(self, context: ExportContext) -> None:
        target = Path(self.path)
        if target.exists() and not target.is_dir():
            raise SinkFatalError(f"{target} exists and is not a directory")
        self._staging = target / f".rowport-partial-{context.task_id}"
        shutil.rmtree(self._staging, ignore_errors=True)
        self._staging.mkdir(parents=True)

    def write(self, batch: list[bytes]) -> None:
        import orjson

        if self._staging is None:
            raise RuntimeError("write() before open()")
        for line in batch:
            row = orjson.loads(line)
            name = _dig(row, self.name_field) or _dig(row, "data_row.id")
            if name is None:
                raise SinkFatalError(f"a row has neither {self.name_field} nor data_row.id")
            (self._staging / f"{safe_file_stem(str(name))}.json").write_bytes(line + b"\n")

    def close(self, summary: dict[str, Any]) -> None:
        if self._staging is None:
            raise RuntimeError("close() before open()")
        target = Path(self.path)
        for item in os.scandir(self._staging):
            os.replace(item.path, target / item.name)
        self._staging.rmdir()
        self._staging = None

    def abort(self, error: str) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None


# -- stdout --------------------------------------------------------------------------------------


@attrs.define
class StdoutSink(BaseSink):
    """``stdout``: the rows as NDJSON on standard output. No options."""

    def write(self, batch: list[bytes]) -> None:
        if batch:
            out = sys.stdout.buffer
            out.write(b"\n".join(batch) + b"\n")

    def close(self, summary: dict[str, Any]) -> None:
        sys.stdout.buffer.flush()


# -- webhook -------------------------------------------------------------------------------------


def _url(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ValueError(f"url must be an http:// or https:// URL, got {value!r}")
    return value


def _headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise TypeError(f"headers must be a dict of strings, got {value!r}")
    return dict(value)


def _whole(name: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, _attribute: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")

    return check


@attrs.define
class WebhookSink(BaseSink):
    """``webhook``: POST the rows as NDJSON (``Content-Type: application/x-ndjson``).

    Each POST carries ``batch_size`` lines and an ``Idempotency-Key`` header: the sha256 of the
    task id, the byte offset of the batch's first line in the RESULT stream, and the batch's
    bytes, so a receiver can drop a batch it has already taken (a retry, or a re-delivery).
    5xx, 429 and connection errors are retried ``max_attempts`` times with exponential
    ``backoff``; any other 4xx fails at once with the status and the start of the body.

    :param url: where to POST.
    :param headers: extra headers (an ``Authorization`` token...).
    :param timeout: seconds per request (default 10).
    :param batch_size: lines per POST (default 500).
    :param max_attempts: tries per POST (default 5).
    :param backoff: seconds before the first retry, doubled for each next one (default 0.5).
    """

    url: str = attrs.field(converter=_url)
    headers: dict[str, str] = attrs.field(factory=dict, converter=_headers)
    timeout: float = attrs.field(default=10.0, validator=_positive("timeout"))
    batch_size: int = attrs.field(default=500, validator=_whole("batch_size"))
    max_attempts: int = attrs.field(default=5, validator=_whole("max_attempts"))
    backoff: float = attrs.field(default=0.5)
    _session: requests.Session | None = attrs.field(default=None, init=False)
    _task_id: str = attrs.field(default="", init=False)
    _offset: int = attrs.field(default=0, init=False)

    @backoff.validator
    def _check_backoff(self, _attribute: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"backoff must be seconds (0 or more), got {value!r}")

    def open(self, context: ExportContext) -> None:
        import requests

        self._close_session()
        self._session = requests.Session()
        self._session.headers.update(self.headers)
        self._task_id = context.task_id
        self._offset = 0

    def idempotency_key(self, offset: int, body: bytes) -> str:
        """The key of the batch starting at stream byte ``offset``."""
        digest = hashlib.sha256(f"{self._task_id}\n{offset}\n".encode())
        digest.update(body)
        return digest.hexdigest()

    def write(self, batch: list[bytes]) -> None:
        offset = self._offset
        for start in range(0, len(batch), self.batch_size):
            chunk = batch[start : start + self.batch_size]
            body = b"\n".join(chunk) + b"\n"
            self._post(body, self.idempotency_key(offset, body))
            offset += len(body)
        self._offset = offset  # only once the whole batch went: a retried write resends it

    def _post(self, body: bytes, key: str) -> None:
        import requests

        retryable = (requests.ConnectionError, requests.Timeout)
        session = self._session
        if session is None:
            raise RuntimeError("write() before open()")
        headers = {"Content-Type": "application/x-ndjson", "Idempotency-Key": key}
        last = ""
        for attempt in range(1, self.max_attempts + 1):
            retry_after: float | None = None
            try:
                response = session.post(self.url, data=body, headers=headers, timeout=self.timeout)
            except retryable as exc:
                last = f"cannot reach {self.url}: {_network_cause(exc)}"
            else:
                status = response.status_code
                if status < 300:
                    return
                last = _http_error(response, self.url)
                if status != 429 and status < 500:
                    raise SinkFatalError(last)
                retry_after = _seconds(response.headers.get("Retry-After"))
            if attempt < self.max_attempts:
                delay = self.backoff * 2 ** (attempt - 1)
                time.sleep(min(60.0, max(delay, retry_after or 0.0)))
        tries = "once" if self.max_attempts == 1 else f"{self.max_attempts} times"
        raise SinkError(f"{last} (POST tried {tries})")

    def close(self, summary: dict[str, Any]) -> None:
        self._close_session()

    def abort(self, error: str) -> None:
        self._close_session()

    def _close_session(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            session.close()


def _network_cause(exc: BaseException) -> str:
    """The innermost OS error of a requests failure (``connection refused``), else the
    exception's class and message."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < 10:
        seen.append(current)
        if isinstance(current, OSError) and current.strerror:
            return current.strerror[:1].lower() + current.strerror[1:]
        args = getattr(current, "args", ())
        inner = args[0] if args and isinstance(args[0], BaseException) else None
        current = (
            current.__cause__ or current.__context__ or inner or getattr(current, "reason", None)
        )
        if not isinstance(current, BaseException):
            current = None
    import requests  # imported already: the failure came from it

    if isinstance(exc, requests.Timeout):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"


def _http_error(response: requests.Response, url: str) -> str:
    """``HTTP 500 Internal Server Error from http://...: <the start of the body>``."""
    reason = f" {response.reason}" if response.reason else ""
    excerpt = " ".join(response.text[:200].split())
    return f"HTTP {response.status_code}{reason} from {url}" + (f": {excerpt}" if excerpt else "")


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
