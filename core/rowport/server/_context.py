"""What a route knows about its caller: the key, and the embedded client of its organization.

A route calls :func:`caller` to get the :class:`Caller` of a request (the
:class:`~rowport.catalog.ApiKey` put there by :class:`~rowport.server._auth.Authenticate`, and
the embedded :class:`~rowport.Client` of the key's organization), and :func:`require_write`
before anything that creates, changes or cancels (a read-only key is answered 403).
:func:`resolve_task` is how a route reaches a task: only the caller's organization's tasks
exist for it (another's answer 404).
"""

from __future__ import annotations

import re

import attrs
from starlette.requests import Request

from rowport.catalog import ApiKey
from rowport.client import Client
from rowport.errors import NotFound
from rowport.server._errors import ApiError
from rowport.server._orgs import Organizations
from rowport.server._settings import ServerSettings
from rowport.tasks import ExportTask

__all__ = ["Caller", "ServerState", "caller", "require_write", "resolve_task"]

# ids rowport makes are 25 lowercase letters and digits; anything unlike an id is not found,
# so no id taken from a request ever reaches a file path
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@attrs.frozen(kw_only=True)
class ServerState:
    """What every route shares: the settings and the organizations' clients."""

    settings: ServerSettings
    organizations: Organizations


@attrs.frozen(kw_only=True)
class Caller:
    """The key a request came with and the embedded client of its organization."""

    key: ApiKey
    client: Client


def server_state(request: Request) -> ServerState:
    """The app's :class:`ServerState`."""
    state: ServerState = request.app.state.rowport
    return state


def caller(request: Request) -> Caller:
    """The authenticated caller of ``request``."""
    key: ApiKey = request.state.key
    client = server_state(request).organizations.client(key.organization)
    return Caller(key=key, client=client)


def require_write(request: Request) -> None:
    """403 unless the request's key may create, change and cancel."""
    key: ApiKey = request.state.key
    if key.read_only:
        raise ApiError(
            403, "forbidden", f"key {key.id} ({key.name}) is read-only: it cannot change anything"
        )


def check_id(value: str, kind: str) -> str:
    """``value`` when it looks like an id, else :class:`NotFound` (never a path)."""
    if not _ID.fullmatch(value):
        raise NotFound(kind, value)
    return value


def resolve_task(request: Request, task_id: str) -> ExportTask:
    """The caller's organization's task ``task_id`` (the embedded handle); NotFound (404)
    when that organization has no such task."""
    return caller(request).client.get_task(check_id(task_id, "task"))
