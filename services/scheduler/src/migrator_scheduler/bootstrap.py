"""The one place that builds the scheduler's clients and wires them together."""

from __future__ import annotations

import time

from migrator_contracts import readmodels
from migrator_platform.bus import BusPublisher
from migrator_platform.service import Runtime, build_runtime, run_service
from migrator_platform.workers import WorkerPresence

from migrator_scheduler.adapters.lease import KvLease
from migrator_scheduler.config import SchedulerSettings
from migrator_scheduler.control import JobControl
from migrator_scheduler.entrypoints.app import dispatch_loop, wire
from migrator_scheduler.handlers import Scheduler
from migrator_scheduler.start_watch import StartWatch


async def main(settings: SchedulerSettings | None = None) -> None:
    """Run the scheduler until SIGTERM / SIGINT."""
    settings = settings or SchedulerSettings()
    runtime = build_runtime("scheduler", settings)
    jobs = runtime.store.collection(readmodels.JOBS)
    units = runtime.store.collection(readmodels.JOB_UNITS)
    publisher = BusPublisher(runtime.broker)
    scheduler = Scheduler(
        jobs=jobs,
        units=units,
        publisher=publisher,
        clock=time.time,
        limits=settings.limits(),
        # One replica dispatches at a time: each counts what is in flight, then dispatches.
        lease=KvLease(lambda: runtime.broker.connection.jetstream(), "scheduler-dispatch"),
    )
    wire(runtime, settings, scheduler, JobControl(scheduler, publisher))
    watch = StartWatch(
        scheduler,
        publisher=publisher,
        workers=WorkerPresence(
            lambda: runtime.broker.connection.jetstream(), interval_seconds=settings.worker_presence_seconds
        ),
        timeout_seconds=settings.unit_start_timeout_seconds,
        attempts=settings.unit_dispatch_attempts,
    )

    async def on_ready(rt: Runtime) -> None:
        await scheduler.ensure_indexes()
        rt.spawn(dispatch_loop(rt, settings, scheduler, watch), name="dispatch-loop")

    await run_service(runtime, on_ready=on_ready)
