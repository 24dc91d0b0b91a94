"""The simulator's memory across restarts (``ATLSIM_STATE_FILE``).

Sites and what landed on them, the Data Center's registrations, consents and tokens, and the
migrations with their tasks are written to the file now and then and on shutdown, and read
back on start (``simulator_state_file``). A migration's progress is a plan in wall-clock time,
so one that was running goes on where it would be. Faults are not kept: a test sets its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import simulator_state_file
from fastapi import FastAPI

KEPT = ("sites", "servers", "codes", "access_tokens", "refresh_tokens", "jobs", "check_settings", "task_seq")


@asynccontextmanager
async def kept_in(path: Path | None, app: FastAPI) -> AsyncIterator[None]:
    """The app's lifespan: its state restored at start, saved now and then and at shutdown."""
    async with simulator_state_file.kept_in(path, app.state.sim, KEPT):
        yield
