"""The remote client's side of ``rowport serve``: HTTP session, backend and task manager.

``rowport.Client("http://host:8000", api_key=...)`` (or ``$ROWPORT_URL`` and
``$ROWPORT_API_KEY``) builds an :class:`ApiSession`, a :class:`RemoteBackend` that the entity
handles act through, and a :class:`RemoteTaskManager` that its ``ExportTask`` handles act
through. See ``docs/server.md``.
"""

from __future__ import annotations

from rowport.remote._backend import RemoteBackend
from rowport.remote._session import ApiSession
from rowport.remote._tasks import RemoteTaskManager

__all__ = [
    "ApiSession",
    "RemoteBackend",
    "RemoteTaskManager",
]
