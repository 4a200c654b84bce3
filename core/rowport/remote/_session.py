"""Operations of :data:`rowport.api.OPERATIONS` sent over a remote client's HTTP session.

:class:`ApiSession` holds the client's :class:`~rowport.tasks._remote.HttpApi` (one keep-alive
``requests.Session`` sending the key, shared with the task streams). :meth:`ApiSession.call`
fills the operation's path from the arguments and sends the others as the query string of a
GET or the JSON body, and returns the decoded answer; an error answer raises the exception the
server's error code names, with the server's message (what an embedded caller would see).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import orjson
import requests

from rowport.api import operation
from rowport.errors import RowportError
from rowport.tasks._remote import CONNECT_TIMEOUT, HttpApi, raise_for_error

__all__ = ["ApiSession"]

READ_TIMEOUT = 600.0  # a large batch or import may take minutes before it answers


class ApiSession:
    """Calls to ``rowport serve`` at ``url`` with ``api_key`` (the bearer token)."""

    def __init__(self, url: str, api_key: str) -> None:
        self.api = HttpApi(url, api_key)
        self.url = self.api.base_url
        self.api.session.headers["User-Agent"] = "rowport-remote"

    def close(self) -> None:
        """Close the pooled connections."""
        self.api.session.close()

    def _send(self, method: str, path: str, *, text: bool = False, **options: Any) -> Any:
        options.setdefault("timeout", (CONNECT_TIMEOUT, READ_TIMEOUT))
        try:
            response = self.api.session.request(method, self.api.url(path), **options)
        except requests.ConnectionError as exc:
            raise RowportError(f"cannot reach the rowport server at {self.url}: {exc}") from None
        raise_for_error(response)
        if text:
            return response.content.decode("utf-8")
        return orjson.loads(response.content)

    def call(self, name: str, arguments: Mapping[str, Any]) -> Any:
        """Run the operation ``name`` with ``arguments``; its decoded JSON answer."""
        op = operation(name)
        args = dict(arguments)
        path = op.path
        for param in op.path_params():
            path = path.replace("{" + param + "}", quote(str(args.pop(param)), safe=""))
        if op.method == "GET":
            query = {k: _query(v) for k, v in args.items() if v is not None}
            return self._send(op.method, path, text=op.answers != "application/json", params=query)
        headers = {"Content-Type": "application/json"}
        return self._send(op.method, path, data=orjson.dumps(args), headers=headers)

    def post_lines(self, name: str, lines: Iterable[bytes], query: Mapping[str, Any]) -> Any:
        """Stream NDJSON ``lines`` as the body of the operation ``name`` (chunked)."""
        op = operation(name)
        return self._send(
            op.method,
            op.path,
            data=_chunks(lines),
            params={k: _query(v) for k, v in query.items()},
            headers={"Content-Type": "application/x-ndjson"},
        )


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
