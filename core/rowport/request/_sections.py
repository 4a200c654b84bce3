"""The layouts of the section reads, declared once, like :class:`PlanLayout`.

Each section read of an :class:`~rowport.catalog.ExportSource` returns plain tuples (cheap to
build and to index) whose columns are one :class:`RowLayout` here: the catalog selects each
column ``AS`` its name in this order, and the assembler reads ``positions["created_at"]``, never a
number. Adding a column means adding its name here, its SQL in the catalog, and reading it by
name where it is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import attrs

from rowport.request._layout import QUEUE_COLUMNS

__all__ = [
    "HISTORY_ROW",
    "LABEL_ROW",
    "QUEUE_ROW",
    "RUN_ANNOTATION_ROW",
    "RUN_ROW",
    "SECTION_LAYOUTS",
    "ProjectInfo",
    "RowLayout",
    "default_performance",
]


@attrs.frozen
class RowLayout:
    """The named columns of one read's rows, in their order; ``positions`` maps each name to
    its index (bind them to locals before a loop: reading by name then costs nothing)."""

    name: str
    columns: tuple[str, ...]
    positions: Mapping[str, int] = attrs.field(init=False, eq=False)

    def __attrs_post_init__(self) -> None:
        seen = set()
        for column in self.columns:
            if column in seen:
                raise ValueError(f"the {self.name} layout names the column {column!r} twice")
            seen.add(column)
        positions = MappingProxyType({name: i for i, name in enumerate(self.columns)})
        object.__setattr__(self, "positions", positions)


#: ``read_queue``: a row's queue entry in one project (``ontology_id`` defaults to the
#: project's); the queue columns have the names of the plan's (:data:`QUEUE_COLUMNS`).
QUEUE_ROW = RowLayout("queue", ("data_row_id", "project_id", *QUEUE_COLUMNS))
#: ``read_history``: one workflow history event, in event order.
HISTORY_ROW = RowLayout(
    "history",
    (
        "data_row_id",
        "project_id",
        "action",
        "created_at",
        "created_by",
        "previous_task_id",
        "previous_task_name",
        "next_task_id",
        "next_task_name",
    ),
)
#: ``read_labels``: one label; ``annotations`` and ``performance`` are stored JSON text,
#: ``json_valid`` is 0 when either is corrupt, ``reviews`` a JSON array text (None unless the
#: read asked for reviews), ``rid`` the label's key in the catalog and ``checks`` what plugins
#: found checking it (remembered JSON bytes; None unless the read asked for checks, or when
#: nothing is remembered).
LABEL_ROW = RowLayout(
    "labels",
    (
        "data_row_id",
        "project_id",
        "id",
        "label_kind",
        "version",
        "annotations",
        "created_at",
        "updated_at",
        "created_by",
        "content_last_updated_at",
        "performance",
        "json_valid",
        "reviews",
        "rid",
        "checks",
    ),
)
#: ``read_run_rows``: a row's membership in one model run, with the run's model.
RUN_ROW = RowLayout(
    "run rows",
    ("data_row_id", "model_id", "model_name", "run_id", "run_name", "run_data_row_id", "split"),
)
#: ``read_run_annotations``: one model run label or prediction (``kind``); ``annotations`` is
#: stored JSON text and ``json_valid`` 0 when it is corrupt.
RUN_ANNOTATION_ROW = RowLayout(
    "run annotations",
    ("data_row_id", "run_id", "kind", "id", "label_kind", "version", "annotations", "json_valid"),
)
#: The layout of each tuple-returning section read of an ExportSource, by method name.
SECTION_LAYOUTS: Mapping[str, RowLayout] = MappingProxyType(
    {
        "read_queue": QUEUE_ROW,
        "read_history": HISTORY_ROW,
        "read_labels": LABEL_ROW,
        "read_run_rows": RUN_ROW,
        "read_run_annotations": RUN_ANNOTATION_ROW,
    }
)


class ProjectInfo(NamedTuple):
    """What ``project_names_and_tags`` returns per project: its name and its tags."""

    name: str
    tags: list[dict[str, Any]]


def default_performance() -> dict[str, Any]:
    """A label's ``performance_details`` when none is stored (a new dict each call)."""
    return {
        "seconds_to_create": 0,
        "seconds_to_review": 0,
        "skipped": False,
        "performance_details_v2": {
            "seconds_to_create": 0,
            "seconds_to_review": 0,
            "seconds_to_rework": 0,
            "seconds_total": 0,
        },
    }
