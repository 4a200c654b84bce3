"""The organization a rowport home belongs to, and its users."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from rowport.entities._handle import Handle

if TYPE_CHECKING:
    from rowport.client import Client

__all__ = ["Organization", "User"]


@attrs.define(kw_only=True, eq=False, repr=False)
class Organization(Handle):
    """The organization whose catalog a client opens (one per home)."""

    name: str
    created_at: str

    @classmethod
    def from_record(cls, client: Client, record: Mapping[str, Any]) -> Organization:
        """A handle on a catalog record of an organization."""
        return cls(
            client=client, uid=record["id"], name=record["name"], created_at=record["created_at"]
        )

    def users(self) -> list[User]:
        """The organization's users, by email."""
        records = self.client.backend.call("catalog.organization.list_users")
        return [User.from_record(self.client, r) for r in records]


@attrs.define(kw_only=True, eq=False, repr=False)
class User(Handle):
    """A user of the organization: who created rows, labels and tasks (``created_by``)."""

    email: str
    name: str | None
    organization_id: str
    created_at: str

    @classmethod
    def from_record(cls, client: Client, record: Mapping[str, Any]) -> User:
        """A handle on a catalog record of a user."""
        return cls(
            client=client,
            uid=record["id"],
            email=record["email"],
            name=record["name"],
            organization_id=record["organization_id"],
            created_at=record["created_at"],
        )

    def __repr__(self) -> str:
        return f"<User {self.uid} {self.email!r}>"
