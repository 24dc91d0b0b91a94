"""A mailbox unit's own state (``mailbox_tasks``, by unit id), read and written as its model.

Writes are partial, field by field, as the work goes: the mailboxes resolved at the start,
each folder done, each batch counted (its counters and its end in one write), the end.
"""

from __future__ import annotations

from typing import Any

from migrator_contracts.enums import UnitStatus
from migrator_contracts.readmodels import Doc
from migrator_readstore import Collection
from pydantic import Field


class PendingItem(Doc):
    id: str
    change_key: str
    size: int
    created: str
    replace: tuple[str, str] | None = None  # the destination item (id, change key) it updates


class PendingBatch(Doc):
    """The batch in flight: written before it moves, cleared when it is counted, so a batch a
    crash cut off is settled on resume (see ``BatchMover.reconcile``)."""

    batch: int
    src_folder: str
    dest_folder: str
    items: list[PendingItem]


class MailboxTask(Doc):
    job_id: str | None = None
    phase: str | None = None  # "running", then "finished"
    status: UnitStatus | None = None  # at the end: DONE or ERROR
    message: str | None = None
    source: str | None = None
    dest_upn: str | None = None
    pair: str | None = None  # the key of the pair's incremental state (ledger, folder deltas)
    src_mailbox: str | None = None  # Exchange's mailbox ids, resolved once
    dest_mailbox: str | None = None
    counters: dict[str, int] = Field(default_factory=dict)
    batch: int = 0  # the last batch counted
    folders_done: list[str] = Field(default_factory=list)
    pending: PendingBatch | None = None
    seq: int = 0  # the unit's last progress report (written by the UnitReporter)


class MailboxTasks:
    def __init__(self, tasks: Collection) -> None:
        self._tasks = tasks

    async def get(self, unit_id: str) -> MailboxTask:
        """The unit's state (empty if it never started)."""
        return MailboxTask.model_validate(await self._tasks.get(unit_id) or {})

    async def set(self, unit_id: str, **fields: Any) -> None:
        """Write these fields of the unit's state, leaving the others as they are."""
        await self._tasks.upsert(unit_id, MailboxTask.as_stored(**fields))
