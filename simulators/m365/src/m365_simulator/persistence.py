"""The simulator's memory across restarts (``M365SIM_STATE_FILE``).

What it learned — consents, tokens, sites and content created through its API, mailboxes and
teams as migrated into, finished migration jobs, import sessions — is written to the file now
and then and on shutdown, and read back on start (``simulator_state_file``), so a restarted
``make run`` goes on where it stopped; without the file, the seeded tenants. Faults are not
kept: a test sets its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import simulator_state_file
from fastapi import FastAPI

from m365_simulator.state import SimState

KEPT = ("tenants", "consents", "tokens", "jobs", "import_sessions", "operations", "minted")
FINISHED = 0  # a migration job's state once it ended (SharePoint's JobState None)


def forget_unfinished_jobs(sim: SimState) -> None:
    """A job the last run was in the middle of has nobody working on it now: forgotten, as
    SharePoint forgets a job it lost (the connector fails the site clearly; it can run again)."""
    sim.jobs = {job_id: job for job_id, job in sim.jobs.items() if job.state == FINISHED}


def restore(sim: SimState, path: Path) -> None:
    """Take back what the last run kept, if it kept anything."""
    if simulator_state_file.restore(sim, path, KEPT):
        forget_unfinished_jobs(sim)


def save(sim: SimState, path: Path) -> None:
    simulator_state_file.save(sim, path, KEPT)


@asynccontextmanager
async def kept_in(path: Path | None, app: FastAPI) -> AsyncIterator[None]:
    """The app's lifespan: its state restored at start, saved now and then and at shutdown."""
    sim: SimState = app.state.sim
    async with simulator_state_file.kept_in(path, sim, KEPT, restored=lambda: forget_unfinished_jobs(sim)):
        yield
