"""Everything a face needs on one workspace, opened in one call: the store, the loop, the event bus,
the worker runtime and the action context. Both faces start here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brainloop_tui.core import llm
from brainloop_tui.core.actions import ActionContext, ActionResult, run_action
from brainloop_tui.core.config import Settings
from brainloop_tui.core.db import Store
from brainloop_tui.core.events import EventBus
from brainloop_tui.core.loop.engine import Loop
from brainloop_tui.core.runtime import Face, Worker, live_workers


@dataclass
class Workbench:
    store: Store
    settings: Settings
    events: EventBus
    loop: Loop
    worker: Worker
    actions: ActionContext

    @classmethod
    async def open(cls, workspace: Path, settings: Settings, face: Face) -> Workbench:
        """Open the workspace (creating or migrating its state). Start the worker with `worker.run(...)`;
        its shutdown closes the store."""
        store = await Store.open(workspace, busy_timeout_ms=settings.busy_timeout_ms)

        async def provider() -> llm.Provider:
            return await llm.select_provider(settings, store)  # httpx is imported by the first call

        events = EventBus()
        worker = Worker(store, settings, face)
        loop = Loop(store, settings, provider, origin=face, events=events, worker_id=worker.id)
        await loop.end_interrupted(await live_workers(store, settings))
        worker.on_shutdown(loop.conventions.close)
        return cls(store, settings, events, loop, worker,
                   ActionContext(store=store, settings=settings, loop=loop, started_at=worker.started_at,
                                 detach=lambda work: worker.submit(work, name="detached generation")))

    def start_background(self) -> None:
        """What runs beside the face once it is up: the extraction of the workspace's conventions (a face
        calls this after its first answer or frame, so that the extraction never delays it)."""
        self.loop.conventions.start()

    async def run_action(self, action: str, params: Any) -> ActionResult:
        """Run one of the eleven actions as tracked work (shutdown waits for it, then cancels it)."""
        return await self.worker.submit(run_action(self.actions, action, params), name=action)
