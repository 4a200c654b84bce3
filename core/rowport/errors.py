"""The exception tree of rowport.

Every error rowport raises on purpose derives from :class:`RowportError`, so callers can catch
one type. Bad input raises a subclass of ``ValueError`` as well, so code written against the
reference SDK (which raises ``ValueError``) keeps working.
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "CatalogError",
    "CatalogWriteError",
    "ExportTaskException",
    "IngestError",
    "InvalidExportRequest",
    "InvalidInput",
    "NotFound",
    "PluginLoadError",
    "ResourceNotFoundError",
    "RowportError",
    "StreamCorrupted",
    "TaskChanged",
]


class RowportError(Exception):
    """Base class of every error rowport raises on purpose."""


class InvalidInput(RowportError, ValueError):
    """An argument or record is malformed; the message names the field and what is allowed."""


class InvalidExportRequest(InvalidInput):
    """Export params or filters are invalid for the export's kind."""


class NotFound(RowportError, LookupError):
    """An entity does not exist. ``kind`` and ``id`` name what was looked up."""

    def __init__(self, kind: str, id: str) -> None:
        super().__init__(f"{kind} not found: {id!r}")
        self.kind = kind
        self.id = id


#: The reference SDK's name for :class:`NotFound`: ``except ResourceNotFoundError`` catches it.
ResourceNotFoundError = NotFound


class CatalogError(RowportError):
    """The catalog refused a change (a conflict such as a duplicate global key)."""


class CatalogWriteError(CatalogError):
    """The catalog's database could not be written (its disk is full, or it failed): what was
    being written is rolled back whole, what was committed before stays, and the catalog is
    consistent. The message names the database and SQLite's reason."""


class IngestError(InvalidInput):
    """A line of an import could not be loaded. ``line`` is 1-based."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


class PluginLoadError(RowportError):
    """A plugin could not be loaded; the message names the entry point and its distribution."""


class ExportTaskException(RowportError):
    """Raised by :class:`~rowport.ExportTask` readers: "Task failed", "Task is not ready yet"."""


class AccessDenied(RowportError, PermissionError):
    """A ``rowport serve`` server refused the request: no key, an unknown or revoked key
    (HTTP 401), or a key that may not do this, such as a read-only key writing (403)."""


class StreamCorrupted(RowportError):
    """A task's stream on disk does not match its manifest (or has none, or is not a folder).

    ``path`` names the file or folder, ``problem`` what is wrong with it. Readers, re-delivery,
    resume and ``rowport tasks verify`` raise it instead of serving what they cannot trust.
    """

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


class TaskChanged(RowportError):
    """A task cannot be resumed as it was: the rows of its plan changed since it started.

    Resume with ``allow_changed=True`` (``--allow-changed``) to continue with the new state.
    """
