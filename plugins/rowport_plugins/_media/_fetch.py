"""Reading media for media-type plugins: local paths, ``file://`` and ``http(s)://`` URLs.

Only as much of a file as a format needs is read: a header (the first ``head`` bytes, with an
HTTP Range request where the server honours it), or the whole file up to a size cap. One
``requests.Session`` is shared per fetcher (a plugin keeps one per export in
``context.state``). Every failure is a :class:`MediaError` with a stable code, which the plugins
turn into ERRORS lines; nothing here raises anything else.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

import attrs

if TYPE_CHECKING:  # requests is imported when a fetcher first reads over HTTP
    import requests
    import requests.structures

__all__ = ["Media", "MediaError", "MediaFetcher", "reading_file"]

DEFAULT_MAX_BYTES = 64 * 2**20
DEFAULT_TIMEOUT = 10.0


class MediaError(Exception):
    """Media that cannot be read; ``code`` is one of ``MEDIA_NOT_FOUND``, ``MEDIA_UNREACHABLE``,
    ``MEDIA_TOO_LARGE``, ``MEDIA_HTTP_ERROR``, ``MEDIA_UNSUPPORTED_SOURCE``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@attrs.frozen(kw_only=True)
class Media:
    """Bytes read from a media source.

    :ivar data: the bytes (all of them, or the first ``head`` bytes when ``partial``).
    :ivar size: the whole file's size when known.
    :ivar partial: whether ``data`` is only a prefix.
    :ivar content_type: the server's Content-Type (HTTP only).
    :ivar used_range: whether an HTTP Range request was honoured.
    """

    data: bytes
    size: int | None
    partial: bool
    content_type: str | None = None
    used_range: bool = False


_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def offline() -> bool:
    """``ROWPORT_OFFLINE=1``: media on hosts other than this machine's loopback is not fetched."""
    return os.environ.get("ROWPORT_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def blocked(source: str) -> bool:
    """Whether ``source`` is a remote URL that offline mode keeps rowport from fetching."""
    if not offline():
        return False
    parsed = urlparse(source)
    if parsed.scheme.lower() not in ("http", "https"):
        return False
    host = (parsed.hostname or "").lower()
    return not (host in _LOOPBACK or host.startswith("127."))


def local_path(source: str) -> Path | None:
    """The filesystem path of a local path or ``file://`` URL, else None."""
    if source.startswith("file://"):
        parsed = urlparse(source)
        return Path(unquote(parsed.path))
    if "://" in source:
        return None
    if source.startswith(("/", "./", "../")) or os.path.sep in source:
        return Path(source)
    return None


@contextlib.contextmanager
def reading_file(path: Path) -> Iterator[None]:
    """Turn the errors of reading the file at ``path`` into :class:`MediaError`."""
    try:
        yield
    except FileNotFoundError:
        raise MediaError("MEDIA_NOT_FOUND", f"no file at {path}") from None
    except IsADirectoryError:
        raise MediaError("MEDIA_NOT_FOUND", f"{path} is a directory, not a file") from None
    except PermissionError:
        raise MediaError("MEDIA_UNREACHABLE", f"no permission to read {path}") from None


class MediaFetcher:
    """Reads media with timeouts and a size cap, sharing one HTTP session."""

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        session: requests.Session | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._session = session

    @property
    def session(self) -> requests.Session:
        """The HTTP session, created (and ``requests`` imported) on first use."""
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def close(self) -> None:
        """Close the HTTP session, if one was opened."""
        if self._session is not None:
            self._session.close()

    def read(self, source: str, *, head: int | None = None) -> Media:
        """Read ``source``: its first ``head`` bytes, or all of it (up to ``max_bytes``)."""
        path = local_path(source)
        if path is not None:
            return self._read_file(path, head)
        scheme = urlparse(source).scheme.lower()
        if blocked(source):
            raise MediaError(
                "MEDIA_OFFLINE", f"not fetching {source[:120]!r}: ROWPORT_OFFLINE is set"
            )
        if scheme in ("http", "https"):
            return self._read_http(source, head)
        raise MediaError(
            "MEDIA_UNSUPPORTED_SOURCE",
            f"cannot read media from {source[:120]!r}: use a local path, file://, http:// or"
            " https:// URL",
        )

    def _read_file(self, path: Path, head: int | None) -> Media:
        with reading_file(path):
            size = path.stat().st_size
            if head is None and size > self.max_bytes:
                raise MediaError(
                    "MEDIA_TOO_LARGE", f"{path} has {size} bytes, over the cap of {self.max_bytes}"
                )
            with path.open("rb") as f:
                data = f.read(head if head is not None else size)
        return Media(data=data, size=size, partial=len(data) < size)

    def _read_http(self, url: str, head: int | None) -> Media:
        import requests

        headers = {"Range": f"bytes=0-{head - 1}"} if head is not None else {}
        limit = head if head is not None else self.max_bytes
        try:
            with self.session.get(url, headers=headers, stream=True, timeout=self.timeout) as resp:
                if resp.status_code == 404:
                    raise MediaError("MEDIA_NOT_FOUND", f"{url} answered 404 Not Found")
                if resp.status_code >= 400:
                    raise MediaError(
                        "MEDIA_HTTP_ERROR", f"{url} answered HTTP {resp.status_code} {resp.reason}"
                    )
                used_range = resp.status_code == 206
                size = _total_size(resp.headers, used_range)
                if head is None and size is not None and size > self.max_bytes:
                    raise MediaError(
                        "MEDIA_TOO_LARGE",
                        f"{url} has {size} bytes, over the cap of {self.max_bytes}",
                    )
                chunks: list[bytes] = []
                got = 0
                for chunk in resp.iter_content(chunk_size=65536):
                    chunks.append(chunk)
                    got += len(chunk)
                    if got >= limit:
                        break
                data = b"".join(chunks)
                if head is None and got > self.max_bytes:
                    raise MediaError(
                        "MEDIA_TOO_LARGE", f"{url} is larger than the cap of {self.max_bytes}"
                    )
                if head is not None:
                    data = data[:head]
                return Media(
                    data=data,
                    size=size,
                    partial=size is None or len(data) < size,
                    content_type=resp.headers.get("Content-Type"),
                    used_range=used_range,
                )
        except MediaError:
            raise
        except requests.Timeout:
            raise MediaError(
                "MEDIA_UNREACHABLE", f"{url} did not answer within {self.timeout} s"
            ) from None
        except requests.RequestException as exc:
            raise MediaError("MEDIA_UNREACHABLE", f"cannot reach {url}: {exc}") from None


def _total_size(headers: requests.structures.CaseInsensitiveDict[str], ranged: bool) -> int | None:
    if ranged:
        content_range = headers.get("Content-Range", "")
        total = content_range.rsplit("/", 1)[-1]
        return int(total) if total.isdigit() else None
    length = headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None
