"""Workers are started with `exit_on_error=False` (a bug must not take the workbench down); their state
messages do not bubble, so every node that starts workers mixes this in to turn a failure into a notice."""

from __future__ import annotations

import logging

from textual.worker import Worker, WorkerState

log = logging.getLogger(__name__)


class ReportsWorkerErrors:
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            log.error("worker %s failed", event.worker.name, exc_info=error)
            self.app.notify(f"unexpected error in {event.worker.name}: {error!r} (details in .brainloop/brainloop.log)",
                            severity="error", timeout=15)
