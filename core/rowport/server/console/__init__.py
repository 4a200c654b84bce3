"""The web console of ``rowport serve`` and the task report of ``rowport report``.

- ``_session.py``: an API key exchanged for an HttpOnly, SameSite=Strict session cookie.
- ``_views.py``: what a task page shows, as data (record, request, timings, error groups).
- ``_render.py``: Jinja2 templates (autoescape on) and the static files under ``static/``
  (uPlot's minified file with its MIT licence, the console's CSS and script).
- ``_pages.py``: the routes under ``/console`` (``/`` redirects there).

:func:`report_html` is the report ``rowport report`` writes and
``GET /api/v1/tasks/{id}/report`` answers: the task page's content as one HTML file.
"""

from __future__ import annotations

from rowport.server.console._pages import CONSOLE_PREFIX, console_routes, report_html
from rowport.server.console._session import Sessions

__all__ = ["CONSOLE_PREFIX", "Sessions", "console_routes", "report_html"]
