"""What every entity handle shares: the client it came from, its id, equality by id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from rowport.errors import InvalidInput

if TYPE_CHECKING:
    from rowport.client import Client

__all__ = ["Handle", "resolve_data_rows", "uids"]


@attrs.define(kw_only=True, eq=False, repr=False)
class Handle:
    """A snapshot of one catalog record plus the client to act on it.

    Two handles are equal when they name the same entity (same type and ``uid``), as in the
    reference SDK, however old either snapshot is.
    """

    client: Client
    uid: str

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Handle) and type(other) is type(self) and other.uid == self.uid

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.uid))

    def __repr__(self) -> str:
        name = getattr(self, "name", None)
        text = f"<{type(self).__name__} {self.uid}"
        return text + (f" {name!r}>" if isinstance(name, str) else ">")


def uids(items: Iterable[Any], what: str) -> list[str]:
    """Ids of ``items`` (ids or handles), duplicates dropped, order kept.

    :raises InvalidInput: when ``items`` is a bare string or holds something else.
    """
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise InvalidInput(f"{what} must be a list of ids or handles, got {items!r}")
    out: list[str] = []
    for i, item in enumerate(items):
        if isinstance(item, Handle):
            out.append(item.uid)
        elif isinstance(item, str) and item:
            out.append(item)
        else:
            raise InvalidInput(f"{what}[{i}] must be an id or a handle, got {item!r}")
    return list(dict.fromkeys(out))


def resolve_data_rows(
    client: Client,
    data_rows: Iterable[Any] | None,
    global_keys: Sequence[str] | None,
    *,
    what: str,
) -> list[str]:
    """Data row ids from exactly one of ``data_rows`` (ids or handles) and ``global_keys``.

    :raises InvalidInput: when both or neither are given, or a global key is unknown.
    """
    if (data_rows is None) == (global_keys is None):
        raise InvalidInput(f"{what} takes exactly one of data_rows and global_keys")
    if data_rows is not None:
        return uids(data_rows, "data_rows")
    if isinstance(global_keys, (str, bytes)) or not all(
        isinstance(k, str) and k for k in global_keys or ()
    ):
        raise InvalidInput(f"global_keys must be a list of non-empty strings, got {global_keys!r}")
    keys = list(dict.fromkeys(global_keys or ()))
    found = client.backend.call("catalog.rows.resolve_global_keys", keys=keys)
    missing = [k for k in keys if k not in found]
    if missing:
        raise InvalidInput(f"no data row has global key {', '.join(map(repr, missing[:5]))}")
    return [found[k] for k in keys]
