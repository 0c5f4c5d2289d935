"""A real worker process for the shutdown tests: `python run_worker.py WORKSPACE`.

It starts a cli-face worker with short intervals, submits one slow unit of work, prints its worker id
once running, and waits for SIGTERM/SIGINT or a poison pill.
"""

import asyncio
import sys
from pathlib import Path

from brainloop_tui.core.config import load_settings
from brainloop_tui.core.db import Store
from brainloop_tui.core.runtime import Worker


async def main(workspace: Path) -> None:
    settings = load_settings(workspace).settings.model_copy(
        update={"heartbeat_interval": 0.2, "poison_pill_interval": 0.1, "shutdown_deadline": 5}
    )
    worker = Worker(await Store.open(workspace), settings, "cli")
    worker.install_signal_handlers()

    async def face() -> None:
        worker.submit(asyncio.sleep(0.3), name="slow work")
        print(worker.id, flush=True)
        await asyncio.Event().wait()  # a face serves until it is stopped

    await worker.run(face())


asyncio.run(main(Path(sys.argv[1])))
