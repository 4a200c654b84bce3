"""The remote :class:`~rowport.api._backend.Backend`: catalog operations sent to a server.

:class:`RemoteBackend` sends each ``client.backend.call(name, **arguments)`` to
``rowport serve`` (see :mod:`rowport.api._backend` for the embedded one).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rowport.api._records import report_from_json
from rowport.catalog import IngestReport
from rowport.remote._session import ApiSession

__all__ = ["RemoteBackend"]


class RemoteBackend:
    """Operations sent to a ``rowport serve`` server."""

    def __init__(self, session: ApiSession) -> None:
        self.session = session

    def call(self, name: str, /, **arguments: Any) -> Any:
        """Send the operation; the server's answer (an error answer raises)."""
        return self.session.call(name, arguments)

    def import_lines(
        self, lines: Iterable[bytes], *, strict: bool, batch_size: int, keep_blank: bool
    ) -> IngestReport:
        """Stream NDJSON lines to ``POST /imports``; the server's line-numbered report
        (``keep_blank``: a blank line is a row, refused as empty, as ``import_rows`` counts)."""
        query = {"strict": strict, "batch_size": batch_size, "keep_blank": keep_blank}
        return report_from_json(self.session.post_lines("imports.rows", lines, query))
