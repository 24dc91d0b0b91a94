"""The events of one SharePoint migration job (an import or an AMR read), from wherever they come.

The report queue is the fast path. GetMigrationJobProgress is the fallback, when the queue goes
quiet or carries messages we cannot read, and the reconciliation at the end: its log is
complete and paged by a token we persist, so a restart neither misses nor repeats an event.
Applying an event twice must be harmless to the caller (it is: progress is absolute, item
failures are keyed by item).
"""

from __future__ import annotations

import asyncio
import binascii
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from migrator_sp_connector.adapters.azure_storage import QueuedReport, ReportQueue
from migrator_sp_connector.adapters.sharepoint_api import SharePointError
from migrator_sp_connector.domain.encryption import open_queue_message

KNOWN_EVENTS = frozenset(
    {
        "JobQueued",
        "JobPostponed",
        "JobLogFileCreate",
        "JobStart",
        "JobProgress",
        "JobError",
        "JobWarning",
        "JobFatalError",
        "JobEnd",
        "JobCancelled",
        "JobDeleted",
        "FinishManifestFileUpload",
    }
)
# GetMigrationJobProgress error codes that mean the job's events are gone for good.
JOB_GONE = {"-2147213145": "Job not found", "-2147213146": "Job status expired"}

FetchProgress = Callable[[str], Awaitable[tuple[list[str], str]]]
Notice = Callable[[str, str], Awaitable[None]]  # (key, message): said once per key


class JobVanished(Exception):
    """SharePoint no longer knows the job: nothing more will come."""


@dataclass
class EventBatch:
    events: list[dict[str, Any]] = field(default_factory=list)
    reports: list[QueuedReport] = field(default_factory=list)  # deleted once the batch is applied
    next_token: str | None = None  # the progress token once the batch is applied


class JobEvents:
    """One job's events, applied batch by batch to the job's end and past it (``run_to_end``)."""

    def __init__(
        self,
        *,
        queue: ReportQueue,
        key: bytes,
        job_id: str,
        fetch_progress: FetchProgress,
        next_token: str,
        fallback_after: float,
        notice: Notice,
    ) -> None:
        self._queue, self._key, self._job_id = queue, key, job_id
        self._fetch, self.next_token = fetch_progress, next_token
        self._fallback_after, self._notice = fallback_after, notice
        self._last_heard = time.monotonic()
        self._queue_unreadable = False
        self._said: set[str] = set()
        self._unknown: set[str] = set()

    async def run_to_end(
        self,
        apply: Callable[[list[dict[str, Any]]], Awaitable[bool]],
        *,
        poll_seconds: float,
        keep_token: Callable[[str], Awaitable[None]] | None = None,
        ended: bool = False,
    ) -> None:
        """Apply batches until ``apply`` says the job has ended, then the rest of the progress
        log (the queue is not FIFO and may lose messages; the log has every event).
        ``keep_token`` persists the progress token after each applied batch."""
        while not ended:
            batch = await self.next()
            ended = await apply(batch.events)
            await self._done(batch, keep_token)
            if not batch.events:
                await asyncio.sleep(poll_seconds)
        while True:
            try:
                events, token, read = await self._log_page()
            except JobVanished as gone:
                # The job has ended (its JobEnd came through the queue) but SharePoint no longer
                # keeps its progress log: what the queue said is all there is to know.
                await self._say("gone-after-end", f"{gone}; its outcome is what its report queue said")
                return
            if not read:
                return
            await apply(events)
            await self._done(EventBatch(events=events, next_token=token), keep_token)

    async def next(self) -> EventBatch:
        """What the queue has now; or, when it has been quiet too long or is unreadable, the progress log."""
        batch = EventBatch()
        for report in await self._queue.receive():
            batch.reports.append(report)
            event = await self._open(report)
            if event is not None and self._usable(event):
                batch.events.append(event)
        if batch.reports and not self._queue_unreadable:
            self._last_heard = time.monotonic()
        elif self._queue_unreadable or time.monotonic() - self._last_heard >= self._fallback_after:
            self._last_heard = time.monotonic()
            events, batch.next_token, _ = await self._log_page()
            batch.events += events
        await self._say_unknown()
        return batch

    async def _done(self, batch: EventBatch, keep_token: Callable[[str], Awaitable[None]] | None) -> None:
        """The batch is applied: its messages can go, and the progress token moves on."""
        for report in batch.reports:
            await self._queue.delete(report)
        if batch.next_token is not None and batch.next_token != self.next_token:
            self.next_token = batch.next_token
            if keep_token is not None:
                await keep_token(self.next_token)

    async def _log_page(self) -> tuple[list[dict[str, Any]], str, int]:
        """The progress log's next page from our token: (usable events, next token, entries read)."""
        try:
            logs, token = await self._fetch(self.next_token)
        except SharePointError as exc:
            if exc.code in JOB_GONE:
                raise JobVanished(
                    f"SharePoint no longer knows migration job {self._job_id} "
                    f"({exc.code} {JOB_GONE[exc.code]}): its outcome cannot be read"
                ) from exc
            raise
        events = [e for e in (self._parse_log(text) for text in logs) if e is not None]
        await self._say_unknown()
        return events, token, len(logs)

    async def _open(self, report: QueuedReport) -> dict[str, Any] | None:
        try:
            return open_queue_message(self._key, report.text)
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            # Not JSON, not base64, or not decryptable with our key: skip it, and read the job's
            # progress log instead, which carries the same events in clear.
            self._queue_unreadable = True
            await self._say(
                "unreadable",
                f"A report-queue message of SharePoint job {self._job_id} could not be read "
                f"({type(exc).__name__}); following the job through GetMigrationJobProgress instead",
            )
            return None

    def _parse_log(self, text: str) -> dict[str, Any] | None:
        try:
            event = json.loads(text)
        except ValueError:
            return None
        return event if isinstance(event, dict) and self._known(event) else None

    def _usable(self, event: dict[str, Any]) -> bool:
        if event.get("JobId") and event["JobId"] != self._job_id:
            return False  # another job's report (a superseded submission): not ours to apply
        return self._known(event)

    def _known(self, event: dict[str, Any]) -> bool:
        kind = str(event.get("Event"))
        if kind in KNOWN_EVENTS:
            return True
        self._unknown.add(kind)
        return False

    async def _say_unknown(self) -> None:
        for kind in sorted(self._unknown):
            await self._say(
                f"unknown:{kind}",
                f"SharePoint job {self._job_id} reported an event of unknown type {kind!r}; ignored",
            )
        self._unknown.clear()

    async def _say(self, key: str, message: str) -> None:
        if key not in self._said:
            self._said.add(key)
            await self._notice(key, message)
