"""Bearer-key authentication: every request names a live key, or is answered 401.

:class:`Authenticate` is plain ASGI middleware (so streamed and server-sent responses pass
through untouched). It looks the token up in the home's :class:`~rowport.catalog.KeyStore`
and puts the :class:`~rowport.catalog.ApiKey` in the request's state as ``request.state.key``;
routes read it through :func:`rowport.server._context.caller`.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from rowport.catalog import KeyStore
from rowport.server._errors import error_response

__all__ = ["Authenticate"]


class Authenticate:
    """Answer 401 unless ``Authorization: Bearer <token>`` names a live key."""

    def __init__(self, app: ASGIApp, *, keys: KeyStore, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.keys = keys
        # paths whose routes answer keys (or sessions) themselves: each is a prefix (``/``:
        # the root path only)
        self.exempt = exempt

    def _exempt(self, path: str) -> bool:
        return any(
            path == prefix if prefix == "/" else path == prefix or path.startswith(prefix + "/")
            for prefix in self.exempt
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        if not header:
            message = "this API needs a key: send the header 'Authorization: Bearer <key>'"
        elif scheme.lower() != "bearer" or not token.strip():
            message = "the Authorization header must be 'Bearer <key>'"
        else:
            key = self.keys.authenticate(token.strip())
            if key is not None:
                scope.setdefault("state", {})["key"] = key
                await self.app(scope, receive, send)
                return
            message = "the key is unknown or was revoked"
        response = error_response(401, "unauthorized", message)
        response.headers["WWW-Authenticate"] = 'Bearer realm="rowport"'
        await response(scope, receive, send)
