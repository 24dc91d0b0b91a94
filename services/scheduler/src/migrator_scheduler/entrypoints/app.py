"""FastStream subscriptions and the dispatch timer: validate, then call the handler."""

from __future__ import annotations

import asyncio
import time

from migrator_contracts import subjects
from migrator_contracts.commands import (
    ControlJob,
    CreateJob,
    CreateJobBatch,
    DeleteTenant,
    MigrateAtlassianScope,
    MigrateMailbox,
    MigrateSite,
    MigrateTeam,
    RevokeTenant,
)
from migrator_contracts.events import (
    JobCompleted,
    JobDeleted,
    JobPaused,
    JobQueued,
    JobResumed,
    JobStarted,
    UnitProgressed,
)
from migrator_contracts.streams import COMMANDS, EVENTS
from migrator_platform import job_log
from migrator_platform.bus import Send, declare_sends, event_send
from migrator_platform.consumer import Delivery, Rejected, subscribe, subscribe_batch
from migrator_platform.service import Runtime
from migrator_platform.structured_logs import get_logger

from migrator_scheduler.config import SchedulerSettings
from migrator_scheduler.control import JobControl
from migrator_scheduler.domain.units import InvalidJob
from migrator_scheduler.handlers import Scheduler
from migrator_scheduler.start_watch import StartWatch

log = get_logger(__name__)


# Every command and event the scheduler publishes (see migrator_platform.bus.declare_sends).
SENDS: tuple[Send, ...] = (
    (subjects.CMD_SITE_MIGRATE, MigrateSite),
    (subjects.CMD_MAILBOX_MIGRATE, MigrateMailbox),
    (subjects.CMD_TEAM_MIGRATE, MigrateTeam),
    (subjects.CMD_ATLASSIAN_MIGRATE, MigrateAtlassianScope),
    (subjects.CMD_TENANT_REVOKE, RevokeTenant),
    *(
        event_send(subjects.job_event, e)
        for e in (JobQueued, JobStarted, JobCompleted, JobPaused, JobResumed, JobDeleted)
    ),
    job_log.LINES,
)


def wire(runtime: Runtime, settings: SchedulerSettings, scheduler: Scheduler, control: JobControl) -> None:
    """Subscribe the scheduler's handlers to their durable consumers."""
    declare_sends(runtime.broker, *SENDS)

    async def on_create(cmd: CreateJob, _: Delivery) -> None:
        try:
            await scheduler.create_job(cmd)
        except InvalidJob as exc:  # never recorded; the operator finds it dead-lettered with why
            raise Rejected(str(exc)[:500]) from exc

    async def on_batch(cmd: CreateJobBatch, _: Delivery) -> None:
        try:
            await scheduler.create_batch(cmd)
        except InvalidJob as exc:
            raise Rejected(str(exc)[:500]) from exc

    async def on_control(cmd: ControlJob, _: Delivery) -> None:
        await control.control_job(cmd)

    async def on_tenant_delete(cmd: DeleteTenant, _: Delivery) -> None:
        await control.delete_tenant(cmd)

    async def on_unit_progress(batch: list[tuple[UnitProgressed, Delivery]]) -> None:
        delivered = {id(evt): delivery for evt, delivery in batch}
        await scheduler.apply_unit_progress(
            *(evt for evt, _ in batch),
            traced=lambda evt: delivered[id(evt)].traced("apply unit progress"),
        )

    commands = (
        (subjects.CMD_JOB_CREATE, "scheduler-create-job", CreateJob, on_create),
        (subjects.CMD_JOB_BATCH, "scheduler-create-batch", CreateJobBatch, on_batch),
        (subjects.CMD_JOB_CONTROL, "scheduler-control-job", ControlJob, on_control),
        (subjects.CMD_TENANT_DELETE, "scheduler-delete-tenant", DeleteTenant, on_tenant_delete),
    )
    for subject, durable, model, handler in commands:
        subscribe(
            runtime.broker,
            subject=subject,
            stream=COMMANDS,
            durable=durable,
            model=model,
            handler=handler,  # type: ignore[arg-type]
            max_deliver=settings.max_deliver,
            ack_wait_seconds=settings.ack_wait_seconds,
        )
    # Every connector's progress: in batches, in stream order.
    subscribe_batch(
        runtime.broker,
        subject="migrator.evt.unit.*.UnitProgressed",
        stream=EVENTS,
        durable="scheduler-unit-progress",
        model=UnitProgressed,
        handler=on_unit_progress,
        batch_size=settings.progress_batch,
        max_deliver=settings.max_deliver,
        ack_wait_seconds=settings.ack_wait_seconds,
    )


async def dispatch_loop(
    runtime: Runtime, settings: SchedulerSettings, scheduler: Scheduler, watch: StartWatch
) -> None:
    """Start due jobs on time; timers are data in the store, so they survive any restart.

    The loop wakes when the next job is due (or every ``dispatch_interval_seconds`` at most, to
    pick up work a crash left), so a job starts within milliseconds of its time. Now and then
    it also looks for units no connector started (see start_watch)."""
    watch_every = min(settings.unit_start_timeout_seconds / 4, 10.0)
    watched = time.monotonic()
    while not runtime.stopping.is_set():
        pause = settings.dispatch_interval_seconds
        try:
            await scheduler.tick()
            if time.monotonic() - watched >= watch_every:
                watched = time.monotonic()
                await watch.check()
            pause = await scheduler.seconds_until_due(pause)
        except Exception:
            log.exception("dispatch tick failed; retrying next tick")
        try:
            await asyncio.wait_for(runtime.stopping.wait(), timeout=max(pause, 0.01))
        except TimeoutError:
            pass
