-- lifecycle.db version 2: per-file evidence of the conventions, and what each iteration was grounded in.

-- One row per Go, Python or SQL file the conventions were read from: a refresh re-reads only the files
-- whose mtime or size changed, and aggregates the patterns from these facts.
CREATE TABLE IF NOT EXISTS pattern_files (
    path     TEXT    PRIMARY KEY,                     -- relative to the workspace
    language TEXT    NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size     INTEGER NOT NULL CHECK (size >= 0),
    facts    TEXT    NOT NULL,                        -- JSON; 'null' when the file says nothing
    imports  TEXT    NOT NULL DEFAULT '[]',           -- JSON: modules / packages it imports (the import graph)
    read_at  REAL    NOT NULL
);

-- What the prompt of an iteration carried, and why (JSON): conventions, context files, checks.
ALTER TABLE iterations ADD COLUMN grounding TEXT NOT NULL DEFAULT '{}';
-- The other answers of a propose with several candidates (JSON list: code, diagnostics, temperature).
ALTER TABLE iterations ADD COLUMN candidates TEXT NOT NULL DEFAULT '[]';
