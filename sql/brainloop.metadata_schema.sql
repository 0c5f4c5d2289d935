-- metadata.db: private (file mode 0600). Version 1.
-- Later changes go in sql/migrations/metadata/NNNN_*.sql (forward only). Times are Unix seconds (REAL).

CREATE TABLE IF NOT EXISTS poisonpill (
    id          INTEGER PRIMARY KEY,
    worker_id   TEXT,                                 -- NULL: every worker on the workspace
    reason      TEXT NOT NULL DEFAULT '',
    created_at  REAL NOT NULL,
    consumed_at REAL
);
CREATE INDEX IF NOT EXISTS idx_poisonpill_worker_id ON poisonpill (worker_id, consumed_at);

CREATE TABLE IF NOT EXISTS telemetry_events (
    id         INTEGER PRIMARY KEY,
    event      TEXT NOT NULL CHECK (event IN ('startup', 'shutdown', 'session_created', 'session_committed',
                                              'pattern_detected', 'cache_hit', 'error')),
    worker_id  TEXT,
    payload    TEXT NOT NULL DEFAULT '{}',            -- JSON object; never a secret
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_telemetry_events_created_at ON telemetry_events (created_at);

CREATE TABLE IF NOT EXISTS secrets (
    name       TEXT PRIMARY KEY CHECK (length(name) > 0),
    value      TEXT NOT NULL,
    updated_at REAL NOT NULL
);
