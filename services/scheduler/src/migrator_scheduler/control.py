"""Pause, resume and delete jobs; disconnect a tenant after pausing the jobs that use it.

The outcome of each request is written on the job as ``lastControl`` (keyed by the caller's
request id), so the gateway can answer the caller, and a redelivered command is applied once.
"""

from __future__ import annotations

from typing import Any

from migrator_contracts import subjects
from migrator_contracts.commands import ControlJob, DeleteTenant, RevokeTenant
from migrator_contracts.enums import TERMINAL_JOB_STATUSES, JobAction, JobStatus
from migrator_contracts.events import Event, JobDeleted, JobPaused, JobResumed
from migrator_contracts.readmodels import JobDoc, LastControl
from migrator_platform.bus import Publisher
from migrator_platform.structured_logs import get_logger

from migrator_scheduler.domain.lifecycle import ControlDecision, decide
from migrator_scheduler.handlers import Scheduler

log = get_logger(__name__)


class JobControl:
    """Applies ControlJob and DeleteTenant commands to the scheduler's jobs."""

    def __init__(self, scheduler: Scheduler, publisher: Publisher) -> None:
        self._scheduler = scheduler
        self._jobs = scheduler.jobs
        self._publisher = publisher

    async def control_job(self, cmd: ControlJob) -> None:
        for _ in range(20):  # optimistic concurrency with the progress roll-up
            job = await self._scheduler.job(cmd.job_id)
            if job is None or job.org_id != cmd.org_id:
                log.warning("control for an unknown job ignored", job_id=cmd.job_id)
                return
            last = job.last_control
            if last is not None and last.request_id == cmd.request_id:  # redelivered: announce again
                if last.outcome == "APPLIED":
                    await self._announce(job, cmd, JobStatus(last.status), job.version)
                return
            current = JobStatus(job.status)
            decision = (
                ControlDecision(current, rejected="JOB_NOT_FOUND")
                if job.deleted
                else decide(current, cmd.action)
            )
            version = job.version
            outcome = LastControl(
                request_id=cmd.request_id,
                action=cmd.action.value,
                outcome="APPLIED" if decision.applied else "REJECTED",
                code=decision.rejected,
                status=decision.status.value,
            )
            changes: dict[str, Any] = {"version": version + 1, "last_control": outcome}
            if decision.applied:
                changes |= _changes_for(current, decision, self._scheduler.now_iso())
            if not await self._jobs.update(
                cmd.job_id, JobDoc.as_stored(**changes), where={"version": version}
            ):
                continue
            log.info(
                "job control",
                job_id=cmd.job_id,
                action=cmd.action.value,
                outcome=outcome.outcome,
                status=decision.status.value,
            )
            if decision.applied:
                await self._announce(job, cmd, decision.status, version + 1)
                if cmd.action is JobAction.RESUME:
                    await self._scheduler.start_if_due(cmd.job_id)
                elif current is JobStatus.RUNNING:
                    await self._scheduler.dispatch_pending()  # its units no longer hold slots
            return
        raise RuntimeError(f"job {cmd.job_id}: too much write contention, will retry on redelivery")

    async def delete_tenant(self, cmd: DeleteTenant) -> None:
        """Pause every unfinished job that reads from or writes to the tenant, then revoke it."""
        unfinished = [s.value for s in JobStatus if s not in TERMINAL_JOB_STATUSES]
        for role in ("sourceTenantId", "destTenantId"):
            for job in await self._scheduler.jobs_where(
                {"orgId": cmd.org_id, role: cmd.tenant_id, "status": {"$in": unfinished}}
            ):
                if job.status != JobStatus.PAUSED.value and not job.deleted:
                    await self.control_job(
                        ControlJob(
                            job_id=job.id,
                            org_id=cmd.org_id,
                            action=JobAction.PAUSE,
                            request_id=f"{cmd.request_id}:{job.id}",
                        )
                    )
        await self._publisher.publish(
            subjects.CMD_TENANT_REVOKE,
            RevokeTenant(tenant_id=cmd.tenant_id, org_id=cmd.org_id, request_id=cmd.request_id),
            msg_id=f"{cmd.request_id}:revoke",
        )

    async def _announce(self, job: JobDoc, cmd: ControlJob, status: JobStatus, seq: int) -> None:
        common: dict[str, Any] = {
            "event_id": f"{job.id}:{cmd.request_id}",
            "seq": seq,
            "occurred_at": self._scheduler.now(),
            "job_id": job.id,
            "org_id": job.org_id,
        }
        event: Event
        if cmd.action is JobAction.PAUSE:
            event, name = JobPaused(**common), "JobPaused"
        elif cmd.action is JobAction.RESUME:
            event, name = JobResumed(**common), "JobResumed"
        else:
            event, name = JobDeleted(**common, status=status), "JobDeleted"
        await self._publisher.publish(subjects.job_event(job.id, name), event, msg_id=common["event_id"])


def _changes_for(current: JobStatus, decision: ControlDecision, now: str) -> dict[str, Any]:
    """The job fields an applied decision changes (by their names in JobDoc)."""
    changes: dict[str, Any] = {"status": decision.status.value}
    if decision.deleted:
        changes["deleted"] = True
        if current not in TERMINAL_JOB_STATUSES:
            changes["completed_at"] = now
    if decision.status is JobStatus.PAUSED and current is not JobStatus.PAUSED:
        changes["paused_at"] = now
    return changes
