"""The SQL of each section read's columns, by the names of its :class:`RowLayout`.

:func:`select_list` selects them in the layout's order, each ``AS`` its name, so a read's
cursor names its columns exactly as the layout does (the tests compare the two).
"""

from __future__ import annotations

from collections.abc import Mapping

from rowport.request import (
    HISTORY_ROW,
    LABEL_ROW,
    QUEUE_ROW,
    RUN_ANNOTATION_ROW,
    RUN_ROW,
    RowLayout,
)

__all__ = ["CHECKS_JOIN", "CHECKS_SQL", "REVIEWS_SQL", "SECTION_COLUMN_SQL", "select_list"]

#: The ``reviews`` column of :data:`LABEL_ROW` when a read asks for reviews: the label's
#: stored list (see ``_stored_sections``).
REVIEWS_SQL = "COALESCE(labels.reviews_json, '[]')"
#: The ``checks`` column of :data:`LABEL_ROW` when a read asks for remembered checks, and the
#: join that reads them (one primary key seek per label; see ``_checks``).
CHECKS_SQL = "c.found"
CHECKS_JOIN = " LEFT JOIN label_rid_checks c ON c.label_rid = labels.rid"

# read_queue reads ``project_data_rows q`` with its batch ``b`` and project ``pr``.
_QUEUE_SQL = {
    "data_row_id": "q.data_row_id",
    "project_id": "q.project_id",
    "batch_id": "q.batch_id",
    "batch_name": "b.name",
    "workflow_status": "q.workflow_status",
    "task_id": "q.task_id",
    "task_name": "q.task_name",
    "priority": "q.priority",
    "selected_label_id": "q.selected_label_id",
    "consensus_count": "q.consensus_expected_label_count",
    "ontology_id": "COALESCE(q.ontology_id, pr.ontology_id)",
}
# read_history reads ``workflow_history``; its columns carry the layout's names.
_HISTORY_SQL = {name: name for name in HISTORY_ROW.columns}
# read_labels reads ``labels``; ``reviews`` is NULL unless the read asks for them.
_LABEL_SQL = {
    **{name: name for name in LABEL_ROW.columns},
    "json_valid": "json_valid(annotations) AND json_valid(COALESCE(performance, '{}'))",
    "reviews": "NULL",
    "rid": "labels.rid",
    "checks": "NULL",
}
# read_run_rows reads ``model_run_data_rows m`` with its run ``r`` and model ``md``.
_RUN_SQL = {
    "data_row_id": "m.data_row_id",
    "model_id": "r.model_id",
    "model_name": "md.name",
    "run_id": "m.model_run_id",
    "run_name": "r.name",
    "run_data_row_id": "m.run_data_row_id",
    "split": "m.split",
}
# read_run_annotations reads ``model_run_annotations``.
_RUN_ANNOTATION_SQL = {
    **{name: name for name in RUN_ANNOTATION_ROW.columns},
    "run_id": "model_run_id",
    "json_valid": "json_valid(annotations)",
}

#: The SQL expression of every column of each section layout, by layout name.
SECTION_COLUMN_SQL: Mapping[str, Mapping[str, str]] = {
    QUEUE_ROW.name: _QUEUE_SQL,
    HISTORY_ROW.name: _HISTORY_SQL,
    LABEL_ROW.name: _LABEL_SQL,
    RUN_ROW.name: _RUN_SQL,
    RUN_ANNOTATION_ROW.name: _RUN_ANNOTATION_SQL,
}
for _layout in (QUEUE_ROW, HISTORY_ROW, LABEL_ROW, RUN_ROW, RUN_ANNOTATION_ROW):
    if set(SECTION_COLUMN_SQL[_layout.name]) != set(_layout.columns):  # pragma: no cover
        raise ImportError(f"the SQL of the {_layout.name} section does not match its layout")


def select_list(layout: RowLayout, **replace: str) -> str:
    """The SELECT list of ``layout``: each column's SQL ``AS`` its name, in layout order;
    ``replace`` gives another expression for a column (``reviews=...``)."""
    sql = SECTION_COLUMN_SQL[layout.name]
    unknown = set(replace) - set(layout.columns)
    if unknown:
        raise ValueError(f"the {layout.name} layout has no column {sorted(unknown)}")
    return ", ".join(f'{replace.get(name, sql[name])} AS "{name}"' for name in layout.columns)
