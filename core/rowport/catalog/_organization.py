"""The organization a catalog belongs to and its users (who acts, recorded as ``created_by``)."""

from __future__ import annotations

from typing import Any

from rowport.catalog._base import Actor
from rowport.catalog._db import Database

__all__ = ["OrganizationStore"]

_USER_KEYS = ("id", "email", "name", "organization_id", "created_at")
_USER_COLUMNS = ", ".join(_USER_KEYS)


class OrganizationStore:
    """Reads of the acting organization and its users."""

    def __init__(self, db: Database, actor: Actor) -> None:
        self.db = db
        self.actor = actor

    def get_organization(self) -> dict[str, Any]:
        """The organization this catalog acts for: ``{"id", "name", "created_at"}``."""
        org = self.actor.organization_id
        row = self.db.one(
            "SELECT id, name, created_at FROM organizations WHERE id = ?",
            (org,),
            "organization",
            org,
        )
        return dict(zip(("id", "name", "created_at"), row, strict=True))

    def get_user(self, email: str | None = None) -> dict[str, Any]:
        """The user with ``email`` (the acting user when None): ``{"id", "email", "name",
        "organization_id", "created_at"}``; :class:`~rowport.errors.NotFound` when none."""
        wanted = self.actor.user_email if email is None else email
        row = self.db.one(
            f"SELECT {_USER_COLUMNS} FROM users WHERE organization_id = ? AND email = ?",
            (self.actor.organization_id, wanted),
            "user",
            wanted,
        )
        return dict(zip(_USER_KEYS, row, strict=True))

    def list_users(self) -> list[dict[str, Any]]:
        """The organization's users, by email."""
        return [
            dict(zip(_USER_KEYS, r, strict=True))
            for r in self.db.conn.execute(
                f"SELECT {_USER_COLUMNS} FROM users WHERE organization_id = ? ORDER BY email",
                (self.actor.organization_id,),
            )
        ]
