"""The backends a :class:`~rowport.Client` acts through: the catalog, or a server.

Entity handles and the client call ``client.backend.call(name, **arguments)`` with the name
of an operation of :data:`rowport.api.OPERATIONS` (``catalog.rows.create_dataset``) and the
store method's own parameter names. :class:`CatalogBackend` calls the store method on the
embedded catalog; :class:`RemoteBackend` sends the operation to ``rowport serve``, which calls
the same method on its catalog of the key's organization.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from rowport.api import operation
from rowport.api._records import report_from_json
from rowport.catalog import IngestReport
from rowport.remote._session import ApiSession

if TYPE_CHECKING:
    from rowport.catalog import Catalog

__all__ = ["Backend", "CatalogBackend", "RemoteBackend"]


class Backend(Protocol):
    """Where a client's catalog operations go."""

    def call(self, name: str, /, **arguments: Any) -> Any:
        """Run the catalog operation ``name``; its result (records as dicts and lists)."""
        ...


class CatalogBackend:
    """Operations on the embedded catalog's stores."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def call(self, name: str, /, **arguments: Any) -> Any:
        """Call the store method the operation names."""
        store_call = operation(name).store_call
        if store_call is None:
            raise ValueError(f"{name} is not a catalog operation")
        store, method = store_call
        return getattr(getattr(self.catalog, store), method)(**arguments)


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
