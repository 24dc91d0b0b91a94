"""Folding SharePoint migration events into a unit's absolute progress (pure, idempotent)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from migrator_contracts.enums import UnitStatus


@dataclass(frozen=True)
class SiteProgress:
    """What a site migration has reported so far. Replaying an event leaves it unchanged."""

    total: int = 0
    processed: int = 0
    bytes: int = 0
    failed_ids: frozenset[str] = field(default_factory=frozenset)
    fatal: str | None = None
    ended: bool = False
    # The highest done count shown so far: a JobError can arrive before the JobProgress that
    # counts its item as processed, and a counter users watch must not step back for that.
    done_high: int = 0
    # TotalErrors as SharePoint last reported it: the queue is not FIFO, so a JobError may be
    # read after the JobEnd that already counted it.
    reported_errors: int = 0
    # Items settled without the import: deletions carried out at the destination (done), and
    # files that could not be read at the source (errors, never submitted).
    local_done: int = 0
    local_failed: frozenset[str] = field(default_factory=frozenset)
    # Items in this pass only because they failed in the last one: failing again does not make
    # the site an ERROR (the pass had nothing else to do; the site is as it was).
    retried: int = 0
    # Items of the site's lists that are not document libraries: counted, never migrated, so
    # they end as skipped rather than vanish from the count.
    unsupported: int = 0

    @property
    def import_errors(self) -> int:
        return max(len(self.failed_ids), self.reported_errors)

    @property
    def errors(self) -> int:
        return self.import_errors + len(self.local_failed)

    def _done_now(self) -> int:
        imported = self.total - self.local_done - len(self.local_failed) - self.unsupported
        return max(0, min(self.processed, imported) - self.import_errors) + self.local_done

    def counters(self) -> dict[str, int]:
        """done / error / skipped such that, once ended, done + error + skipped == total."""
        if self.ended:  # exact at the end
            done = self._done_now()
            return {
                "total": self.total,
                "done": done,
                "error": self.errors,
                "skipped": max(0, self.total - done - self.errors),
            }
        done = min(max(self.done_high, self._done_now()), max(0, self.total - self.errors))
        return {"total": self.total, "done": done, "error": self.errors, "skipped": 0}

    @property
    def status(self) -> UnitStatus:
        if not self.ended:
            return UnitStatus.RUNNING
        c = self.counters()
        failed_all = c["total"] > 0 and c["done"] == 0 and c["error"] > self.retried
        return UnitStatus.ERROR if self.fatal or failed_all else UnitStatus.DONE


def _int(event: dict[str, Any], name: str) -> int:
    try:
        return int(event.get(name) or 0)
    except (TypeError, ValueError):
        return 0


def failed_item(event: dict[str, Any]) -> str:
    """The key a JobError counts its item by (an item fails once however often it is told)."""
    return str(event.get("Id") or event.get("Url") or event.get("Time"))


def apply_event(progress: SiteProgress, event: dict[str, Any]) -> SiteProgress:
    """The progress after one SharePoint event (JobProgress / JobError / JobFatalError / JobEnd,
    and JobCancelled / JobDeleted, which end it)."""
    kind = event.get("Event")
    if kind == "JobProgress" or kind == "JobEnd":
        settled = progress.local_done + len(progress.local_failed) + progress.unsupported
        expected = _int(event, "TotalExpectedSPObjects") + settled
        progress = replace(
            progress,
            total=max(progress.total, expected),
            processed=max(progress.processed, _int(event, "ObjectsProcessed")),
            bytes=max(progress.bytes, _int(event, "BytesProcessed")),
            reported_errors=max(progress.reported_errors, _int(event, "TotalErrors")),
        )
        if kind == "JobEnd":
            progress = replace(progress, ended=True)
    elif kind == "JobError":
        progress = replace(progress, failed_ids=progress.failed_ids | {failed_item(event)})
    elif kind == "JobFatalError":
        progress = replace(progress, fatal=str(event.get("Message") or "fatal error"))
    elif kind == "JobCancelled" or kind == "JobDeleted":
        # Terminal: no JobEnd follows. The site ends ERROR with what it got so far.
        what = "cancelled" if kind == "JobCancelled" else "deleted"
        progress = replace(progress, fatal=progress.fatal or f"SharePoint {what} the import job", ended=True)
    return replace(progress, done_high=max(progress.done_high, progress._done_now()))
