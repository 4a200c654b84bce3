"""The catalog page (datasets, projects, model runs, slices) and its export forms."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from rowport.api import operation, wire_error
from rowport.client import Client
from rowport.errors import RowportError
from rowport.request import ExportKind
from rowport.server._errors import ApiError
from rowport.server._handlers import call_operation
from rowport.server.console._access import CONSOLE_PREFIX, Access
from rowport.server.console._http import json_field, page, see
from rowport.server.console._render import render
from rowport.server.console._session import Session

__all__ = ["catalog", "catalog_sections", "export"]

_CATALOG = (  # (records_of kind, title, export kind)
    ("datasets", "Datasets", ExportKind.DATASET),
    ("projects", "Projects", ExportKind.PROJECT),
    ("model-runs", "Model runs", ExportKind.MODEL_RUN),
    ("slices", "Slices", ExportKind.SLICE),
)


def catalog_sections(client: Client) -> list[dict[str, Any]]:
    """The catalog page's sections: each kind's records, and the export kind of their form."""
    from rowport.cli._ls import records_of

    return [
        {
            "kind": kind,
            "title": title,
            "export_kind": export.value,
            "records": records_of(client, kind),
        }
        for kind, title, export in _CATALOG
    ]


async def catalog(
    access: Access, request: Request, session: Session, form: dict[str, Any] | None = None
) -> Response:
    """The catalog page; with ``form``, the refused export form again with its message (422)."""
    client = access.client(session, request)
    sections = await anyio.to_thread.run_sync(catalog_sections, client)
    html = render(
        "catalog.html",
        title="Catalog",
        page="catalog",
        session=session,
        events=None,
        sections=sections,
        form=form,
    )
    return page(html, 422 if form else 200)


async def export(access: Access, request: Request, session: Session) -> Response:
    """Start an export from a catalog form: the body ``POST /api/v1/exports`` would get,
    run through the same operation (same checks, same messages)."""
    fields = await access.form(request, session)
    try:
        access.writable(session)
        args = {
            "kind": fields.get("kind", ""),
            "scope_ids": [fields.get("scope_id", "")],
            "params": json_field(fields, "params"),
            "filters": json_field(fields, "filters"),
            "task_name": fields.get("task_name") or None,
        }
        client = access.client(session, request)
        started = await anyio.to_thread.run_sync(
            call_operation, operation("exports.start"), client, args
        )
    except (ApiError, RowportError) as refused:
        message = refused.message if isinstance(refused, ApiError) else wire_error(refused)[1]
        return await catalog(access, request, session, form={**fields, "message": message})
    return see(f"{CONSOLE_PREFIX}/tasks/{started['id']}")
