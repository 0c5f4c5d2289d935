-- lifecycle.db version 3: which worker generates an iteration, so that one left streaming by a worker
-- that is gone (killed, crashed) is ended as interrupted when the workspace next opens.
ALTER TABLE iterations ADD COLUMN worker_id TEXT;  -- runtime.Worker.id; NULL before version 3
