"""A simulator's memory across restarts, for the M365 and Atlassian simulators alike.

The attributes a simulator names of its state are pickled to a file now and then and on
shutdown, and read back on start. What is not named (faults, above all) starts afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import pickle
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

EVERY_SECONDS = 30.0  # and on shutdown: a simulator killed outright loses at most this much


def restore(state: Any, path: Path, kept: tuple[str, ...]) -> bool:
    """Take back what the last run kept, if it kept anything (whether it did)."""
    if not path.exists():
        return False
    saved = pickle.loads(path.read_bytes())  # our own file, written by save() below
    for name in kept:
        setattr(state, name, saved[name])
    return True


def save(state: Any, path: Path, kept: tuple[str, ...]) -> None:
    """Write what to keep, whole or not at all (a crash mid-write leaves the previous copy)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(pickle.dumps({name: getattr(state, name) for name in kept}))
    partial.replace(path)


@asynccontextmanager
async def kept_in(
    path: Path | None,
    state: Any,
    kept: tuple[str, ...],
    *,
    restored: Callable[[], None] = lambda: None,
) -> AsyncIterator[None]:
    """A lifespan: ``state`` restored at start (then ``restored()``), saved every
    ``EVERY_SECONDS`` and at shutdown. Without a path, nothing is kept."""
    if path is None:
        yield
        return
    if restore(state, path, kept):
        restored()

    async def now_and_then() -> None:
        while True:
            await asyncio.sleep(EVERY_SECONDS)
            save(state, path, kept)

    saver = asyncio.create_task(now_and_then())
    try:
        yield
    finally:
        saver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await saver
        save(state, path, kept)
