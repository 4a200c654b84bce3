"""A project label as the assembler builds it for plugins, knowing where it is in the catalog."""

from __future__ import annotations

from typing import Any

__all__ = ["CatalogLabel"]


class CatalogLabel(dict[str, Any]):
    """A label of an export row (a dict, encoded as one) that carries, outside its keys, its
    ``rid`` in the catalog, the ``annotations`` text it was read with and what plugins found
    checking it (``checks``: the remembered entry's JSON bytes, read in the same query as the
    label; None when nothing is remembered). :func:`rowport.plugins.remembered` keeps the
    checks of such a label by its rid; a copy (a plain dict) is checked by its content."""

    __slots__ = ("checks", "rid", "text")

    def __init__(self, rid: int, text: str, checks: bytes | None, **keys: Any) -> None:
        super().__init__(keys)
        self.rid = rid
        self.text = text
        self.checks = checks
