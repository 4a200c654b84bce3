"""Slices (saved catalog filters) and the catalog as a whole, both exportable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from rowport.entities._handle import Handle
from rowport.request import ExportKind

if TYPE_CHECKING:
    from rowport.client import Client
    from rowport.tasks import ExportTask

__all__ = ["CatalogView", "Slice"]


@attrs.define(kw_only=True, eq=False, repr=False)
class Slice(Handle):
    """A named, saved filter over the catalog's data rows."""

    name: str
    filters: dict[str, Any]
    created_at: str

    @classmethod
    def from_record(cls, client: Client, record: Mapping[str, Any]) -> Slice:
        """A handle on a catalog record of a slice."""
        return cls(
            client=client,
            uid=record["id"],
            name=record["name"],
            filters=record["filters"],
            created_at=record["created_at"],
        )

    def export(
        self,
        task_name: str | None = None,
        params: Mapping[str, Any] | None = None,
        filters: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> ExportTask:
        """Export the rows the slice's filters select now, as a streaming task."""
        return self.client._export(
            ExportKind.SLICE,
            [self.uid],
            params=params,
            filters=filters,
            task_name=task_name,
            **options,
        )

    def export_v2(
        self,
        task_name: str | None = None,
        params: Mapping[str, Any] | None = None,
        filters: Mapping[str, Any] | None = None,
    ) -> ExportTask:
        """Deprecated: like :meth:`export`; the task's ``result`` holds every row at once."""
        return self.client._export(
            ExportKind.SLICE,
            [self.uid],
            params=params,
            filters=filters,
            task_name=task_name,
            legacy=True,
        )


@attrs.define(kw_only=True, eq=False)
class CatalogView:
    """Every data row of the organization, as ``client.get_catalog()`` returns it."""

    client: Client = attrs.field(repr=False)

    def export(
        self,
        task_name: str | None = None,
        filters: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> ExportTask:
        """Export the whole catalog (narrowed by ``filters``) as a streaming task."""
        return self.client._export(
            ExportKind.CATALOG,
            (),
            params=params,
            filters=filters,
            task_name=task_name,
            **options,
        )

    def probe_media(
        self,
        *,
        only_missing: bool = True,
        task_name: str | None = None,
        plugin_options: Mapping[str, Any] | None = None,
    ) -> ExportTask:
        """Read the media of every data row and store the attributes found, as a task (see
        :meth:`Client.probe_media <rowport.Client.probe_media>`)."""
        return self.client.probe_media(
            only_missing=only_missing, task_name=task_name, plugin_options=plugin_options
        )

    def export_v2(
        self,
        task_name: str | None = None,
        filters: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> ExportTask:
        """Deprecated: like :meth:`export`; the task's ``result`` holds every row at once."""
        return self.client._export(
            ExportKind.CATALOG,
            (),
            params=params,
            filters=filters,
            task_name=task_name,
            legacy=True,
        )
