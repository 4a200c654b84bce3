"""Console sessions: an API key exchanged for an HttpOnly, SameSite=Strict cookie.

``EventSource`` cannot send an ``Authorization`` header, so the console signs in once with a
key and holds a random session id in a cookie instead. The server keeps the table
(:class:`Sessions`, in memory: a restart signs everyone out): the cookie's id (only its SHA-256
is kept), the key's id, a per-session CSRF token every POST form must carry, and when it was
last used. Every request re-reads the key, so revoking it ends its sessions at once; signing
out removes the session; an idle one expires after :data:`IDLE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time

import attrs

from rowport.catalog import ApiKey, KeyStore
from rowport.errors import NotFound

__all__ = ["COOKIE", "IDLE_SECONDS", "Session", "Sessions"]

COOKIE = "rowport_console"
IDLE_SECONDS = 12 * 3600


@attrs.frozen(kw_only=True)
class Session:
    """A signed-in console session: its key (live when handed out) and its CSRF token."""

    key: ApiKey
    csrf: str

    @property
    def key_name(self) -> str:
        """The key's name."""
        return self.key.name

    @property
    def organization(self) -> str:
        """The key's organization (``""``: the home's own)."""
        return self.key.organization

    @property
    def read_only(self) -> bool:
        """Whether the key may only read."""
        return self.key.read_only

    def check_csrf(self, token: object) -> bool:
        """Whether a form's ``csrf`` field is this session's token."""
        return isinstance(token, str) and hmac.compare_digest(token, self.csrf)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    """The server's console sessions, by the SHA-256 of their cookie's id."""

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys
        self._table: dict[str, tuple[str, str, float]] = {}  # digest -> (key id, csrf, last use)
        self._lock = threading.Lock()

    def sign_in(self, token: str) -> tuple[str, Session] | None:
        """A new session for the live key ``token`` (its cookie value and the session), or
        None for an unknown or revoked key."""
        key = self.keys.authenticate(token.strip())
        if key is None:
            return None
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        with self._lock:
            self._table[_digest(session_id)] = (key.id, csrf, time.monotonic())
        return session_id, Session(key=key, csrf=csrf)

    def get(self, session_id: str | None) -> Session | None:
        """The session of a cookie's id, when it exists, is not idle too long, and its key is
        still live (a revoked key's sessions end)."""
        if not session_id:
            return None
        digest = _digest(session_id)
        now = time.monotonic()
        with self._lock:
            entry = self._table.get(digest)
            if entry is None:
                return None
            key_id, csrf, last = entry
            if now - last > IDLE_SECONDS:
                del self._table[digest]
                return None
            self._table[digest] = (key_id, csrf, now)
        try:
            key = self.keys.get_key(key_id)
        except NotFound:
            key = None
        if key is None or key.revoked:
            self.sign_out(session_id)
            return None
        return Session(key=key, csrf=csrf)

    def sign_out(self, session_id: str | None) -> None:
        """End the session (its cookie no longer signs anyone in)."""
        if session_id:
            with self._lock:
                self._table.pop(_digest(session_id), None)
