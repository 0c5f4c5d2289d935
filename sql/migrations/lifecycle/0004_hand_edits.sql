-- lifecycle.db version 4: who wrote an iteration's code. NULL: the model; 'user' (the workbench) or
-- 'agent' (over MCP): a hand edit, recorded by `loop refine {code}` without calling the model.
ALTER TABLE iterations ADD COLUMN author TEXT CHECK (author IS NULL OR author IN ('user', 'agent'));
