"""API keys of ``rowport serve``: random tokens, kept only as their sha256, one organization each.

A key has an id (shown in ``keys list`` and in the server's log lines) separate from its
secret: the secret is the token a client sends as ``Authorization: Bearer <token>``; it is shown
once, when the key is created, and only its sha256 is stored (the tokens are 256 random bits,
so a plain hash is as strong as a slow one). A revoked key stays listed, never authenticates.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import attrs

from rowport._ids import new_id
from rowport._organizations import check_organization
from rowport._time import now_ts
from rowport.catalog._base import require_str
from rowport.catalog._db import Database

__all__ = ["TOKEN_PREFIX", "ApiKey", "KeyStore"]

TOKEN_PREFIX = "rpk_"  # so a leaked token is recognisable (secret scanners, logs)
_COLUMNS = "id, name, organization, read_only, created_at, revoked_at"


@attrs.frozen(kw_only=True)
class ApiKey:
    """A key as stored, without its secret. ``organization`` is the home's organization the
    key acts for (``""``: the home's own catalog)."""

    id: str
    name: str
    organization: str
    read_only: bool
    created_at: str
    revoked_at: str | None

    @property
    def revoked(self) -> bool:
        """Whether the key was revoked (it no longer authenticates)."""
        return self.revoked_at is not None

    def to_dict(self) -> dict[str, Any]:
        """The key as JSON (``keys list --json``); never holds the secret."""
        return attrs.asdict(self)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _key(row: Any) -> ApiKey:
    id, name, organization, read_only, created_at, revoked_at = row
    return ApiKey(
        id=id,
        name=name,
        organization=organization,
        read_only=bool(read_only),
        created_at=created_at,
        revoked_at=revoked_at,
    )


class KeyStore:
    """The ``api_keys`` table of a home's catalog database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create_key(
        self, name: str, *, organization: str = "", read_only: bool = False
    ) -> tuple[ApiKey, str]:
        """A new key and its secret token (the only time the token is known)."""
        require_str(name, "name")
        check_organization(organization)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        key_id = new_id()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO api_keys (id, name, organization, secret_sha256, read_only,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (key_id, name, organization, _digest(token), int(read_only), now_ts()),
            )
        return self.get_key(key_id), token

    def get_key(self, key_id: str) -> ApiKey:
        """The key with this id; :class:`NotFound` when there is none."""
        return _key(
            self.db.one(f"SELECT {_COLUMNS} FROM api_keys WHERE id = ?", (key_id,), "key", key_id)
        )

    def list_keys(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        rows = self.db.conn.execute(f"SELECT {_COLUMNS} FROM api_keys ORDER BY created_at, id")
        return [_key(row) for row in rows]

    def revoke_key(self, key_id: str) -> ApiKey:
        """Revoke a key (revoking twice keeps the first time); NotFound for an unknown id."""
        self.get_key(key_id)
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                (now_ts(), key_id),
            )
        return self.get_key(key_id)

    def authenticate(self, token: str) -> ApiKey | None:
        """The live key whose secret is ``token``; None for an unknown or revoked one."""
        digest = _digest(token)
        row = self.db.conn.execute(
            f"SELECT {_COLUMNS}, secret_sha256 FROM api_keys WHERE secret_sha256 = ?", (digest,)
        ).fetchone()
        if row is None or not hmac.compare_digest(row[-1], digest):
            return None
        key = _key(row[:-1])
        return None if key.revoked else key
