"""Which domain events a person wants to read, and how they read: pure, no I/O.

A line's id is derived from its event's id, so a redelivered event makes the same line,
which JetStream (``Nats-Msg-Id``) and the projection (keyed by id) each keep once.
"""

from __future__ import annotations

import hashlib
from typing import Any

from migrator_contracts.base import iso
from migrator_contracts.enums import JobStatus, LogLevel, UnitStatus
from migrator_contracts.events import (
    ItemFailed,
    JobCompleted,
    JobPaused,
    JobQueued,
    JobResumed,
    JobStarted,
    UnitProgressed,
)
from migrator_contracts.logs import LogLine

JobEvent = JobQueued | JobStarted | JobPaused | JobResumed | JobCompleted | UnitProgressed | ItemFailed

# Event name (the subject's last token) -> its model; events not listed make no line.
EVENT_MODELS: dict[str, type[JobEvent]] = {
    "JobQueued": JobQueued,
    "JobStarted": JobStarted,
    "JobPaused": JobPaused,
    "JobResumed": JobResumed,
    "JobCompleted": JobCompleted,
    "UnitProgressed": UnitProgressed,
    "ItemFailed": ItemFailed,
}


def line_id(event_id: str) -> str:
    """A stable line id for an event: the same event always makes the same line."""
    return "log_" + hashlib.blake2b(event_id.encode(), digest_size=12).hexdigest()


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def line_for(event: JobEvent) -> LogLine | None:
    """The log line for ``event``, or None when it is not worth a person's attention
    (a unit's intermediate progress, for instance)."""
    level, message, fields = _describe(event)
    if message is None:
        return None
    return LogLine(
        id=line_id(event.event_id),
        job_id=event.job_id,
        level=level,
        message=message,
        ts=event.occurred_at,
        fields=fields,
    )


def _describe(event: JobEvent) -> tuple[LogLevel, str | None, dict[str, Any]]:
    if isinstance(event, JobQueued):
        when = f"; scheduled for {iso(event.scheduled_at)}" if event.scheduled_at else ""
        return LogLevel.INFO, f"Job queued{when}", {}
    if isinstance(event, JobStarted):
        return LogLevel.INFO, f"Job started: {_plural(event.total_units, 'unit')} to migrate", {}
    if isinstance(event, JobPaused):
        return LogLevel.INFO, "Job paused: units in flight finish their current batch; nothing new starts", {}
    if isinstance(event, JobResumed):
        return LogLevel.INFO, "Job resumed: already-migrated items are skipped", {}
    if isinstance(event, UnitProgressed):
        # Every connector names the unit; an event from before they did is named by its id.
        return _unit_line(event, event.source or event.unit_id)
    if isinstance(event, ItemFailed):
        fields = {"itemUrl": event.item_url, "errorCode": event.error_code, "unitId": event.unit_id}
        return LogLevel.ERROR, f"{event.item_url} — {event.error_code}: {event.message}", fields
    if isinstance(event, JobCompleted):
        return _final_line(event)
    return LogLevel.INFO, None, {}


def _unit_line(event: UnitProgressed, source: str) -> tuple[LogLevel, str | None, dict[str, Any]]:
    fields: dict[str, Any] = {"unitId": event.unit_id, "source": source}
    if event.status is UnitStatus.DONE:
        tail = []
        if event.error_items:
            tail.append(f"{event.error_items:,} failed")
        if event.skipped_items:
            # Why they were left, when that is news ("ALPHA → 0 items migrated (120 skipped:
            # Project ALPHA already exists)"); items an incremental pass skips as already moved
            # have no reason and are no warning.
            why = f": {event.skipped_reason}" if event.skipped_reason else ""
            tail.append(f"{event.skipped_items:,} skipped{why}")
        detail = f" ({', '.join(tail)})" if tail else ""
        level = LogLevel.WARN if event.error_items or event.skipped_reason else LogLevel.OK
        return level, f"{source} → {_plural(event.done_items, 'item')} migrated{detail}", fields
    if event.status is UnitStatus.ERROR:
        # As the reference writes it: "cfo@contoso.com — 403 Forbidden on Mail.ReadWrite".
        return LogLevel.ERROR, f"{source} — {event.message or 'failed; no reason given'}", fields
    return LogLevel.INFO, None, fields


def _final_line(event: JobCompleted) -> tuple[LogLevel, str, dict[str, Any]]:
    if event.status is JobStatus.ERROR:
        level = LogLevel.ERROR
    else:
        level = LogLevel.WARN if event.error_items else LogLevel.OK
    message = (
        f"Job finished: {event.status.value} — {event.done_items:,} migrated, {event.error_items:,} failed, "
        f"{event.skipped_items:,} skipped of {event.total_items:,}"
    )
    return (
        level,
        message,
        {"final": True, "status": event.status.value, "completedAt": iso(event.occurred_at)},
    )
