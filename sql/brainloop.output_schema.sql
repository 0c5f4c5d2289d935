-- output.db: what the worker produces. Version 1.
-- Later changes go in sql/migrations/output/NNNN_*.sql (forward only). Times are Unix seconds (REAL).

CREATE TABLE IF NOT EXISTS results (
    id              INTEGER PRIMARY KEY,
    session_id      TEXT    NOT NULL,                 -- lifecycle.db sessions.id (another file: no FK)
    block_id        TEXT    NOT NULL,
    iteration       INTEGER NOT NULL CHECK (iteration >= 1),
    kind            TEXT    NOT NULL CHECK (kind IN ('file', 'sql')),
    path            TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('committed', 'undone', 'failed')),
    sha256_before   TEXT,
    sha256_after    TEXT,
    previous_content BLOB,                            -- NULL when the file did not exist
    backup_path     TEXT,                             -- for SQL: copy of the database taken before
    diff            TEXT    NOT NULL DEFAULT '',
    created_at      REAL    NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_results_block_id ON results (block_id, created_at);
CREATE INDEX IF NOT EXISTS idx_results_path ON results (path, created_at);

CREATE TABLE IF NOT EXISTS heartbeat (
    worker_id          TEXT    PRIMARY KEY,
    pid                INTEGER NOT NULL,
    face               TEXT    NOT NULL CHECK (face IN ('tui', 'mcp', 'cli')),
    status             TEXT    NOT NULL CHECK (status IN ('starting', 'running', 'shutting_down', 'stopped')),
    sessions_active    INTEGER NOT NULL DEFAULT 0 CHECK (sessions_active >= 0),
    sessions_completed INTEGER NOT NULL DEFAULT 0 CHECK (sessions_completed >= 0),
    cache_hit_rate     REAL CHECK (cache_hit_rate IS NULL OR cache_hit_rate BETWEEN 0 AND 1),
    started_at         REAL    NOT NULL,
    updated_at         REAL    NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_heartbeat_updated_at ON heartbeat (updated_at);

CREATE TABLE IF NOT EXISTS metrics (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    value      REAL NOT NULL,
    labels     TEXT NOT NULL DEFAULT '{}',            -- JSON object
    worker_id  TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_metrics_name ON metrics (name, created_at);

CREATE TABLE IF NOT EXISTS digests (
    id             INTEGER PRIMARY KEY,
    path           TEXT    NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('sqlite', 'markdown', 'code', 'config')),
    sha256         TEXT    NOT NULL CHECK (length(sha256) = 64),
    reader_version TEXT    NOT NULL,
    size           INTEGER NOT NULL CHECK (size >= 0),
    mtime          REAL    NOT NULL,
    digest_json    TEXT    NOT NULL,
    text           TEXT    NOT NULL,                  -- compact rendering for prompts
    token_estimate INTEGER NOT NULL CHECK (token_estimate >= 0),
    summary        TEXT,                              -- optional LLM-written summary
    created_at     REAL    NOT NULL,
    UNIQUE (path, sha256, reader_version)
);
CREATE INDEX IF NOT EXISTS idx_digests_path ON digests (path, created_at);
