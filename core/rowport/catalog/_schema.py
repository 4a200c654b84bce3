"""Versioned, forward-only schema migrations of the SQLite catalog.

Each migration is a script applied once, in order, inside a transaction; ``PRAGMA user_version``
records how far a database has come. Never edit a released migration: append a new one.
"""

from __future__ import annotations

from rowport.catalog._stored_sections import MIGRATION_SECTIONS, migration_sql

MIGRATIONS: tuple[str, ...] = (
    # 1: the whole catalog
    """
    CREATE TABLE organizations (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL
    );
    CREATE TABLE users (
        id TEXT PRIMARY KEY, organization_id TEXT NOT NULL REFERENCES organizations(id),
        email TEXT NOT NULL, name TEXT, created_at TEXT NOT NULL,
        UNIQUE (organization_id, email)
    );
    CREATE TABLE datasets (
        id TEXT PRIMARY KEY, organization_id TEXT NOT NULL REFERENCES organizations(id),
        name TEXT NOT NULL, description TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        created_by TEXT
    );
    CREATE TABLE data_rows (
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        dataset_id TEXT NOT NULL REFERENCES datasets(id),
        organization_id TEXT NOT NULL,
        global_key TEXT,
        external_id TEXT,
        row_data TEXT NOT NULL,
        media_type TEXT NOT NULL,
        media_attributes TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_activity_at TEXT NOT NULL,
        last_activity_ts REAL NOT NULL,
        created_by TEXT,
        UNIQUE (organization_id, global_key)
    );
    CREATE INDEX data_rows_dataset ON data_rows (dataset_id, rid);
    CREATE INDEX data_rows_activity ON data_rows (last_activity_ts);

    CREATE TABLE metadata_schemas (
        id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('string', 'number', 'datetime', 'enum', 'option')),
        parent_id TEXT REFERENCES metadata_schemas(id), created_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX metadata_schemas_name ON metadata_schemas (
        organization_id, COALESCE(parent_id, ''), name
    );
    CREATE TABLE metadata_values (
        data_row_id TEXT NOT NULL REFERENCES data_rows(id), schema_id TEXT NOT NULL,
        position INTEGER NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (data_row_id, schema_id, position)
    );

    CREATE TABLE attachments (
        id TEXT PRIMARY KEY, data_row_id TEXT NOT NULL REFERENCES data_rows(id),
        position INTEGER NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL, name TEXT
    );
    CREATE INDEX attachments_row ON attachments (data_row_id, position);

    CREATE TABLE embeddings (
        id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, name TEXT NOT NULL,
        dimensions INTEGER NOT NULL, is_custom INTEGER NOT NULL, created_at TEXT NOT NULL
    );
    CREATE TABLE embedding_vectors (
        embedding_id TEXT NOT NULL REFERENCES embeddings(id),
        data_row_id TEXT NOT NULL REFERENCES data_rows(id),
        position INTEGER NOT NULL, vector TEXT NOT NULL,
        PRIMARY KEY (data_row_id, embedding_id, position)
    );

    CREATE TABLE ontologies (
        id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, name TEXT NOT NULL,
        media_type TEXT, created_at TEXT NOT NULL
    );
    CREATE TABLE features (
        id TEXT NOT NULL,
        ontology_id TEXT NOT NULL REFERENCES ontologies(id),
        parent_id TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('tool', 'classification', 'option')),
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        scope TEXT,
        position INTEGER NOT NULL,
        PRIMARY KEY (ontology_id, id)
    );
    CREATE INDEX features_ontology ON features (ontology_id, position);

    CREATE TABLE projects (
        id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, name TEXT NOT NULL,
        media_type TEXT NOT NULL, ontology_id TEXT REFERENCES ontologies(id),
        description TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
    );
    CREATE TABLE project_tags (
        id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id),
        position INTEGER NOT NULL, text TEXT NOT NULL, color TEXT
    );
    CREATE TABLE batches (
        id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id),
        name TEXT NOT NULL, priority INTEGER NOT NULL, created_at TEXT NOT NULL,
        UNIQUE (project_id, name)
    );
    CREATE TABLE project_data_rows (
        project_id TEXT NOT NULL REFERENCES projects(id),
        data_row_id TEXT NOT NULL REFERENCES data_rows(id),
        data_row_rid INTEGER NOT NULL,
        batch_id TEXT REFERENCES batches(id),
        workflow_status TEXT NOT NULL
            CHECK (workflow_status IN ('TO_LABEL', 'IN_REVIEW', 'IN_REWORK', 'DONE')),
        task_id TEXT, task_name TEXT,
        priority INTEGER,
        selected_label_id TEXT,
        consensus_expected_label_count INTEGER NOT NULL DEFAULT 1,
        ontology_id TEXT,
        added_at TEXT NOT NULL,
        PRIMARY KEY (project_id, data_row_id)
    );
    CREATE INDEX project_data_rows_order ON project_data_rows (project_id, data_row_rid);
    CREATE INDEX project_data_rows_row ON project_data_rows (data_row_id);
    CREATE TABLE workflow_history (
        seq INTEGER PRIMARY KEY,
        project_id TEXT NOT NULL, data_row_id TEXT NOT NULL,
        action TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT,
        previous_task_id TEXT, previous_task_name TEXT, next_task_id TEXT, next_task_name TEXT
    );
    CREATE INDEX workflow_history_row ON workflow_history (data_row_id, project_id, seq);

    CREATE TABLE labels (
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        project_id TEXT NOT NULL REFERENCES projects(id),
        data_row_id TEXT NOT NULL REFERENCES data_rows(id),
        label_kind TEXT NOT NULL,
        version TEXT NOT NULL,
        annotations TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_ts REAL NOT NULL,
        updated_at TEXT NOT NULL,
        created_by TEXT,
        content_last_updated_at TEXT,
        performance TEXT
    );
    CREATE INDEX labels_row ON labels (data_row_id, project_id, rid);
    CREATE INDEX labels_created ON labels (project_id, created_ts);
    CREATE TABLE reviews (
        id TEXT PRIMARY KEY, label_id TEXT NOT NULL REFERENCES labels(id),
        action TEXT NOT NULL CHECK (action IN ('Approve', 'Reject')),
        created_at TEXT NOT NULL, created_by TEXT
    );
    CREATE INDEX reviews_label ON reviews (label_id, created_at);

    CREATE TABLE models (
        id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, name TEXT NOT NULL,
        ontology_id TEXT, created_at TEXT NOT NULL
    );
    CREATE TABLE model_runs (
        id TEXT PRIMARY KEY, model_id TEXT NOT NULL REFERENCES models(id),
        name TEXT NOT NULL, created_at TEXT NOT NULL
    );
    CREATE TABLE model_run_data_rows (
        model_run_id TEXT NOT NULL REFERENCES model_runs(id),
        data_row_id TEXT NOT NULL REFERENCES data_rows(id),
        data_row_rid INTEGER NOT NULL,
        run_data_row_id TEXT NOT NULL UNIQUE,
        split TEXT CHECK (split IS NULL OR split IN ('training', 'validation', 'test')),
        added_at TEXT NOT NULL,
        PRIMARY KEY (model_run_id, data_row_id)
    );
    CREATE INDEX model_run_data_rows_order ON model_run_data_rows (model_run_id, data_row_rid);
    CREATE INDEX model_run_data_rows_row ON model_run_data_rows (data_row_id);
    CREATE TABLE model_run_annotations (
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        model_run_id TEXT NOT NULL REFERENCES model_runs(id),
        data_row_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('label', 'prediction')),
        label_kind TEXT NOT NULL,
        version TEXT NOT NULL,
        annotations TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (model_run_id, kind, id)
    );
    CREATE INDEX model_run_annotations_row ON model_run_annotations (data_row_id, model_run_id);

    CREATE TABLE slices (
        id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, name TEXT NOT NULL,
        filters TEXT NOT NULL, created_at TEXT NOT NULL
    );

    CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        organization_id TEXT NOT NULL,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        completion_percentage REAL NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        created_by TEXT,
        metadata TEXT NOT NULL,
        error TEXT,
        deleted INTEGER NOT NULL DEFAULT 0,
        rows_planned INTEGER,
        rows_done INTEGER NOT NULL DEFAULT 0,
        heartbeat_ts REAL,
        runner TEXT
    );
    CREATE INDEX tasks_created ON tasks (created_at);
    """,
    # 2: metadata values in list order, for building a row's list in one index scan
    """
    CREATE INDEX metadata_values_order ON metadata_values (data_row_id, position);
    """,
    # 3: export filters that keep a plan on rid-ordered indexes: a row's labels by creation
    # time (label_created_at probes it per row, covering), and a project's queue by workflow
    # status or batch in rid order (so a filtered page is a seek, not a scan)
    """
    CREATE INDEX labels_row_created ON labels (data_row_id, project_id, created_ts);
    CREATE INDEX project_data_rows_status ON project_data_rows (
        project_id, workflow_status, data_row_rid
    );
    CREATE INDEX project_data_rows_batch ON project_data_rows (project_id, batch_id, data_row_rid);
    """,
    # 4: task liveness: the heartbeat interval its runner keeps (another host declares the
    # runner dead after three missed beats) and when a runner took the task up (a task not yet
    # started is canceled at once)
    """
    ALTER TABLE tasks ADD COLUMN heartbeat_interval REAL;
    ALTER TABLE tasks ADD COLUMN started_ts REAL;
    """,
    # 5: API keys of `rowport serve`: each acts for one organization of the home ('' is the
    # home's own catalog); only the secret's sha256 is kept, never the secret
    """
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        organization TEXT NOT NULL,
        secret_sha256 TEXT NOT NULL UNIQUE,
        read_only INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    """,
    # 6: what a plugin found checking a label, by the label's content, what it was checked
    # against (an ontology's version...) and the plugin's name and version: an unchanged label
    # is not checked again on the next export (no index on plugin: every index costs the
    # first export a write per label, and dropping a plugin's entries is rare)
    """
    CREATE TABLE label_checks (
        key BLOB PRIMARY KEY,
        plugin TEXT NOT NULL,
        plugin_version TEXT NOT NULL,
        found BLOB NOT NULL,
        checked_ts REAL NOT NULL
    ) WITHOUT ROWID;
    """,
    # 7: resumable tasks: each run of a task (its attempts), and the links of a retry task to
    # the task whose failed rows it re-runs (one row per direction)
    """
    CREATE TABLE task_attempts (
        task_id TEXT NOT NULL REFERENCES tasks(id),
        attempt INTEGER NOT NULL,
        runner TEXT,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT,
        rows_done INTEGER,
        resumed_from_row INTEGER NOT NULL DEFAULT 0,
        note TEXT,
        PRIMARY KEY (task_id, attempt)
    );
    CREATE TABLE task_links (
        task_id TEXT NOT NULL REFERENCES tasks(id),
        linked_id TEXT NOT NULL REFERENCES tasks(id),
        relation TEXT NOT NULL CHECK (relation IN ('retry', 'retry_of')),
        created_at TEXT NOT NULL,
        PRIMARY KEY (task_id, linked_id)
    );
    """,
    # 8: per-row list sections stored ready to write (attachments, metadata, embeddings, a
    # project's workflow history), kept by triggers and backfilled: see _stored_sections
    migration_sql(*MIGRATION_SECTIONS[8]),
    # 9: one entry per label content shared by every plugin that checks it (a JSON object of
    # each plugin's findings, with a digest of its version and what it checked against): one
    # read and one written row per label, not one per plugin (what was remembered is dropped)
    """
    DROP TABLE label_checks;
    CREATE TABLE label_checks (
        key BLOB PRIMARY KEY,
        found BLOB NOT NULL,
        checked_ts REAL NOT NULL
    ) WITHOUT ROWID;
    """,
    # 10: a queue entry's labels stored ready to write, like the lists of 8 (see
    # _stored_sections): a project export concatenates them instead of reading each label
    migration_sql(*MIGRATION_SECTIONS[10]),
    # 11: what the state of a plan reads of each row, by key (see _plan_state): a plan that
    # lists its keys (an id list, a label date filter) reads it here, hundreds of rows a page,
    # where the table holds a few dozen (a spread id list read a table page per row)
    """
    CREATE INDEX data_rows_state ON data_rows (rid, updated_at, last_activity_ts);
    """,
    # 12: what plugins found checking a project label, by the label's rid (an export reads it
    # in the same query as the label); the triggers drop an entry when its label is written
    # (a changed label is checked again), and a new label never finds a stale one
    """
    CREATE TABLE label_rid_checks (
        label_rid INTEGER PRIMARY KEY,
        found BLOB NOT NULL,
        checked_ts REAL NOT NULL
    );
    CREATE TRIGGER labels_label_rid_checks_insert AFTER INSERT ON labels
    BEGIN DELETE FROM label_rid_checks WHERE label_rid = NEW.rid; END;
    CREATE TRIGGER labels_label_rid_checks_update AFTER UPDATE OF rid, annotations ON labels
    BEGIN DELETE FROM label_rid_checks WHERE label_rid IN (OLD.rid, NEW.rid); END;
    CREATE TRIGGER labels_label_rid_checks_delete AFTER DELETE ON labels
    BEGIN DELETE FROM label_rid_checks WHERE label_rid = OLD.rid; END;
    """,
    # 13: the queue's status and batch indexes (3) hold the other column after the key, so a
    # page filtered by both (or by a status and several batches) checks the second in the
    # index it walks, never in the queue entry (a wide record: it holds the stored lists)
    """
    DROP INDEX project_data_rows_status;
    CREATE INDEX project_data_rows_status ON project_data_rows (
        project_id, workflow_status, data_row_rid, batch_id
    );
    DROP INDEX project_data_rows_batch;
    CREATE INDEX project_data_rows_batch ON project_data_rows (
        project_id, batch_id, data_row_rid, workflow_status
    );
    """,
)
