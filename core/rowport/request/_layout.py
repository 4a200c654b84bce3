"""The layout of a plan row, declared once: the catalog's SQL selects these columns in this
order and the assembler reads them by name (``positions["global_key"]``), never by number.

Adding a column means adding its name here, its SQL in the catalog (``PLAN_COLUMN_SQL``), and
reading it by name where it is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs

from rowport.request._kinds import KIND_SPECS
from rowport.request._models import ExportRequest

__all__ = ["DATA_ROW_COLUMNS", "PLAN_SECTIONS", "QUEUE_COLUMNS", "PlanLayout"]

# Every plan row starts with these (``attributes_valid`` is 0 when the stored JSON is corrupt).
DATA_ROW_COLUMNS = (
    "rid",
    "id",
    "global_key",
    "external_id",
    "row_data",
    "media_type",
    "media_attributes",
    "dataset_id",
    "created_at",
    "updated_at",
    "last_activity_at",
    "created_by",
    "attributes_valid",
)
# A project export's plan rows are the project's queue entries; with project_details they carry
# the entry's queue state next (without, the read of a page stays in the project's ordered
# index and the data rows: no entry or batch record is read).
QUEUE_COLUMNS = (
    "batch_id",
    "batch_name",
    "workflow_status",
    "task_id",
    "task_name",
    "priority",
    "selected_label_id",
    "consensus_count",
    "ontology_id",
)
# Per-row lists the catalog builds as JSON array text, last, in this order when asked for
# (``workflow_history`` and ``labels`` are the row's in the scope project: ``labels`` as written
# with label_details and performance_details, or the catalog's ``LABELS_UNREADY``).
PLAN_SECTIONS = ("attachments", "metadata_fields", "embeddings", "workflow_history", "labels")
# The plan sections that are a project's, not the row's own lists.
_PROJECT_SECTIONS = ("workflow_history", "labels")


def _positions(columns: tuple[str, ...]) -> Mapping[str, int]:
    return MappingProxyType({name: i for i, name in enumerate(columns)})


@attrs.frozen
class PlanLayout:
    """The columns of one export's plan rows: the data row's, the queue's (``queue``), then
    one JSON array per name in ``sections``. ``entries``: the plan rows are the scope
    project's queue entries (a project export; ``queue`` implies it), which
    ``workflow_history`` and ``labels`` need."""

    queue: bool = False
    sections: tuple[str, ...] = ()
    entries: bool = attrs.field(default=attrs.Factory(lambda self: self.queue, takes_self=True))
    columns: tuple[str, ...] = attrs.field(init=False)
    positions: Mapping[str, int] = attrs.field(init=False, eq=False)

    def __attrs_post_init__(self) -> None:
        unknown = [name for name in self.sections if name not in PLAN_SECTIONS]
        if unknown:
            raise ValueError(
                f"unknown plan sections {unknown}; allowed: {', '.join(PLAN_SECTIONS)}"
            )
        if self.queue and not self.entries:
            raise ValueError("queue columns are the columns of queue entries (entries=True)")
        for name in _PROJECT_SECTIONS:
            if name in self.sections and not self.entries:
                raise ValueError(f"the {name} section needs queue entries (entries=True)")
        columns = DATA_ROW_COLUMNS + (QUEUE_COLUMNS if self.queue else ()) + self.sections
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "positions", _positions(columns))

    @classmethod
    def for_request(cls, request: ExportRequest) -> PlanLayout:
        """The layout an export of ``request`` reads: queue entries when its kind's plan rows are
        entries, their queue columns when ``project_details`` shows them, and the per-row
        lists its params ask for."""
        p = request.params
        entries = KIND_SPECS[request.kind].queue_columns
        wanted = {
            "attachments": p.attachments,
            "metadata_fields": p.metadata_fields,
            "embeddings": p.embeddings,
            "workflow_history": entries and p.project_details,
            "labels": entries and p.label_details and p.performance_details,
        }
        return cls(
            queue=entries and p.project_details,
            sections=tuple(name for name in PLAN_SECTIONS if wanted[name]),
            entries=entries,
        )

    @property
    def list_sections(self) -> tuple[str, ...]:
        """The sections that become a row's own lists (all but the project's)."""
        return tuple(name for name in self.sections if name not in _PROJECT_SECTIONS)
