"""The simulator's memory across restarts (``M365SIM_STATE_FILE``).

What it learned — consents, tokens, sites and content created through its API, mailboxes and
teams as migrated into, finished migration jobs, import sessions — is written to the file now
and then and on shutdown, and read back on start, so a restarted ``make run`` goes on where it
stopped; without the file, the seeded tenants. Faults are not kept: a test sets its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import pickle
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from m365_simulator.state import SimState

KEPT = ("tenants", "consents", "tokens", "jobs", "import_sessions", "operations", "minted")
FINISHED = 0  # a migration job's state once it ended (SharePoint's JobState None)
EVERY_SECONDS = 30.0  # and on shutdown: a simulator killed outright loses at most this much


def restore(sim: SimState, path: Path) -> None:
    """Take back what the last run kept, if it kept anything."""
    if not path.exists():
        return
    kept = pickle.loads(path.read_bytes())  # our own file, written by save() below
    for name in KEPT:
        setattr(sim, name, kept[name])
    # A job the last run was in the middle of has nobody working on it now: forgotten, as
    # SharePoint forgets a job it lost (the connector fails the site clearly; it can run again).
    sim.jobs = {job_id: job for job_id, job in sim.jobs.items() if job.state == FINISHED}


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
