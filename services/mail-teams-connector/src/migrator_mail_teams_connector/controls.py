"""The last pause, resume or delete of each job, so its units stop between two batches of items.

A unit carries the job's version at dispatch; a JobPaused or JobDeleted of a later version
stops it, an older one (the pause a resume undid, before this dispatch) does not. So the order
in which the resume's event and the new command arrive does not matter.
"""

from __future__ import annotations

from migrator_contracts.readmodels import Doc
from migrator_readstore import Collection

STOPPING = ("PAUSED", "DELETED")


class JobControlDoc(Doc):
    """One ``job_controls`` document (by job id): the job's last control, as of its version."""

    state: str  # PAUSED, RESUMED or DELETED
    seq: int = 0  # the job's version it came with (put_if_newer)


class Stopped(Exception):
    """The unit's job was paused or deleted: the unit stops here, its state saved, and is handed
    back (QUEUED) to continue from the same place when it is dispatched again."""


class JobControls:
    """Writes ``job_controls`` (its only writer) from the job events."""

    def __init__(self, controls: Collection) -> None:
        self._controls = controls

    async def record(self, job_id: str, state: str, *, seq: int) -> None:
        """``state`` (PAUSED, RESUMED, DELETED) as of the job's version ``seq``."""
        await self._controls.put_if_newer(job_id, JobControlDoc.as_stored(state=state), seq=seq)

    async def stopped(self, job_id: str, *, dispatched_at_version: int) -> str | None:
        """PAUSED or DELETED when the job was stopped after this unit was dispatched; else None."""
        doc = await self._controls.get(job_id)
        control = JobControlDoc.model_validate(doc) if doc is not None else None
        if control is None or control.state not in STOPPING or control.seq <= dispatched_at_version:
            return None
        return control.state

    async def check(self, job_id: str, *, dispatched_at_version: int) -> None:
        """Raise :class:`Stopped` when the job was stopped after this unit was dispatched."""
        if await self.stopped(job_id, dispatched_at_version=dispatched_at_version):
            raise Stopped
