"""The simulator's memory across restarts (``ATLSIM_STATE_FILE``).

Sites and what landed on them, the Data Center's registrations, consents and tokens, and the
migrations with their tasks are written to the file now and then and on shutdown, and read
back on start. A migration's progress is a plan in wall-clock time, so one that was running
goes on where it would be. Faults are not kept: a test sets its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import pickle
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from atlassian_simulator.state import SimState

KEPT = ("sites", "servers", "codes", "access_tokens", "refresh_tokens", "jobs", "check_settings", "task_seq")
EVERY_SECONDS = 30.0  # and on shutdown: a simulator killed outright loses at most this much


def restore(sim: SimState, path: Path) -> None:
    """Take back what the last run kept, if it kept anything."""
    if path.exists():
        kept = pickle.loads(path.read_bytes())  # our own file, written by save() below
        for name in KEPT:
            setattr(sim, name, kept[name])


def save(sim: SimState, path: Path) -> None:
    """Write what to keep, whole or not at all (a crash mid-write leaves the previous copy)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(pickle.dumps({name: getattr(sim, name) for name in KEPT}))
    partial.replace(path)


@asynccontextmanager
async def kept_in(path: Path | None, app: FastAPI) -> AsyncIterator[None]:
    """The app's lifespan: restored at start, saved every ``EVERY_SECONDS`` and at shutdown."""
    if path is None:
        yield
        return
    sim: SimState = app.state.sim
    restore(sim, path)

    async def now_and_then() -> None:
        while True:
            await asyncio.sleep(EVERY_SECONDS)
            save(sim, path)

    saver = asyncio.create_task(now_and_then())
    try:
        yield
    finally:
        saver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await saver
        save(sim, path)
