"""FastStream subscriptions and the dispatch timer: validate, then call the handler."""

from __future__ import annotations

import asyncio

from migrator_contracts import subjects
from migrator_contracts.commands import CreateJob
from migrator_contracts.events import UnitProgressed
from migrator_contracts.streams import COMMANDS, EVENTS
from migrator_platform.consumer import Delivery, subscribe
from migrator_platform.service import Runtime
from migrator_platform.structured_logs import get_logger

from migrator_scheduler.config import SchedulerSettings
from migrator_scheduler.handlers import Scheduler

log = get_logger(__name__)


def wire(runtime: Runtime, settings: SchedulerSettings, scheduler: Scheduler) -> None:
    """Subscribe the scheduler's handlers to their durable consumers."""

    async def on_create(cmd: CreateJob, _: Delivery) -> None:
        await scheduler.create_job(cmd)

    async def on_unit_progress(evt: UnitProgressed, _: Delivery) -> None:
        await scheduler.apply_unit_progress(evt)

    ack_wait = settings.ack_wait_seconds
    subscribe(
        runtime.broker,
        subject=subjects.CMD_JOB_CREATE,
        stream=COMMANDS,
        durable="scheduler-create-job",
        model=CreateJob,
        handler=on_create,
        max_deliver=settings.max_deliver,
        ack_wait_seconds=ack_wait,
    )
    subscribe(
        runtime.broker,
        subject="migrator.evt.unit.*.UnitProgressed",
        stream=EVENTS,
        durable="scheduler-unit-progress",
        model=UnitProgressed,
        handler=on_unit_progress,
        max_deliver=settings.max_deliver,
        ack_wait_seconds=ack_wait,
    )


async def dispatch_loop(runtime: Runtime, settings: SchedulerSettings, scheduler: Scheduler) -> None:
    """Start due jobs on time; timers are data in the store, so they survive any restart."""
    ticks = 0
    while not runtime.stopping.is_set():
        try:
            await scheduler.tick(repair=ticks % settings.repair_every_ticks == 0)
        except Exception:
            log.exception("dispatch tick failed; retrying next tick")
        ticks += 1
        try:
            await asyncio.wait_for(runtime.stopping.wait(), timeout=settings.dispatch_interval_seconds)
        except TimeoutError:
            pass
