"""Models (experiments) and their runs: data rows with splits, labels and predictions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from rowport.entities._handle import Handle, resolve_data_rows, uids
from rowport.errors import InvalidInput
from rowport.request import ExportKind

if TYPE_CHECKING:
    from rowport.client import Client
    from rowport.entities._dataset import DataRow
    from rowport.entities._project import Label
    from rowport.tasks import ExportTask

__all__ = ["Model", "ModelRun"]


@attrs.define(kw_only=True, eq=False, repr=False)
class ModelRun(Handle):
    """One run of a model: the data rows it saw, their splits, labels and predictions."""

    model_id: str
    name: str
    created_at: str
    size: int

    @classmethod
    def from_record(cls, client: Client, record: Mapping[str, Any]) -> ModelRun:
        """A handle on a catalog record of a model run."""
        return cls(
            client=client,
            uid=record["id"],
            model_id=record["model_id"],
            name=record["name"],
            created_at=record["created_at"],
            size=record["size"],
        )

    def upsert_data_rows(
        self,
        data_rows: Iterable[DataRow | str] | None = None,
        global_keys: Sequence[str] | None = None,
    ) -> None:
        """Add rows (ids or handles, or their global keys) to the run; present rows stay."""
        ids = resolve_data_rows(self.client, data_rows, global_keys, what="upsert_data_rows")
        self.client.backend.call(
            "catalog.models.upsert_run_data_rows", run_id=self.uid, data_row_ids=ids
        )

    def add_labels(self, labels: Iterable[Label | str]) -> None:
        """Copy project labels (handles or ids) into the run as ground truth."""
        self.client.backend.call(
            "catalog.models.add_run_labels", run_id=self.uid, label_ids=uids(labels, "labels")
        )

    def add_predictions(self, predictions: Sequence[Mapping[str, Any]]) -> list[str]:
        """Add ``{data_row_id | global_key, annotations}`` predictions; returns their ids.

        With an ontology on the model, every feature must be in it.
        """
        if isinstance(predictions, Mapping):
            raise InvalidInput("predictions must be a list of dicts, got one dict")
        ids: list[str] = self.client.backend.call(
            "catalog.models.add_run_predictions", run_id=self.uid, predictions=predictions
        )
        return ids

    def assign_split(self, data_rows: Iterable[DataRow | str], split: str) -> None:
        """Put rows of the run in the ``training``, ``validation`` or ``test`` split."""
        self.client.backend.call(
            "catalog.models.assign_split",
            run_id=self.uid,
            data_row_ids=uids(data_rows, "data_rows"),
            split=split,
        )

    def labels(self) -> list[dict[str, Any]]:
        """The run's ground-truth labels as ``{"id", "data_row_id", "annotations", ...}``."""
        return self._annotations("label")

    def predictions(self) -> list[dict[str, Any]]:
        """The run's predictions as ``{"id", "data_row_id", "annotations", ...}``."""
        return self._annotations("prediction")

    def _annotations(self, kind: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.client.backend.call(
            "catalog.models.run_annotations", run_id=self.uid, kind=kind
        )
        return found

    def export(
        self,
        task_name: str | None = None,
        params: Mapping[str, Any] | None = None,
        filters: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> ExportTask:
        """Export the run's rows with their labels and predictions as a streaming task."""
        return self.client._export(
            ExportKind.MODEL_RUN,
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
            ExportKind.MODEL_RUN,
            [self.uid],
            params=params,
            filters=filters,
            task_name=task_name,
            legacy=True,
        )


@attrs.define(kw_only=True, eq=False, repr=False)
class Model(Handle):
    """A model (an experiment in the export format), optionally tied to an ontology."""

    name: str
    ontology_id: str | None
    created_at: str

    @classmethod
    def from_record(cls, client: Client, record: Mapping[str, Any]) -> Model:
        """A handle on a catalog record of a model."""
        return cls(
            client=client,
            uid=record["id"],
            name=record["name"],
            ontology_id=record["ontology_id"],
            created_at=record["created_at"],
        )

    def create_model_run(self, name: str) -> ModelRun:
        """Start a new run of this model."""
        record = self.client.backend.call(
            "catalog.models.create_model_run", model_id=self.uid, name=name
        )
        return ModelRun.from_record(self.client, record)

    def model_runs(self) -> list[ModelRun]:
        """The model's runs, oldest first."""
        return [
            ModelRun.from_record(self.client, r)
            for r in self.client.backend.call("catalog.models.list_model_runs", model_id=self.uid)
        ]
