"""A team unit's own state (``team_tasks``, by unit id), read and written as its model.

Writes are partial, field by field, as the work goes: the destination team found or made,
each channel done, each batch of messages counted, the message being sent, the channel
files' progress as sp-connector reports it, the end.
"""

from __future__ import annotations

from typing import Any

from migrator_contracts.enums import UnitStatus
from migrator_contracts.readmodels import Doc
from migrator_readstore import Collection
from pydantic import Field


class PendingPost(Doc):
    """The message being sent: if a crash loses its answer, its timestamp finds it again."""

    src_id: str
    channel: str  # the destination channel
    created: str  # the timestamp it was sent with (unique in its channel)
    reply_to: str | None = None


class FilesProgress(Doc):
    """The team's channel files, a site migration of their own: its last reported state."""

    status: UnitStatus
    counters: dict[str, int]
    message: str | None = None


class TeamTask(Doc):
    job_id: str | None = None
    phase: str | None = None  # "running", then "finished"
    status: UnitStatus | None = None  # at the end: DONE or ERROR
    message: str | None = None
    name: str | None = None  # the source team's display name
    dest_team: str | None = None
    pair: str | None = None  # the key of the pair's message ledger
    counters: dict[str, int] = Field(default_factory=dict)
    batch: int = 0  # the last batch of messages counted
    channels_done: list[str] = Field(default_factory=list)
    pending_post: PendingPost | None = None
    files_sent: bool = False  # the channel files' MigrateSite is on the bus
    files: FilesProgress | None = None
    files_seq: int | None = None  # the sequence of the files' progress event kept
    seq: int = 0  # the unit's last progress report (written by the UnitReporter)


class TeamTasks:
    def __init__(self, tasks: Collection) -> None:
        self._tasks = tasks

    async def get(self, unit_id: str) -> TeamTask:
        """The unit's state (empty if it never started)."""
        return TeamTask.model_validate(await self._tasks.get(unit_id) or {})

    async def exists(self, unit_id: str) -> bool:
        return await self._tasks.get(unit_id) is not None

    async def set(self, unit_id: str, **fields: Any) -> None:
        """Write these fields of the unit's state, leaving the others as they are."""
        await self._tasks.upsert(unit_id, TeamTask.as_stored(**fields))

    async def files_progressed(self, unit_id: str, files: FilesProgress, *, seq: int) -> None:
        """Keep the files' state unless a later report is kept already (events may come twice,
        or out of order)."""
        await self._tasks.put_if_newer(
            unit_id, TeamTask.as_stored(files=files), seq=seq, seq_field="filesSeq"
        )
