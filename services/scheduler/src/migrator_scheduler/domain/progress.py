"""Rolling units' progress up into the job's counters and status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from migrator_contracts.enums import JobStatus, UnitStatus

COUNTERS = ("totalItems", "doneItems", "errorItems", "skippedItems", "bytesTransferred")


@dataclass(frozen=True)
class Rollup:
    """The job's counters and, once every unit is finished, its final status."""

    counters: dict[str, int]
    final_status: JobStatus | None


def roll_up(units: Iterable[Mapping[str, Any]]) -> Rollup:
    """Sum the units; the job is DONE when all finished and any succeeded, ERROR if all failed.

    A started job with no units at all (a type no connector runs) is ERROR: it can never progress.
    """
    totals = dict.fromkeys(COUNTERS, 0)
    statuses: list[str] = []
    for unit in units:
        for name in COUNTERS:
            totals[name] += int(unit.get(name) or 0)
        statuses.append(str(unit.get("status")))
    finished = {UnitStatus.DONE.value, UnitStatus.ERROR.value}
    final: JobStatus | None = None
    if not statuses:
        final = JobStatus.ERROR
    elif all(s in finished for s in statuses):
        final = JobStatus.ERROR if all(s == UnitStatus.ERROR.value for s in statuses) else JobStatus.DONE
    return Rollup(counters=totals, final_status=final)


@dataclass(frozen=True)
class UnitCounts:
    total: int
    done: int
    error: int
    skipped: int


def counted_as_failed(status: UnitStatus, counts: UnitCounts) -> UnitCounts:
    """A unit that ends ERROR counts at least one failed item, as the reference counts a mailbox
    refused with 403 (``errorItems: 1``): otherwise a job whose only site failed before anything
    was counted finishes "0 failed of 0". The failure takes one of the items the unit left
    unmigrated (skipped) when it left some, so done + failed + skipped still add up."""
    if status is not UnitStatus.ERROR or counts.error:
        return counts
    skipped = max(counts.skipped - 1, 0)
    return UnitCounts(
        total=max(counts.total, counts.done + 1 + skipped), done=counts.done, error=1, skipped=skipped
    )
