"""A job whose time comes while NATS is down starts once, and says so, when the bus is back.

The start is written to the store before it is announced; the announcement is an outbox on
the job, swept by every tick, so an outage between the two cannot lose the JobStarted event.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats
import pytest
from migrator_contracts import readmodels
from migrator_contracts.commands import CreateJob
from migrator_contracts.enums import JobType
from migrator_devstack import infra
from migrator_platform.bus import BusPublisher, BusUnavailable, create_broker, provision_streams
from migrator_readstore.sqlite import SqliteReadStore
from migrator_scheduler.domain.dispatch_plan import Limits
from migrator_scheduler.handlers import Scheduler

pytestmark = pytest.mark.integration


async def _stored(url: str, subject: str) -> list[dict[str, object]]:
    nc = await nats.connect(url)
    try:
        sub = await nc.jetstream().subscribe(subject, ordered_consumer=True)
        out = []
        try:
            while True:
                out.append(json.loads((await sub.next_msg(timeout=1)).data))
        except nats.errors.TimeoutError:
            return out
    finally:
        await nc.close()


async def _commands(url: str, subject: str) -> list[dict[str, object]]:
    """Commands stored on a work-queue stream (read by sequence: it allows no second consumer)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        state = (await js.stream_info("MIGRATOR_CMD")).state
        found = [await js.get_msg("MIGRATOR_CMD", seq) for seq in range(state.first_seq, state.last_seq + 1)]
        return [json.loads(m.data or b"{}") for m in found if m.subject == subject]
    finally:
        await nc.close()


async def test_a_start_during_an_outage_is_announced_once_the_bus_is_back(
    tmp_path: Path, store: SqliteReadStore
) -> None:
    server = infra.start_nats(data_dir=tmp_path / "nats", log_dir=tmp_path)
    url = server.urls["nats"]
    broker = create_broker(nats_url=url, service="scheduler-test")
    await broker.connect()
    try:
        await provision_streams(broker.connection.jetstream())
        sched = Scheduler(
            jobs=store.collection(readmodels.JOBS),
            units=store.collection(readmodels.JOB_UNITS),
            publisher=BusPublisher(broker),
            clock=time.time,
            limits=Limits(per_job=4, per_tenant=16),
        )
        due = datetime.now(UTC) + timedelta(seconds=1)
        await sched.create_job(
            CreateJob(
                job_id="job_outage",
                org_id="org_A",
                type=JobType.SHAREPOINT,
                source_tenant_id="src",
                dest_tenant_id="dst",
                options={"sites": ["https://x.sharepoint.com/sites/a", "https://x.sharepoint.com/sites/b"]},
                scheduled_at=due,
                created_at=datetime.now(UTC),
            )
        )
        server.kill()
        await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.2)
        with pytest.raises(BusUnavailable):
            await sched.tick()  # starts the job in the store; cannot tell anyone
        job = await store.collection(readmodels.JOBS).get("job_outage")
        assert job is not None and job["status"] == "RUNNING"

        server = infra.start_nats(
            data_dir=tmp_path / "nats", port=int(url.rsplit(":", 1)[1]), log_dir=tmp_path
        )
        for _ in range(100):
            try:
                await sched.tick()
                break
            except BusUnavailable:
                await asyncio.sleep(0.1)  # reconnecting; JetStream recovering its streams
        await sched.tick()  # and again: nothing more to announce or dispatch

        started = await _stored(url, "migrator.evt.job.job_outage.JobStarted")
        assert len(started) == 1 and started[0]["seq"] == job["version"]
        dispatched = await _commands(url, "migrator.cmd.site.migrate")
        assert sorted(d["unitId"] for d in dispatched) == sorted(
            u["id"] for u in await store.collection(readmodels.JOB_UNITS).find({"jobId": "job_outage"})
        )
    finally:
        await broker.stop()
        server.stop()
