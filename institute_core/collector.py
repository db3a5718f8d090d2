"""Python's cycle collector in the long-running processes (the server, a desk, the CLI).

Everything alive once a process has started – modules, the schema and its SQLAlchemy
metadata, caches – lives until it exits, yet every full collection walked all of it again.
Sync work allocates tens of thousands of short-lived objects per batch, which triggers full
collections often: their pauses were a tenth of the server's push time and a fifth of a desk's
pull. Freezing the start-up objects leaves the collector only the objects made since.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_startup_objects() -> None:
    """Collect once, then move every surviving object out of the collector's reach.

    Call it once start-up is over (the app built, the replica open); objects made later are
    collected as usual.
    """
    gc.collect()
    gc.freeze()


@contextmanager
def no_collection_pauses() -> Iterator[None]:
    """Turn automatic collection off for a block that allocates many objects that form no
    cycles (rows built or pulled by the ten thousand): they are freed by reference counting,
    while every full collection the allocations triggered walked all of them.

    Process-wide, as the collector is; a block inside another (or the app, which collects on
    its GUI thread) leaves it as it found it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
