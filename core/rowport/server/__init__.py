"""``rowport serve``: the export service over HTTP.

:func:`create_app` builds the Starlette app of a home; ``rowport serve`` runs it with uvicorn.

How the pieces fit (for whoever adds routes):

- ``_app.py``: the factory. Routes are mounted under ``/api/v1``: the operation routes of
  ``_routes.py`` (one per entry of :data:`rowport.api.OPERATIONS`) and the stream routes of
  ``_streams.py`` (:func:`~rowport.server._streams.stream_routes`).
- ``_auth.py``: every request carries ``Authorization: Bearer <key>``; the live
  :class:`~rowport.catalog.ApiKey` is ``request.state.key``.
- ``_context.py``: ``caller(request)`` is the key and the embedded :class:`~rowport.Client` of
  its organization (its catalog, its task manager); ``require_write(request)`` answers 403 for
  a read-only key; ``resolve_task(request, task_id)`` is the organization's task or NotFound.
- ``_errors.py``: raise :class:`~rowport.server._errors.ApiError` or any rowport exception;
  every error is answered ``{"error": {"code", "message"}}``.
- ``_body.py``: request bodies within the limits of :class:`ServerSettings` (413 beyond).
- ``_log.py``: one JSON line per request on the ``rowport.server.access`` logger.
- ``_orgs.py``: one embedded client per organization, each in its own home.
"""

from __future__ import annotations

from rowport.server._app import API_PREFIX, create_app
from rowport.server._settings import ServerSettings

__all__ = ["API_PREFIX", "ServerSettings", "create_app"]
