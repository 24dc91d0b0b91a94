"""A unit's progress as this connector reports it: absolute counters, one sequence per unit.

The sequence is saved with the unit's task before the report is published, so a restarted
connector never reuses one and the scheduler never takes an old report for a new one.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from migrator_contracts import subjects
from migrator_contracts.enums import UnitStatus
from migrator_contracts.events import ItemFailed, UnitProgressed
from migrator_platform.bus import Publisher
from migrator_readstore import Collection


@dataclass
class Counters:
    """What a unit has moved so far (items and their bytes)."""

    total: int = 0
    done: int = 0
    error: int = 0
    skipped: int = 0
    bytes: int = 0

    @classmethod
    def of(cls, doc: dict[str, Any] | None) -> Counters:
        return cls(**{k: int(v) for k, v in (doc or {}).items() if k in cls.__dataclass_fields__})

    def dump(self) -> dict[str, int]:
        return asdict(self)


class UnitReporter:
    """Publishes ``UnitProgressed`` for units whose state lives in ``tasks`` (by unit id)."""

    def __init__(self, publisher: Publisher, tasks: Collection, *, interval_seconds: float) -> None:
        self._publisher, self._tasks, self._interval = publisher, tasks, interval_seconds
        self._last: dict[str, float] = {}

    def due(self, unit_id: str) -> bool:
        """Whether a running unit's progress is worth reporting again now."""
        return time.monotonic() - self._last.get(unit_id, 0.0) >= self._interval

    async def report(
        self,
        *,
        job_id: str,
        unit_id: str,
        status: UnitStatus,
        counters: Counters,
        source: str,
        dest: str | None = None,
        message: str | None = None,
    ) -> None:
        """Save the next sequence, then publish the unit's state under it."""
        task = await self._tasks.get(unit_id) or {}
        seq = int(task.get("seq") or 0) + 1
        await self._tasks.upsert(unit_id, {"seq": seq})
        self._last[unit_id] = time.monotonic()
        await self._publisher.publish(
            subjects.unit_event(job_id, "UnitProgressed"),
            UnitProgressed(
                event_id=f"{unit_id}:{seq}",
                seq=seq,
                occurred_at=datetime.now(UTC),
                job_id=job_id,
                unit_id=unit_id,
                status=status,
                total_items=counters.total,
                done_items=counters.done,
                error_items=counters.error,
                skipped_items=counters.skipped,
                bytes_transferred=counters.bytes,
                message=message,
                source=source,
                dest=dest,
            ),
            msg_id=f"{unit_id}:{seq}",
        )

    async def item_failed(self, *, job_id: str, unit_id: str, item: str, code: str, message: str) -> None:
        """One item that did not move, named (its line in the job's log comes from this)."""
        await self._publisher.publish(
            subjects.unit_event(job_id, "ItemFailed"),
            ItemFailed(
                event_id=f"{unit_id}:err:{item}",
                seq=0,
                occurred_at=datetime.now(UTC),
                job_id=job_id,
                unit_id=unit_id,
                item_url=item,
                error_code=code,
                message=message,
            ),
            msg_id=f"{unit_id}:err:{item}",
        )
