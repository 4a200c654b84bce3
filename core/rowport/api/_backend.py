"""The backends a :class:`~rowport.Client` acts through: the catalog, or a server.

Entity handles and the client call ``client.backend.call(name, **arguments)`` with the name
of an operation of :data:`rowport.api.OPERATIONS` (``catalog.rows.create_dataset``) and the
store method's own parameter names. :class:`CatalogBackend` calls the store method on the
embedded catalog; :class:`rowport.remote.RemoteBackend` sends the operation to
``rowport serve``, which calls the same method on its catalog of the key's organization.
(Nothing here imports the HTTP client: an embedded client never loads it.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from rowport.api._operations import operation

if TYPE_CHECKING:
    from rowport.catalog import Catalog

__all__ = ["Backend", "CatalogBackend", "is_server_url"]


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


def is_server_url(target: object) -> bool:
    """Whether a client's target is a server URL (``http://`` or ``https://``), not a home."""
    return isinstance(target, str) and target.startswith(("http://", "https://"))
