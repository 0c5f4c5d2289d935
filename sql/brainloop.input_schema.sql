-- input.db: the sources the worker reads. Written only by `brainloop source ...`; the worker opens it read-only.
-- Version 1. Later changes go in sql/migrations/input/NNNN_*.sql (forward only).

CREATE TABLE IF NOT EXISTS sources (
    id          INTEGER PRIMARY KEY,
    path        TEXT    NOT NULL UNIQUE,              -- relative to the workspace, '/'-separated
    kind        TEXT    NOT NULL CHECK (kind IN ('file', 'folder', 'sqlite', 'schema', 'contract')),
    note        TEXT,
    added_at    REAL    NOT NULL
);

CREATE TABLE IF NOT EXISTS dependencies (
    id            INTEGER PRIMARY KEY,
    source_id     INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    depends_on_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    relation      TEXT    NOT NULL DEFAULT 'uses',
    UNIQUE (source_id, depends_on_id),
    CHECK (source_id <> depends_on_id)
);
CREATE INDEX IF NOT EXISTS idx_dependencies_depends_on_id ON dependencies (depends_on_id);

CREATE TABLE IF NOT EXISTS schemas (
    id            INTEGER PRIMARY KEY,
    source_id     INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    ddl           TEXT    NOT NULL,
    sha256        TEXT    NOT NULL CHECK (length(sha256) = 64),
    registered_at REAL    NOT NULL,
    UNIQUE (source_id, name)
);

CREATE TABLE IF NOT EXISTS contracts (
    id            INTEGER PRIMARY KEY,
    source_id     INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    sha256        TEXT    NOT NULL CHECK (length(sha256) = 64),
    registered_at REAL    NOT NULL,
    UNIQUE (source_id, name)
);

CREATE TABLE IF NOT EXISTS health (
    source_id  INTEGER PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
    status     TEXT    NOT NULL CHECK (status IN ('ok', 'missing', 'unreadable', 'changed')),
    detail     TEXT,
    checked_at REAL    NOT NULL
);
