"""HTML from the console's templates: Jinja2 with autoescape on for every template.

Every value a page shows goes through Jinja2's escaping (names, filters, row data, messages);
the only text marked safe is the package's own static files inlined into a report. Data for
the page's script travels as JSON in a ``<script type="application/json">`` element
(``tojson`` escapes ``<``, ``>``, ``&`` and ``'``), read with ``JSON.parse``.
:func:`render_report` inlines the styles and scripts, so its file needs no server or network.
"""

from __future__ import annotations

import datetime
import functools
from importlib import resources
from typing import Any

import jinja2
import orjson

from rowport.cli._output import format_bytes
from rowport.server.console._views import TaskView

__all__ = ["STATIC_FILES", "render", "render_report", "static_bytes"]

# the files under /console/static (the only ones served from the package)
STATIC_FILES = {
    "console.css": "text/css",
    "console.js": "text/javascript",
    "uPlot.iife.min.js": "text/javascript",
    "uPlot.min.css": "text/css",
    "uPlot.LICENSE": "text/plain",
}


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("rowport.server.console", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["size"] = format_bytes
    environment.filters["number"] = lambda n: f"{int(n or 0):,}"
    environment.filters["pretty"] = lambda value: orjson.dumps(
        value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
    ).decode()
    return environment


def render(template: str, **context: Any) -> str:
    """The page ``template`` rendered with ``context`` (every value escaped)."""
    return _environment().get_template(template).render(**context)


@functools.cache
def static_bytes(name: str) -> bytes:
    """One of :data:`STATIC_FILES`, as shipped in the package."""
    if name not in STATIC_FILES:
        raise KeyError(name)
    return (resources.files("rowport.server.console") / "static" / name).read_bytes()


def render_report(view: TaskView) -> str:
    """The task's report: one HTML file with its styles, plot script and data inline."""
    inline = {
        name.replace(".", "_"): static_bytes(name).decode()
        for name in ("console.css", "uPlot.min.css", "uPlot.iife.min.js", "console.js")
    }
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return render("report.html", view=view, inline=inline, now=now)
