"""Units nobody starts: sent again, then failed with a named error, so no job waits for good.

A dispatched unit waits on its command subject until a connector takes it. Behind busy
connectors that is normal and may last hours; with no connector running at all it would last
forever, holding its job open. So a unit still unstarted ``timeout`` seconds after it was sent,
while no running service consumes its subject, is sent again (a lost message is then replaced);
after ``attempts`` sends it ends ERROR with ``UNIT_NOT_STARTED``.
"""

from __future__ import annotations

from migrator_contracts.enums import JobStatus, JobType, LogLevel, UnitStatus
from migrator_contracts.job_kinds import JOB_KINDS, UNIT_COMMANDS
from migrator_contracts.readmodels import JobDoc, JobUnitDoc
from migrator_platform.bus import Publisher
from migrator_platform.job_log import publish_line
from migrator_platform.structured_logs import get_logger

from migrator_scheduler.domain.progress import UnitCounts, counted_as_failed
from migrator_scheduler.handlers import Scheduler
from migrator_scheduler.ports import WorkerDirectory

log = get_logger(__name__)

# A unit failed by the scheduler keeps that outcome: later reports of its connector are older.
FINAL_SEQ = 2**53
NOT_STARTED = "UNIT_NOT_STARTED"


class StartWatch:
    """Finds units sent ``timeout`` seconds ago that no live consumer has started."""

    def __init__(
        self,
        scheduler: Scheduler,
        *,
        publisher: Publisher,
        workers: WorkerDirectory,
        timeout_seconds: float,
        attempts: int,
    ) -> None:
        self._scheduler, self._publisher, self._workers = scheduler, publisher, workers
        self._timeout, self._attempts = timeout_seconds, attempts

    async def check(self) -> None:
        """One pass over the units sent long enough ago and still QUEUED."""
        stale = await self._scheduler.units_where(
            {
                "dispatched": True,
                "status": UnitStatus.QUEUED.value,
                "dispatchedAt": {"$lt": self._scheduler.clock() - self._timeout},
            },
            sort=[("_id", 1)],
            limit=500,
        )
        nobody: dict[str, bool] = {}
        whole_jobs_sent: set[str] = set()
        for unit in stale:
            subject = UNIT_COMMANDS[unit.kind]
            if subject not in nobody:
                nobody[subject] = not await self._workers.running(subject)
            if not nobody[subject]:
                continue  # queued behind busy connectors: it will be taken in turn
            job = await self._scheduler.job(unit.job_id)
            if job is None or job.status != JobStatus.RUNNING.value:
                continue
            if unit.sends_unstarted < self._attempts:
                await self._send_again(job, unit, subject, whole_jobs_sent)
            else:
                await self._fail(job, unit, subject)

    async def _send_again(self, job: JobDoc, unit: JobUnitDoc, subject: str, sent: set[str]) -> None:
        log.warning("unit not started; sent again", unit_id=unit.id, subject=subject)
        await self._line(
            job,
            unit,
            LogLevel.WARN,
            f"{unit.source}: not started after {self._timeout:.0f}s (nothing consumes {subject}); sent again",
            key=f"resend:{unit.dispatch_count}",
        )
        if not JOB_KINDS[JobType(job.type)].whole_job:
            await self._scheduler.dispatch_unit(job, unit)
        elif job.id not in sent:  # one command carries every unit of the job
            sent.add(job.id)
            await self._scheduler.dispatch_whole(job, attempt=max(unit.dispatch_count, 1) + 1)

    async def _fail(self, job: JobDoc, unit: JobUnitDoc, subject: str) -> None:
        reason = (
            f"{NOT_STARTED}: no running service took it from {subject} in "
            f"{self._attempts} sends {self._timeout:.0f}s apart"
        )
        log.error("unit never started; failed", unit_id=unit.id, subject=subject)
        counts = counted_as_failed(UnitStatus.ERROR, UnitCounts(unit.total_items, 0, 0, 0))
        failed = JobUnitDoc.as_stored(
            status=UnitStatus.ERROR.value,
            total_items=counts.total,
            error_items=counts.error,
            message=reason,
            completed_at=self._scheduler.now_iso(),
            seq=FINAL_SEQ,
        )
        await self._scheduler.units.update(unit.id, failed, where={"status": UnitStatus.QUEUED.value})
        await self._line(job, unit, LogLevel.ERROR, f"{unit.source} — {reason}", key="not-started")
        await self._scheduler.refresh_job(job.id)
        await self._scheduler.dispatch_pending()

    async def _line(self, job: JobDoc, unit: JobUnitDoc, level: LogLevel, message: str, *, key: str) -> None:
        await publish_line(
            self._publisher,
            job.id,
            level,
            message,
            {"unitId": unit.id, "source": unit.source, "errorCode": NOT_STARTED},
            key=f"{unit.id}:{key}",
        )
