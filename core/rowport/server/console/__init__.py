"""The web console of ``rowport serve`` and the task report of ``rowport report``.

- ``_session.py``: an API key exchanged for an HttpOnly, SameSite=Strict session cookie.
- ``_views.py``: what a task page shows, as data (record, request, timings, error groups).
- ``_render.py``: Jinja2 templates (autoescape on) and the static files under ``static/``
  (uPlot's minified file with its MIT licence, the console's CSS and script).
- ``_routes.py``: the routes under ``/console`` (``/`` redirects there); ``_access.py`` the
  session guard every page but sign-in runs behind; the handlers by page in ``_signin.py``,
  ``_task_list.py``, ``_task_page.py``, ``_task_actions.py``, ``_catalog_page.py`` and
  ``_files.py``.

:func:`report_html` is the report ``rowport report`` writes and
``GET /api/v1/tasks/{id}/report`` answers: the task page's content as one HTML file.
"""

from __future__ import annotations

from rowport.server.console._access import CONSOLE_PREFIX
from rowport.server.console._routes import console_routes
from rowport.server.console._session import Sessions
from rowport.server.console._task_page import report_html

__all__ = ["CONSOLE_PREFIX", "Sessions", "console_routes", "report_html"]
