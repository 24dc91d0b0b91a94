"""Events become log lines; log lines become the ``job_logs`` projection.

Two steps, on two durable consumers: (1) each job or unit event that matters to a person is
published as a :class:`LogLine` on ``migrator.log.job.<jobId>`` (alongside the lines other
services write there directly); (2) every line on those subjects is stored with its stream
sequence, which orders a job's history and is the SSE event id a client resumes from.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from migrator_contracts import subjects
from migrator_contracts.base import iso
from migrator_contracts.events import JobDeleted, UnitProgressed
from migrator_contracts.logs import LogLine
from migrator_platform.readstore import Collection
from migrator_platform.structured_logs import get_logger

from migrator_log_stream.domain.lines import EVENT_MODELS, JobEvent, line_for

log = get_logger(__name__)

Publish = Callable[[str, LogLine, str], Awaitable[None]]
PurgeSubject = Callable[[str], Awaitable[None]]

_CACHE_LIMIT = 10_000


class LogStream:
    """Writes the ``job_logs`` collection (its only writer)."""

    def __init__(
        self,
        *,
        logs: Collection,
        jobs: Collection,
        units: Collection,
        publish: Publish,
        purge_subject: PurgeSubject,
        retention_days: Callable[[str | None], float],
        clock: Callable[[], float],
    ) -> None:
        self._logs, self._jobs, self._units = logs, jobs, units
        self._publish, self._purge_subject = publish, purge_subject
        self._retention_days, self._clock = retention_days, clock
        self._org_of: dict[str, str | None] = {}
        self._source_of: dict[str, str] = {}

    async def on_event(self, name: str, payload: dict[str, Any]) -> None:
        """Publish the line an event makes, if any (idempotent: the line id comes from the event id)."""
        if name == "JobDeleted":
            await self.forget_job(JobDeleted.model_validate(payload).job_id)
            return
        model = EVENT_MODELS.get(name)
        if model is None:
            return
        event: JobEvent = model.model_validate(payload)
        named = isinstance(event, UnitProgressed) and event.source
        source = None if named else await self._unit_source(getattr(event, "unit_id", None))
        line = line_for(event, unit_source=source)
        if line is not None:
            await self._publish(subjects.job_log(line.job_id), line, line.id)

    async def project(self, lines: list[tuple[LogLine, int]]) -> None:
        """Store lines with their stream sequence, in one write (a redelivery finds them there
        and changes nothing)."""
        docs: dict[str, dict[str, Any]] = {}
        for line, stream_seq in lines:
            org_id = await self._org(line.job_id)
            docs[line.id] = {
                "jobId": line.job_id,
                "orgId": org_id,
                "seq": stream_seq,
                "level": line.level.value,
                "message": line.message,
                "ts": iso(line.ts),
                "fields": line.fields,
                "final": bool(line.fields.get("final")),
                "expiresAt": max(line.ts.timestamp(), self._clock()) + self._retention_days(org_id) * 86400,
            }
        await self._logs.insert_many(docs)

    async def forget_job(self, job_id: str) -> None:
        """A deleted job's lines go with it: from the stream and from the projection."""
        await self._purge_subject(subjects.job_log(job_id))
        removed = await self._logs.delete_many({"jobId": job_id})
        log.info("deleted job's log lines removed", job_id=job_id, lines=removed)

    async def purge_expired(self) -> int:
        """Delete the lines past their organisation's retention; how many went."""
        return await self._logs.delete_many({"expiresAt": {"$lt": self._clock()}})

    async def _org(self, job_id: str) -> str | None:
        if job_id not in self._org_of:
            job = await self._jobs.get(job_id)
            if job is None:
                return None  # not projected yet: ask again next time rather than cache the miss
            _remember(self._org_of, job_id, job.get("orgId"))
        return self._org_of[job_id]

    async def _unit_source(self, unit_id: str | None) -> str | None:
        if unit_id is None:
            return None
        if unit_id not in self._source_of:
            unit = await self._units.get(unit_id)
            if unit is None:
                return None
            _remember(self._source_of, unit_id, str(unit.get("source") or unit_id))
        return self._source_of[unit_id]


def _remember(cache: dict[str, Any], key: str, value: Any) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.pop(next(iter(cache)))  # oldest first (dicts keep insertion order)
    cache[key] = value
