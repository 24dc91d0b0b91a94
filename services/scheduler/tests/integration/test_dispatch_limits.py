"""Dispatch limits under a burst, and turns across organisations, with real NATS and the store.

The scheduler runs in process; its commands go to a real NATS server, its read models to the
embedded store. Units are finished by feeding it the UnitProgressed events a connector sends.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from faststream.nats import NatsBroker
from migrator_contracts import readmodels, subjects
from migrator_contracts.commands import CreateJob
from migrator_contracts.enums import JobType, UnitStatus
from migrator_contracts.events import UnitProgressed
from migrator_platform.bus import BusPublisher
from migrator_readstore.sqlite import SqliteReadStore
from migrator_scheduler.adapters.lease import KvLease
from migrator_scheduler.domain.dispatch_plan import Limits
from migrator_scheduler.handlers import Scheduler

pytestmark = pytest.mark.integration


def scheduler(store: SqliteReadStore, broker: NatsBroker, limits: Limits) -> Scheduler:
    return Scheduler(
        jobs=store.collection(readmodels.JOBS),
        units=store.collection(readmodels.JOB_UNITS),
        publisher=BusPublisher(broker),
        clock=time.time,
        limits=limits,
    )


async def create(sched: Scheduler, job_id: str, org: str, tenant: str, sites: int = 1) -> None:
    await sched.create_job(
        CreateJob(
            job_id=job_id,
            org_id=org,
            type=JobType.SHAREPOINT,
            source_tenant_id=f"{tenant}_src",
            dest_tenant_id=tenant,
            options={"sites": [f"https://x.sharepoint.com/sites/{job_id}-{i}" for i in range(sites)]},
            created_at=datetime.now(UTC),
        )
    )


def done(unit: dict[str, Any]) -> UnitProgressed:
    return UnitProgressed(
        event_id=f"{unit['id']}:done",
        seq=1,
        occurred_at=datetime.now(UTC),
        job_id=unit["jobId"],
        unit_id=unit["id"],
        status=UnitStatus.DONE,
        total_items=2,
        done_items=2,
    )


async def finish(sched: Scheduler, unit: dict[str, Any]) -> None:
    await sched.apply_unit_progress(done(unit))


async def in_flight(store: SqliteReadStore) -> list[dict[str, Any]]:
    return await store.collection(readmodels.JOB_UNITS).find(
        {"dispatched": True, "status": UnitStatus.QUEUED.value}, sort=[("_id", 1)]
    )


async def test_a_burst_of_200_jobs_for_one_tenant_never_exceeds_its_limit(
    store: SqliteReadStore, broker: NatsBroker
) -> None:
    dispatched: Counter[str] = Counter()
    sub = await broker.connection.subscribe(subjects.CMD_SITE_MIGRATE)
    sched = scheduler(store, broker, Limits(per_job=2, per_tenant=5))
    for i in range(200):
        await create(sched, f"job_B{i:03d}", "org_1", "ten_D")
        assert len(await in_flight(store)) <= 5
    peak, finished = 0, 0
    while running := await in_flight(store):
        peak = max(peak, len(running))
        assert len(running) <= 5, "the destination tenant's limit holds"
        await finish(sched, running[0])
        finished += 1
    await asyncio.sleep(0.2)
    while True:  # every command the scheduler published
        try:
            msg = await sub.next_msg(timeout=0.2)
        except Exception:
            break
        dispatched[json.loads(msg.data)["unitId"]] += 1
    assert peak == 5 and finished == 200
    assert len(dispatched) == 200 and set(dispatched.values()) == {1}, "each unit dispatched exactly once"
    jobs = await store.collection(readmodels.JOBS).find({"orgId": "org_1"})
    assert {j["status"] for j in jobs} == {"DONE"}


async def test_a_big_wave_does_not_starve_another_organisation(
    store: SqliteReadStore, broker: NatsBroker
) -> None:
    logs: list[dict[str, Any]] = []

    async def logged(msg: Any) -> None:
        logs.append(json.loads(msg.data))

    await broker.connection.subscribe("migrator.log.job.>", cb=logged)
    sched = scheduler(store, broker, Limits(per_job=3, per_tenant=100, per_type={"SHAREPOINT": 4}))
    for i in range(30):  # the big wave arrives first and fills the shared capacity
        await create(sched, f"job_W{i:02d}", "org_big", "ten_BIG")
    for i in range(3):
        await create(sched, f"job_S{i}", "org_small", "ten_SMALL")
    running = await in_flight(store)
    assert [u["orgId"] for u in running] == ["org_big"] * 4
    splits = []
    for _ in range(6):  # the wave's units finish one by one; each freed unit goes to the fewer
        big = next(u for u in await in_flight(store) if u["orgId"] == "org_big")
        await finish(sched, big)
        now = Counter(u["orgId"] for u in await in_flight(store))
        splits.append((now["org_big"], now["org_small"]))
    assert splits[:2] == [(3, 1), (2, 2)]
    assert set(splits[2:]) == {(2, 2)}, "the shared capacity stays split evenly"
    waiting = await store.collection(readmodels.JOBS).find({"waitingSince": {"$ne": None}})
    assert {j["orgId"] for j in waiting} >= {"org_big"}, "jobs held back by a limit say they wait"
    await asyncio.sleep(0.2)
    said = [line for line in logs if line["jobId"] == waiting[0]["id"]]
    assert said and said[0]["level"] == "WARN" and said[0]["message"].startswith("Waiting:")


class CrashingPublisher:
    """The real publisher until ``survive`` messages are out, then the process 'dies'."""

    def __init__(self, broker: NatsBroker, survive: int) -> None:
        self._inner, self._left = BusPublisher(broker), survive

    async def publish(self, subject: str, message: Any, *, msg_id: str) -> None:
        if subject == subjects.CMD_SITE_MIGRATE:
            if self._left == 0:
                raise RuntimeError("killed mid-dispatch")
            self._left -= 1
        await self._inner.publish(subject, message, msg_id=msg_id)


async def test_a_scheduler_dying_mid_dispatch_loses_no_unit_and_stores_none_twice(
    store: SqliteReadStore, broker: NatsBroker
) -> None:
    limits = Limits(per_job=1000, per_tenant=1000)
    dying = Scheduler(
        jobs=store.collection(readmodels.JOBS),
        units=store.collection(readmodels.JOB_UNITS),
        publisher=CrashingPublisher(broker, survive=7),
        clock=time.time,
        limits=limits,
    )
    js = broker.connection.jetstream()
    before = (await js.stream_info("MIGRATOR_CMD")).state.messages
    with pytest.raises(RuntimeError, match="killed"):
        await create(dying, "job_CRASH", "org_1", "ten_C", sites=20)
    marked = await store.collection(readmodels.JOB_UNITS).count({"jobId": "job_CRASH", "dispatched": True})
    assert marked < 20, "the crash landed mid-dispatch"
    # The replacement process: its first tick finishes the dispatch.
    await scheduler(store, broker, limits).tick()
    assert (
        await store.collection(readmodels.JOB_UNITS).count({"jobId": "job_CRASH", "dispatched": True}) == 20
    )
    stored = (await js.stream_info("MIGRATOR_CMD")).state.messages - before
    assert stored == 20, "commands published before the crash and again after it are stored once"


async def test_two_scheduler_replicas_dispatching_at_once_keep_the_tenant_limit(
    store: SqliteReadStore, broker: NatsBroker
) -> None:
    limits = Limits(per_job=10, per_tenant=3)
    js = broker.connection.jetstream()
    units = store.collection(readmodels.JOB_UNITS)

    def replica(units: Any) -> Scheduler:
        # A scheduler process of its own, with its own lease client on the shared bucket.
        return Scheduler(
            jobs=store.collection(readmodels.JOBS),
            units=units,
            publisher=BusPublisher(broker),
            clock=lambda: time.time() + 7200,  # the jobs below are due
            limits=limits,
            lease=KvLease(lambda: js, "scheduler-dispatch-test"),
        )

    first, second = replica(units), replica(LaggingInFlight(units))
    for job in ("job_R1", "job_R2"):
        await first.create_job(
            CreateJob(
                job_id=job,
                org_id="org_1",
                type=JobType.SHAREPOINT,
                source_tenant_id="ten_R_src",
                dest_tenant_id="ten_R",
                options={"sites": [f"https://x.sharepoint.com/sites/{job}-{i}" for i in range(4)]},
                created_at=datetime.now(UTC),
                scheduled_at=datetime.now(UTC) + timedelta(hours=3),  # not due yet: nothing dispatched
            )
        )
        assert await first.start_if_due(job, dispatch=False) is False
    for job in ("job_R1", "job_R2"):  # now due, and started
        await store.collection(readmodels.JOBS).update(job, {"dueAt": 0})
        assert await first.start_if_due(job, dispatch=False)
    # The second replica reads what is in flight just before the first one's dispatch is marked,
    # and the waiting units just after it: without the lease it dispatches three more.
    await asyncio.gather(first.dispatch_pending(), second.dispatch_pending())
    assert await units.count({"dispatched": True}) == 3


class LaggingInFlight:
    """The units collection as a slow replica sees it: its count of what is in flight is read
    before another replica's dispatch is marked, and arrives after it."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def find(self, where: Any = None, **kwargs: Any) -> Any:
        found = await self._inner.find(where, **kwargs)
        if where and where.get("dispatched") is True:
            await asyncio.sleep(0.3)
        return found


