"""The HTTP session of a remote client: one keep-alive ``requests.Session`` per client.

:meth:`ApiSession.call` sends one operation of :data:`rowport.api.OPERATIONS` (its path filled
from the arguments, the others as the query string of a GET or the JSON body) and returns the
decoded answer; an error answer raises the exception the server's error code names, with the
server's message (so a remote caller sees what an embedded one would).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import orjson
import requests

from rowport.api import operation, raise_wire_error
from rowport.errors import RowportError

__all__ = ["API_PREFIX", "ApiSession"]

API_PREFIX = "/api/v1"
TIMEOUT = (10.0, 300.0)  # connect, read (a large batch or import may take minutes)


class ApiSession:
    """Calls to ``rowport serve`` at ``url`` with ``api_key`` (the bearer token)."""

    def __init__(self, url: str, api_key: str) -> None:
        self.url = url.rstrip("/")
        self.base = self.url + API_PREFIX
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {api_key}"
        self.http.headers["User-Agent"] = "rowport-remote"

    def close(self) -> None:
        """Close the pooled connections."""
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A raw request to ``/api/v1`` + ``path``; an error answer raises (see module doc)."""
        kwargs.setdefault("timeout", TIMEOUT)
        try:
            response = self.http.request(method, self.base + path, **kwargs)
        except requests.ConnectionError as exc:
            raise RowportError(f"cannot reach the rowport server at {self.url}: {exc}") from None
        if response.status_code >= 400:
            raise_for_answer(response)
        return response

    def call(self, name: str, arguments: Mapping[str, Any]) -> Any:
        """Run the operation ``name`` with ``arguments``; its decoded JSON answer."""
        op = operation(name)
        args = dict(arguments)
        path = op.path
        for param in op.path_params():
            path = path.replace("{" + param + "}", quote(str(args.pop(param)), safe=""))
        kwargs: dict[str, Any] = {}
        if op.method == "GET":
            kwargs["params"] = {k: _query(v) for k, v in args.items() if v is not None}
        elif args:
            kwargs["data"] = orjson.dumps(args)
            kwargs["headers"] = {"Content-Type": "application/json"}
        return orjson.loads(self.request(op.method, path, **kwargs).content)

    def post_lines(self, name: str, lines: Iterable[bytes], query: Mapping[str, Any]) -> Any:
        """Stream NDJSON ``lines`` as the body of the operation ``name`` (chunked)."""
        op = operation(name)
        response = self.request(
            op.method,
            op.path,
            data=_chunks(lines),
            params={k: _query(v) for k, v in query.items()},
            headers={"Content-Type": "application/x-ndjson"},
        )
        return orjson.loads(response.content)


def _query(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _chunks(lines: Iterable[bytes], size: int = 1 << 20) -> Iterable[bytes]:
    """Lines gathered into chunks of about ``size`` bytes (fewer, larger writes)."""
    buffer: list[bytes] = []
    held = 0
    for line in lines:
        buffer.append(line)
        held += len(line)
        if held >= size:
            yield b"".join(buffer)
            buffer.clear()
            held = 0
    if buffer:
        yield b"".join(buffer)


def raise_for_answer(response: requests.Response) -> None:
    """Raise the exception an error answer names (a RowportError for a body not ours)."""
    try:
        error = orjson.loads(response.content)["error"]
        if not isinstance(error, dict):
            raise TypeError
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise RowportError(
            f"the rowport server answered HTTP {response.status_code}: {response.text[:200]}"
        ) from None
    raise_wire_error(error, response.status_code)
