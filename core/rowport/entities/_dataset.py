"""Datasets and data rows: the rows to label, with metadata, attachments and embeddings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import orjson

from rowport.entities._handle import Handle, uids
from rowport.errors import InvalidExportRequest, InvalidInput
from rowport.request import ExportKind, ScopeBy

if TYPE_CHECKING:
    from rowport.client import Client
    from rowport.tasks import ExportTask

__all__ = ["DataRow", "Dataset"]


@attrs.define(kw_only=True, eq=False, repr=False)
class DataRow(Handle):
    """One data row: an asset (``row_data``) of one media type in a dataset."""

    global_key: str | None
    external_id: str | None
    row_data: str
    media_type: str
    media_attributes: dict[str, Any] | None
    dataset_id: str
    created_at: str
    updated_at: str
    last_activity_at: str
    created_by: str | None

    @classmethod
    def from_record(cls, client: Client, record: Mapping[str, Any]) -> DataRow:
        """A handle on a catalog record of a data row."""
        return cls(
            client=client,
            uid=record["id"],
            global_key=record["global_key"],
            external_id=record["external_id"],
            row_data=record["row_data"],
            media_type=record["media_type"],
            media_attributes=record["media_attributes"],
            dataset_id=record["dataset_id"],
            created_at=record["created_at"],
            updated_at=record["updated_at"],
            last_activity_at=record["last_activity_at"],
            created_by=record["created_by"],
        )

    def __repr__(self) -> str:
        key = f" {self.global_key!r}" if self.global_key else ""
        return f"<DataRow {self.uid}{key}>"

    def refresh(self) -> DataRow:
        """A fresh handle read from the catalog."""
        return self.client.get_data_row(self.uid)

    def update(self, **changes: Any) -> DataRow:
        """Change ``row_data``, ``external_id``, ``global_key`` or ``media_attributes``.

        Bumps ``last_activity_at``. This handle takes the new values too (as in the reference
        SDK) and a fresh handle is returned.

        >>> row = row.update(external_id="frame-0001.jpg")
        """
        record = self.client.backend.call(
            "catalog.rows.update_data_row", data_row_id=self.uid, **changes
        )
        fresh = DataRow.from_record(self.client, record)
        for field in attrs.fields(DataRow):
            setattr(self, field.name, getattr(fresh, field.name))
        return fresh

    def add_attachments(self, attachments: Sequence[Mapping[str, Any]]) -> None:
        """Attach ``{"type", "value", "name"?}`` items (types in the catalog guide)."""
        self.client.backend.call(
            "catalog.rows.add_attachments", data_row_id=self.uid, items=attachments
        )

    def set_metadata(self, fields: Sequence[Mapping[str, Any]], replace: bool = False) -> None:
        """Set ``{"schema_id" | "name", "value"}`` fields; ``replace`` drops all others first."""
        self.client.backend.call(
            "catalog.rows.set_metadata", data_row_id=self.uid, fields=fields, replace=replace
        )

    def add_embeddings(self, embeddings: Sequence[Mapping[str, Any]]) -> None:
        """Store ``{"embedding_id" | "name", "vector"}`` vectors of this row."""
        self.client.backend.call(
            "catalog.rows.add_embeddings", data_row_id=self.uid, items=embeddings
        )

    def attachments(self) -> list[dict[str, Any]]:
        """This row's attachments as ``{"id", "type", "value", "name"}``, in order."""
        return [
            {"id": r[1], "type": r[2], "value": r[3], "name": r[4]}
            for r in self.client.backend.call("catalog.rows.read_attachments", ids=[self.uid])
        ]

    def metadata_fields(self) -> list[dict[str, Any]]:
        """This row's metadata as ``{"schema_id", "schema_name", "value"}``.

        An enum field's value is ``{"schema_id", "schema_name"}`` of its option.
        """
        out = []
        for _, schema_id, name, kind, value, option_name in self.client.backend.call(
            "catalog.rows.read_metadata", ids=[self.uid]
        ):
            decoded = orjson.loads(value)
            if kind == "enum":
                decoded = {"schema_id": decoded, "schema_name": option_name}
            out.append({"schema_id": schema_id, "schema_name": name, "value": decoded})
        return out

    def embeddings(self) -> list[dict[str, Any]]:
        """This row's vectors as ``{"embedding_id", "name", "vector"}``."""
        return [
            {"embedding_id": r[1], "name": r[2], "vector": orjson.loads(r[5])}
            for r in self.client.backend.call("catalog.rows.read_embeddings", ids=[self.uid])
        ]

    @staticmethod
    def export(
        client: Client,
        data_rows: Iterable[DataRow | str] | None = None,
        global_keys: Sequence[str] | None = None,
        task_name: str | None = None,
        params: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> ExportTask:
        """Export the given data rows (ids or handles) or the rows holding ``global_keys``.

        :raises InvalidExportRequest: unless exactly one of the two is given.
        """
        scope, scope_by = _data_rows_scope(data_rows, global_keys)
        return client._export(
            ExportKind.DATA_ROWS,
            scope,
            scope_by=scope_by,
            params=params,
            task_name=task_name,
            **options,
        )

    @staticmethod
    def export_v2(
        client: Client,
        data_rows: Iterable[DataRow | str] | None = None,
        global_keys: Sequence[str] | None = None,
        task_name: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> ExportTask:
        """Deprecated: like :meth:`export`; the task's ``result`` holds every row at once."""
        scope, scope_by = _data_rows_scope(data_rows, global_keys)
        return client._export(
            ExportKind.DATA_ROWS,
            scope,
            scope_by=scope_by,
            params=params,
            task_name=task_name,
            legacy=True,
        )


def _data_rows_scope(
    data_rows: Iterable[DataRow | str] | None, global_keys: Sequence[str] | None
) -> tuple[list[str], ScopeBy]:
    if (data_rows is None) == (global_keys is None):
        raise InvalidExportRequest(
            "a data rows export takes exactly one of data_rows and global_keys"
        )
    if global_keys is not None:
        if isinstance(global_keys, (str, bytes)):
            raise InvalidExportRequest(f"global_keys must be a list, got {global_keys!r}")
        return list(global_keys), "global_key"
    try:
        return uids(data_rows or (), "data_rows"), "id"
    except InvalidInput as exc:
        raise InvalidExportRequest(str(exc)) from None


@attrs.define(kw_only=True, eq=False, repr=False)
class Dataset(Handle):
    """A named collection of data rows."""

    name: str
    description: str | None
    created_at: str
    updated_at: str
    created_by: str | None
    row_count: int

    @classmethod
    def from_record(cls, client: Client, record: Mapping[str, Any]) -> Dataset:
        """A handle on a catalog record of a dataset."""
        return cls(
            client=client,
            uid=record["id"],
            name=record["name"],
            description=record["description"],
            created_at=record["created_at"],
            updated_at=record["updated_at"],
            created_by=record["created_by"],
            row_count=record["row_count"],
        )

    def create_data_rows(self, rows: Sequence[Mapping[str, Any] | str]) -> list[DataRow]:
        """Add rows (dicts, or bare ``row_data`` strings) in one all-or-nothing step.

        A dict takes ``row_data`` and optionally ``global_key``, ``external_id``,
        ``media_type``, ``media_attributes``, ``metadata_fields``, ``attachments`` and
        ``embeddings``.
        """
        records = self.client.backend.call(
            "catalog.rows.create_data_rows", dataset_id=self.uid, specs=rows
        )
        return [DataRow.from_record(self.client, r) for r in records]

    def create_data_row(self, row: Mapping[str, Any] | str | None = None, **fields: Any) -> DataRow:
        """Add one row, given as a dict or as keyword arguments."""
        spec: Mapping[str, Any] | str = fields if row is None else row
        return self.create_data_rows([spec])[0]

    def data_rows(self) -> list[DataRow]:
        """The rows of this dataset, oldest first."""
        return [
            DataRow.from_record(self.client, r)
            for r in self.client.backend.call("catalog.rows.list_data_rows", dataset_id=self.uid)
        ]

    def export(
        self,
        task_name: str | None = None,
        filters: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> ExportTask:
        """Export this dataset's rows as a streaming task."""
        return self.client._export(
            ExportKind.DATASET,
            [self.uid],
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
        """Read the media of the dataset's rows and store the attributes found, as a task (see
        :meth:`Client.probe_media <rowport.Client.probe_media>`)."""
        return self.client._probe_media(
            ExportKind.DATASET,
            [self.uid],
            only_missing=only_missing,
            task_name=task_name,
            plugin_options=plugin_options,
        )

    def export_v2(
        self,
        task_name: str | None = None,
        filters: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> ExportTask:
        """Deprecated: like :meth:`export`; the task's ``result`` holds every row at once."""
        return self.client._export(
            ExportKind.DATASET,
            [self.uid],
            params=params,
            filters=filters,
            task_name=task_name,
            legacy=True,
        )
