"""The app factory: ``create_app(settings)`` builds the Starlette app of ``rowport serve``."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from rowport.catalog import KeyStore, open_database
from rowport.plugins import PluginHost
from rowport.server._auth import Authenticate
from rowport.server._context import ServerState, resolve_task
from rowport.server._errors import exception_handlers
from rowport.server._formats import format_routes
from rowport.server._log import AccessLog
from rowport.server._orgs import Organizations
from rowport.server._routes import api_routes
from rowport.server._settings import ServerSettings
from rowport.server._streams import stream_routes
from rowport.server.console import CONSOLE_PREFIX, Sessions, console_routes
from rowport.server.graphql import GRAPHQL_PATH, Signer, graphql_routes
from rowport.tasks._resume import ResumeReport

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"

logger = logging.getLogger("rowport.server")


def create_app(settings: ServerSettings, *, plugins: PluginHost | None = None) -> Starlette:
    """The API of the home ``settings.home``: every route under ``/api/v1``, keys checked on
    every request, one log line each. With ``settings.resume`` its start resumes the exports a
    stopped or killed server left interrupted. Closing it (the ASGI lifespan's shutdown)
    interrupts the exports still running: each ends CANCELED after its current batch, left
    for the next ``--resume`` start to continue."""
    home = settings.home.expanduser().absolute()
    keys_db = open_database(home / "catalog.db")
    organizations = Organizations(settings, plugins if plugins is not None else PluginHost.load())
    state = ServerState(settings=settings, organizations=organizations)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            if settings.resume:
                _log_resumed(organizations.resume_interrupted())
            yield
        finally:
            organizations.close()
            keys_db.close()

    routes = [*api_routes(), *stream_routes(resolve_task), *format_routes(resolve_task)]
    app = Starlette(
        routes=[
            Mount(API_PREFIX, routes=routes),
            *graphql_routes(KeyStore(keys_db), Signer(home)),
            *console_routes(Sessions(KeyStore(keys_db))),
        ],
        exception_handlers=exception_handlers(),
        middleware=[
            Middleware(AccessLog),
            # the console answers sessions itself (a cookie: EventSource sends no header)
            Middleware(
                Authenticate, keys=KeyStore(keys_db), exempt=(GRAPHQL_PATH, CONSOLE_PREFIX, "/")
            ),
        ],
        lifespan=lifespan,
    )
    app.state.rowport = state
    return app


def _log_resumed(reports: dict[str, ResumeReport]) -> None:
    """One log line per organization that had interrupted exports: resumed and refused."""
    for organization, report in reports.items():
        if not report.resumed and not report.refused:
            continue
        logger.info(
            "rowport serve: organization %s: resumed %d interrupted export(s)%s%s",
            organization or "(home)",
            len(report.resumed),
            "".join(f" {task.uid}" for task in report.resumed),
            "".join(f"; not resumed {uid}: {why}" for uid, why in report.refused.items()),
        )
