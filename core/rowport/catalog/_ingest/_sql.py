"""The statements an import writes, in the order a batch runs them (children after parents).

A batch's writes are grouped by statement and run with one ``executemany`` each, in this order:
deletes of replaced sections, then entities (``INSERT OR IGNORE`` by id, so each row that needs
one may carry it), then data rows, then their sections.
"""

from __future__ import annotations

__all__ = ["ORDER", "SHARED"]

DEL_REVIEWS = (
    "DELETE FROM reviews WHERE label_id IN"
    " (SELECT id FROM labels WHERE data_row_id = ? AND project_id = ?)"
)
DEL_LABELS = "DELETE FROM labels WHERE data_row_id = ? AND project_id = ?"
DEL_HISTORY = "DELETE FROM workflow_history WHERE data_row_id = ? AND project_id = ?"
DEL_ATTACHMENTS = "DELETE FROM attachments WHERE data_row_id = ?"
DEL_METADATA = "DELETE FROM metadata_values WHERE data_row_id = ?"
DEL_VECTORS = "DELETE FROM embedding_vectors WHERE data_row_id = ?"
DEL_RUN_ANNOTATIONS = (
    "DELETE FROM model_run_annotations WHERE data_row_id = ? AND model_run_id = ? AND kind = ?"
)

INS_DATASET = (
    "INSERT OR IGNORE INTO datasets (id, organization_id, name, created_at, updated_at,"
    " created_by) VALUES (?, ?, ?, ?, ?, ?)"
)
INS_ONTOLOGY = (
    "INSERT OR IGNORE INTO ontologies (id, organization_id, name, media_type, created_at)"
    " VALUES (?, ?, ?, ?, ?)"
)
INS_PROJECT = (
    "INSERT OR IGNORE INTO projects (id, organization_id, name, media_type, ontology_id,"
    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INS_BATCH = (
    "INSERT OR IGNORE INTO batches (id, project_id, name, priority, created_at)"
    " VALUES (?, ?, ?, ?, ?)"
)
INS_TAG = (
    "INSERT OR IGNORE INTO project_tags (id, project_id, position, text, color)"
    " VALUES (?, ?, ?, ?, ?)"
)
INS_SCHEMA = (
    "INSERT OR IGNORE INTO metadata_schemas (id, organization_id, name, kind, parent_id,"
    " created_at) VALUES (?, ?, ?, ?, NULL, ?)"
)
INS_OPTION = (
    "INSERT OR IGNORE INTO metadata_schemas (id, organization_id, name, kind, parent_id,"
    " created_at) VALUES (?, ?, ?, 'option', ?, ?)"
)
INS_EMBEDDING = (
    "INSERT OR IGNORE INTO embeddings (id, organization_id, name, dimensions, is_custom,"
    " created_at) VALUES (?, ?, ?, ?, ?, ?)"
)
INS_MODEL = (
    "INSERT OR IGNORE INTO models (id, organization_id, name, created_at) VALUES (?, ?, ?, ?)"
)
INS_RUN = "INSERT OR IGNORE INTO model_runs (id, model_id, name, created_at) VALUES (?, ?, ?, ?)"
INS_FEATURE = (
    "INSERT OR IGNORE INTO features (id, ontology_id, parent_id, kind, type, name, value,"
    " scope, position) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)"
)

INS_ROW = (
    "INSERT INTO data_rows (rid, id, dataset_id, organization_id, global_key, external_id,"
    " row_data, media_type, media_attributes, created_at, updated_at, last_activity_at,"
    " last_activity_ts, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
UPD_ROW = (
    "UPDATE data_rows SET dataset_id = ?, global_key = ?, external_id = ?, row_data = ?,"
    " media_attributes = ?, created_at = ?, updated_at = ?, last_activity_at = ?,"
    " last_activity_ts = ?, created_by = ? WHERE id = ?"
)
INS_ATTACHMENT = (
    "INSERT INTO attachments (id, data_row_id, position, type, value, name)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
INS_METADATA = (
    "INSERT INTO metadata_values (data_row_id, schema_id, position, value) VALUES (?, ?, ?, ?)"
)
INS_VECTOR = (
    "INSERT INTO embedding_vectors (embedding_id, data_row_id, position, vector)"
    " VALUES (?, ?, ?, ?)"
)
INS_QUEUE = (
    "INSERT INTO project_data_rows (project_id, data_row_id, data_row_rid, batch_id,"
    " workflow_status, task_id, task_name, priority, selected_label_id,"
    " consensus_expected_label_count, ontology_id, added_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
UPD_QUEUE = (
    "UPDATE project_data_rows SET batch_id = ?, workflow_status = ?, task_id = ?, task_name = ?,"
    " priority = ?, selected_label_id = ?, consensus_expected_label_count = ?, ontology_id = ?"
    " WHERE project_id = ? AND data_row_id = ?"
)
INS_HISTORY = (
    "INSERT INTO workflow_history (project_id, data_row_id, action, created_at, created_by,"
    " previous_task_id, previous_task_name, next_task_id, next_task_name)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INS_LABEL = (
    "INSERT INTO labels (id, project_id, data_row_id, label_kind, version, annotations,"
    " created_at, created_ts, updated_at, created_by, content_last_updated_at, performance)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INS_REVIEW = (
    "INSERT INTO reviews (id, label_id, action, created_at, created_by) VALUES (?, ?, ?, ?, ?)"
)
INS_RUN_ROW = (
    "INSERT INTO model_run_data_rows (model_run_id, data_row_id, data_row_rid, run_data_row_id,"
    " split, added_at) VALUES (?, ?, ?, ?, ?, ?)"
)
UPD_RUN_ROW = (
    "UPDATE model_run_data_rows SET run_data_row_id = ?, split = ?"
    " WHERE model_run_id = ? AND data_row_id = ?"
)
INS_RUN_ANNOTATION = (
    "INSERT INTO model_run_annotations (id, model_run_id, data_row_id, kind, label_kind,"
    " version, annotations, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)

ORDER: tuple[str, ...] = (
    DEL_REVIEWS,
    DEL_LABELS,
    DEL_HISTORY,
    DEL_ATTACHMENTS,
    DEL_METADATA,
    DEL_VECTORS,
    DEL_RUN_ANNOTATIONS,
    INS_DATASET,
    INS_ONTOLOGY,
    INS_PROJECT,
    INS_BATCH,
    INS_TAG,
    INS_SCHEMA,
    INS_OPTION,
    INS_EMBEDDING,
    INS_MODEL,
    INS_RUN,
    INS_FEATURE,
    INS_ROW,
    UPD_ROW,
    INS_ATTACHMENT,
    INS_METADATA,
    INS_VECTOR,
    INS_QUEUE,
    UPD_QUEUE,
    INS_HISTORY,
    INS_LABEL,
    INS_REVIEW,
    INS_RUN_ROW,
    UPD_RUN_ROW,
    INS_RUN_ANNOTATION,
)
"""Every statement, in the order a batch runs them."""

SHARED = frozenset(
    {
        INS_DATASET,
        INS_ONTOLOGY,
        INS_PROJECT,
        INS_BATCH,
        INS_TAG,
        INS_SCHEMA,
        INS_OPTION,
        INS_EMBEDDING,
        INS_MODEL,
        INS_RUN,
        INS_FEATURE,
    }
)
"""Entity inserts several rows may carry: run once per distinct parameters."""
