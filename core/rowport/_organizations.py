"""Organizations of a rowport home: the home's own catalog, and one catalog per further one.

A catalog database holds one organization (its reads by id are not filtered by organization,
so two organizations in one database would see each other's entities). A home therefore keeps
its own organization in ``home/catalog.db`` (``""``, the default) and each further named one
as a home of its own under ``home/orgs/<name>/`` (``catalog.db`` and ``tasks/``), created on
first use and named ``<name>``. ``rowport keys create --org NAME`` makes a key act for one;
``rowport serve`` opens each organization's catalog when a key of it first calls.
"""

from __future__ import annotations

import re
from pathlib import Path

from rowport.errors import InvalidInput

__all__ = [
    "DEFAULT_ORGANIZATION",
    "check_organization",
    "ensure_organization",
    "organization_home",
]

DEFAULT_ORGANIZATION = ""  # the home's own catalog
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def check_organization(name: str) -> str:
    """``name`` when it can name an organization (it becomes a folder name).

    :raises InvalidInput: naming what is allowed.
    """
    if name == DEFAULT_ORGANIZATION:
        return name
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInput(
            f"organization name {name!r} is not allowed: use 1-63 lowercase letters, digits,"
            " '-' or '_', starting with a letter or digit"
        )
    return name


def organization_home(home: Path, organization: str) -> Path:
    """The home holding ``organization``'s catalog and tasks (``home`` for the default)."""
    check_organization(organization)
    return home if organization == DEFAULT_ORGANIZATION else home / "orgs" / organization


def ensure_organization(home: Path, organization: str) -> Path:
    """Create ``organization``'s catalog in ``home`` (named after it) unless it exists; its
    home. The default organization is the home's own catalog, created by whoever opens it."""
    where = organization_home(home, organization)
    if organization != DEFAULT_ORGANIZATION and not (where / "catalog.db").exists():
        from rowport.catalog import Catalog

        Catalog(where / "catalog.db", organization_name=organization).close()
    return where