async def test_a_batch_of_progress_finishes_each_job_once_and_hands_on_the_freed_slots(
    store: SqliteReadStore, broker: NatsBroker
) -> None:
    completed = await broker.connection.subscribe("migrator.evt.job.*.JobCompleted")
    sched = scheduler(store, broker, Limits(per_job=3, per_tenant=6))
    for job_id in ("job_P1", "job_P2", "job_P3"):
        await create(sched, job_id, "org_1", "ten_P", sites=3)
    running = await in_flight(store)
    assert sorted({u["jobId"] for u in running}) == ["job_P1", "job_P2"], "job_P3 waits for room"
    # All six in one batch, one of them delivered twice.
    await sched.apply_unit_progress(*(done(u) for u in running), done(running[0]))
    jobs = {j["id"]: j for j in await store.collection(readmodels.JOBS).find({"orgId": "org_1"})}
    for job_id in ("job_P1", "job_P2"):
        assert jobs[job_id]["status"] == "DONE"
        assert (jobs[job_id]["totalItems"], jobs[job_id]["doneItems"]) == (6, 6)
    assert {u["jobId"] for u in await in_flight(store)} == {"job_P3"}, "the freed slots went on"
    finished: list[str] = []
    while True:
        try:
            finished.append(json.loads((await completed.next_msg(timeout=0.5)).data)["jobId"])
        except TimeoutError:
            break
    assert sorted(finished) == ["job_P1", "job_P2"], "each announced once"
