-- lifecycle.db: the loop's own state. Version 1.
-- Later changes go in sql/migrations/lifecycle/NNNN_*.sql (forward only). Times are Unix seconds (REAL).

CREATE TABLE IF NOT EXISTS config (
    key        TEXT PRIMARY KEY,                      -- remembered choices (theme, last filter, ...)
    value      TEXT NOT NULL,
    updated_at REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS processed_log (
    input_sha256 TEXT PRIMARY KEY CHECK (length(input_sha256) = 64),
    operation    TEXT NOT NULL,                       -- what was done: 'commit', 'generate_file', ...
    status       TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    result_ref   TEXT,                                -- where the result is, e.g. 'results:42'
    created_at   REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_processed_log_operation ON processed_log (operation, created_at);

CREATE TABLE IF NOT EXISTS sessions (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    prompt     TEXT NOT NULL CHECK (length(trim(prompt)) > 0),
    origin     TEXT NOT NULL CHECK (origin IN ('tui', 'mcp', 'cli')),
    status     TEXT NOT NULL CHECK (status IN ('active', 'committed', 'failed', 'cancelled')),
    context    TEXT NOT NULL DEFAULT '[]',            -- JSON list of workspace paths given as context
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_sessions_updated_at ON sessions (updated_at);

CREATE TABLE IF NOT EXISTS blocks (
    id                TEXT    PRIMARY KEY,
    session_id        TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    path              TEXT    NOT NULL,               -- target, relative to the workspace
    language          TEXT,
    kind              TEXT    NOT NULL CHECK (kind IN ('file', 'sql')),
    target_db         TEXT,                           -- for kind 'sql': database inside the workspace
    status            TEXT    NOT NULL CHECK (status IN
                          ('pending', 'generating', 'proposed', 'refined', 'committed', 'failed', 'cancelled')),
    current_iteration INTEGER NOT NULL DEFAULT 0 CHECK (current_iteration >= 0),  -- latest done iteration
    disk_sha256       TEXT,                           -- the file on disk when last proposed or audited
    created_at        REAL    NOT NULL,
    updated_at        REAL    NOT NULL,
    UNIQUE (session_id, path)
);
CREATE INDEX IF NOT EXISTS idx_blocks_session_id ON blocks (session_id);

CREATE TABLE IF NOT EXISTS iterations (
    id          INTEGER PRIMARY KEY,
    block_id    TEXT    NOT NULL REFERENCES blocks (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL CHECK (number >= 1),
    phase       TEXT    NOT NULL CHECK (phase IN ('propose', 'refine', 'finalize')),
    status      TEXT    NOT NULL CHECK (status IN ('streaming', 'done', 'failed', 'cancelled')),
    temperature REAL    NOT NULL,
    prompt      TEXT    NOT NULL,
    raw_answer  TEXT,
    code        TEXT,
    sha256      TEXT CHECK (sha256 IS NULL OR length(sha256) = 64),
    model       TEXT,
    diagnostics TEXT    NOT NULL DEFAULT '[]',        -- JSON list
    error       TEXT,
    usage_id    INTEGER REFERENCES usage (id) ON DELETE SET NULL,
    created_at  REAL    NOT NULL,
    finished_at REAL,
    UNIQUE (block_id, number)
);
CREATE INDEX IF NOT EXISTS idx_iterations_usage_id ON iterations (usage_id);

CREATE TABLE IF NOT EXISTS block_refinements (
    id           INTEGER PRIMARY KEY,
    block_id     TEXT    NOT NULL REFERENCES blocks (id) ON DELETE CASCADE,
    iteration_id INTEGER REFERENCES iterations (id) ON DELETE SET NULL,  -- the iteration it produced
    feedback     TEXT    NOT NULL CHECK (length(trim(feedback)) > 0),
    origin       TEXT    NOT NULL CHECK (origin IN ('user', 'auto')),
    created_at   REAL    NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_block_refinements_block_id ON block_refinements (block_id);
CREATE INDEX IF NOT EXISTS idx_block_refinements_iteration_id ON block_refinements (iteration_id);

CREATE TABLE IF NOT EXISTS reader_cache (
    cache_key   TEXT PRIMARY KEY CHECK (length(cache_key) = 64),
    path        TEXT NOT NULL,
    digest_json TEXT NOT NULL,
    created_at  REAL NOT NULL,
    expires_at  REAL NOT NULL CHECK (expires_at >= created_at)
);
CREATE INDEX IF NOT EXISTS idx_reader_cache_path ON reader_cache (path);
CREATE INDEX IF NOT EXISTS idx_reader_cache_expires_at ON reader_cache (expires_at);

CREATE TABLE IF NOT EXISTS queue (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL DEFAULT '{}',            -- JSON
    status     TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    worker_id  TEXT,
    error      TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_queue_status ON queue (status, created_at);

CREATE TABLE IF NOT EXISTS usage (
    id                INTEGER PRIMARY KEY,
    session_id        TEXT REFERENCES sessions (id) ON DELETE SET NULL,
    block_id          TEXT REFERENCES blocks (id) ON DELETE SET NULL,
    phase             TEXT,
    provider          TEXT    NOT NULL,
    model             TEXT    NOT NULL,
    prompt_tokens     INTEGER NOT NULL CHECK (prompt_tokens >= 0),
    completion_tokens INTEGER NOT NULL CHECK (completion_tokens >= 0),
    latency_ms        REAL    NOT NULL CHECK (latency_ms >= 0),
    ttft_ms           REAL CHECK (ttft_ms IS NULL OR ttft_ms >= 0),
    tokens_per_s      REAL CHECK (tokens_per_s IS NULL OR tokens_per_s >= 0),
    created_at        REAL    NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_usage_created_at ON usage (created_at);
CREATE INDEX IF NOT EXISTS idx_usage_session_id ON usage (session_id);
CREATE INDEX IF NOT EXISTS idx_usage_block_id ON usage (block_id);

CREATE TABLE IF NOT EXISTS patterns (
    id          INTEGER PRIMARY KEY,
    language    TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    confidence  REAL NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    evidence    TEXT NOT NULL DEFAULT '{}',           -- JSON: counts and up to 5 files
    detected_at REAL NOT NULL,
    UNIQUE (language, name)
);
