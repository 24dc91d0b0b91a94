"""The scheduler's timers and dispatch, against a bare JetStream publish loop in the same run.

    .venv/bin/python bench/scheduler_bench.py [TIMERS] [UNITS]

On a real nats-server and the embedded store, with the scheduler in this process:
- timers: TIMERS one-site jobs due at random moments within the same minute; lateness is when
  a subscriber sees each JobStarted, minus the job's due time (p50 / p99 / max);
- dispatch: one due job of UNITS sites with no limit in the way; items dispatched per second
  (each a MigrateSite command on JetStream plus the unit marked in the store), against a bare
  loop publishing as many messages of the same size to JetStream.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import nats
from migrator_contracts import readmodels
from migrator_contracts.commands import CreateJob
from migrator_contracts.enums import JobType
from migrator_devstack import infra
from migrator_platform.bus import BusPublisher, create_broker, provision_streams
from migrator_readstore.sqlite import SqliteReadStore
from migrator_scheduler.domain.dispatch_plan import Limits
from migrator_scheduler.handlers import Scheduler
from nats.js.api import StreamConfig

UNLIMITED = Limits(per_job=10**9, per_tenant=10**9)


def job(job_id: str, sites: int, due: float | None) -> CreateJob:
    return CreateJob(
        job_id=job_id,
        org_id="org_BENCH",
        type=JobType.SHAREPOINT,
        source_tenant_id="ten_S",
        dest_tenant_id="ten_D",
        options={"sites": [f"https://contoso.sharepoint.com/sites/s{i:06d}" for i in range(sites)]},
        scheduled_at=datetime.fromtimestamp(due, UTC) if due else None,
        created_at=datetime.now(UTC),
    )


async def timers(url: str, tmp: Path, count: int) -> list[float]:
    broker = create_broker(nats_url=url, service="bench")
    await broker.connect()
    await provision_streams(broker.connection.jetstream())
    store = SqliteReadStore(tmp / "timers.sqlite3")
    jobs, units = store.collection(readmodels.JOBS), store.collection(readmodels.JOB_UNITS)
    sched = Scheduler(
        jobs=jobs, units=units, publisher=BusPublisher(broker), clock=time.time, limits=UNLIMITED
    )
    await sched.ensure_indexes()  # as the service does
    # The minute starts once every job is recorded (about 2 ms each here).
    start = time.time() + 5 + count * 0.003
    due = {f"job_T{i:06d}": start + random.uniform(0, 60) for i in range(count)}
    for job_id, at in due.items():
        await sched.create_job(job(job_id, 1, at))
    lateness: list[float] = []
    done = asyncio.Event()

    async def started(msg: nats.aio.msg.Msg) -> None:
        lateness.append(time.time() - due[msg.subject.split(".")[3]])
        if len(lateness) == count:
            done.set()

    sub = await broker.connection.subscribe("migrator.evt.job.*.JobStarted", cb=started)
    ahead = start - time.time()
    print(f"timers: {count} jobs recorded; due between +{ahead:.1f}s and +{ahead + 60:.1f}s")
    stop = asyncio.Event()

    async def loop() -> None:  # what the service's dispatch loop does
        while not stop.is_set():
            await sched.tick()
            await asyncio.sleep(max(await sched.seconds_until_due(1.0), 0.01))

    runner = asyncio.create_task(loop())
    await asyncio.wait_for(done.wait(), timeout=start + 180 - time.time())
    stop.set()
    await runner
    await sub.unsubscribe()
    await broker.stop()
    await store.close()
    return lateness


async def dispatch(url: str, tmp: Path, count: int) -> float:
    broker = create_broker(nats_url=url, service="bench")
    await broker.connect()
    store = SqliteReadStore(tmp / "dispatch.sqlite3")
    jobs, units = store.collection(readmodels.JOBS), store.collection(readmodels.JOB_UNITS)
    sched = Scheduler(
        jobs=jobs, units=units, publisher=BusPublisher(broker), clock=time.time, limits=UNLIMITED
    )
    await sched.ensure_indexes()  # as the service does
    await sched.create_job(job("job_D", count, due=time.time() + 3600))  # recorded, not yet due
    await jobs.update("job_D", {"dueAt": time.time()})
    began = time.perf_counter()
    await sched.tick()
    elapsed = time.perf_counter() - began
    dispatched = await units.count({"jobId": "job_D", "dispatched": True})
    assert dispatched == count, dispatched
    await broker.stop()
    await store.close()
    return count / elapsed


async def bare(url: str, count: int) -> float:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name="BARE", subjects=["bare.>"], duplicate_window=120))
    payload = b"x" * 330  # about a MigrateSite command
    began = time.perf_counter()
    for i in range(count):
        await js.publish("bare.cmd", payload, headers={"Nats-Msg-Id": f"b{i}"})
    elapsed = time.perf_counter() - began
    await nc.close()
    return count / elapsed


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1]


async def main(timer_count: int, unit_count: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    server = infra.start_nats(data_dir=tmp / "nats", log_dir=tmp)
    url = server.urls["nats"]
    try:
        late = await timers(url, tmp, timer_count)
        print(
            f"timers   {len(late)} started; lateness p50 {pct(late, 50) * 1000:.0f} ms, "
            f"p99 {pct(late, 99) * 1000:.0f} ms, max {max(late) * 1000:.0f} ms, "
            f"early {sum(1 for x in late if x < 0)}"
        )
        ours = await dispatch(url, tmp, unit_count)
        raw = await bare(url, unit_count)
        print(
            f"dispatch {ours:,.0f} items/s; bare JetStream publish {raw:,.0f} msgs/s; ratio {ours / raw:.2f}"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else 10_000,
            int(sys.argv[2]) if len(sys.argv) > 2 else 5_000,
        )
    )
