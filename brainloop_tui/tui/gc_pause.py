"""Full garbage collections held off while an answer streams into the workbench.

A full (generation 2) collection walks every object of the process, a few hundred thousand in a running
workbench, and stops the event loop for 50-250 ms. While an answer streams at thousands of tokens a
second, the objects that drawing it keeps alive for a frame or two are promoted fast enough to start
one every second or so: each a visible stall of the stream and of the keys typed meanwhile. Young
collections go on (short-lived cycles are still freed); full ones resume when the last stream ends.
Textual does the same around smooth scrolling (`App.PAUSE_GC_ON_SCROLL`).
"""

from __future__ import annotations

import gc

NEVER = 1 << 30  # generation-1 collections before a full one: none while paused
_saved: int | None = None  # the full-collection threshold while paused


def pause_full_collections(paused: bool) -> None:
    """Hold full collections off (True) or let them run again (False); saying it twice changes nothing."""
    global _saved
    young, middle, full = gc.get_threshold()
    if paused and _saved is None:
        _saved = full
        gc.set_threshold(young, middle, NEVER)
    elif not paused and _saved is not None:
        gc.set_threshold(young, middle, _saved)
        _saved = None
