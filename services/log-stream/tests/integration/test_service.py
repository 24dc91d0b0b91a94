"""log-stream as it runs: its real wiring on real NATS and the embedded store, events in and a
job's log out, in the order its events were, each line once however often its event comes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from faststream.nats import NatsBroker
from migrator_contracts import readmodels, subjects
from migrator_contracts.enums import JobStatus, UnitStatus
from migrator_contracts.events import Event, JobCompleted, JobQueued, UnitProgressed
from migrator_contracts.logs import LogLine
from migrator_contracts.streams import EVENTS, LOG_EVENTS_DURABLE, LOG_PROJECTION_DURABLE, LOGS
from migrator_log_stream.config import LogStreamSettings
from migrator_log_stream.entrypoints.app import wire
from migrator_log_stream.handlers import LogStream
from migrator_platform.bus import create_broker, provision_streams, publish
from migrator_platform.service import Runtime
from migrator_readstore.sqlite import SqliteReadStore

pytestmark = pytest.mark.integration

AT = datetime(2026, 5, 9, 8, 5, tzinfo=UTC)
SITE = "https://contoso.sharepoint.com/sites/finance"


@pytest.fixture
async def running(nats_url: str, tmp_path: Path) -> AsyncIterator[tuple[NatsBroker, SqliteReadStore]]:
    """log-stream wired as bootstrap wires it, with a small event batch so a run spans several."""
    settings = LogStreamSettings.model_construct(log_event_batch=4)
    store = SqliteReadStore(tmp_path / "store.sqlite3")
    broker = create_broker(nats_url=nats_url, service="log-stream")
    await broker.connect()
    await provision_streams(broker.connection.jetstream())

    async def publish_line(subject: str, line: LogLine, msg_id: str) -> None:
        await publish(broker, subject, line, msg_id=msg_id)

    async def purge_subject(subject: str) -> None:
        await broker.connection.jetstream().purge_stream(LOGS.name, subject=subject)

    stream = LogStream(
        logs=store.collection(readmodels.JOB_LOGS),
        jobs=store.collection(readmodels.LOG_JOBS),
        publish=publish_line,
        purge_subject=purge_subject,
        retention_days=settings.retention_days,
        clock=time.time,
    )
    wire(Runtime(name="log-stream", settings=settings, broker=broker, store=store), settings, stream)
    await broker.start()
    yield broker, store
    await broker.stop()
    await store.close()


async def _settled(broker: NatsBroker) -> None:
    """Once both of log-stream's consumers have acked everything published (10 s at most)."""
    js = broker.connection.jetstream()
    deadline = time.monotonic() + 10
    for stream, durable in ((EVENTS.name, LOG_EVENTS_DURABLE), (LOGS.name, LOG_PROJECTION_DURABLE)):
        while True:
            info = await js.consumer_info(stream, durable)
            if info.num_pending == 0 and info.num_ack_pending == 0:
                break
            assert time.monotonic() < deadline, f"{durable} still has {info.num_pending} to go"
            await asyncio.sleep(0.05)


def _progress(job_id: str, unit: int, status: UnitStatus, done: int) -> UnitProgressed:
    return UnitProgressed(
        event_id=f"{job_id}:u{unit}:{done}",
        seq=done,
        occurred_at=AT,
        job_id=job_id,
        unit_id=f"u{unit}",
        status=status,
        total_items=10,
        done_items=done,
        source=f"{SITE}{unit}",
    )


async def test_a_jobs_events_become_its_log_in_their_order_each_line_once(
    running: tuple[NatsBroker, SqliteReadStore], nats_url: str
) -> None:
    broker, store = running
    others = create_broker(nats_url=nats_url, service="others")  # the services whose events these are
    await others.connect()
    job = "job_SVC"
    events: list[tuple[str, Event]] = [
        (
            subjects.job_event(job, "JobQueued"),
            JobQueued(event_id=f"{job}:q", seq=1, occurred_at=AT, job_id=job, org_id="org_1"),
        )
    ]
    for unit in range(3):  # progress that stays silent, then each unit's end
        events += [
            (subjects.unit_event(job, "UnitProgressed"), _progress(job, unit, UnitStatus.RUNNING, d))
            for d in (2, 5)
        ]
        events.append((subjects.unit_event(job, "UnitProgressed"), _progress(job, unit, UnitStatus.DONE, 10)))
    completed = JobCompleted(
        event_id=f"{job}:done",
        seq=9,
        occurred_at=AT,
        job_id=job,
        org_id="org_1",
        status=JobStatus.DONE,
        total_items=30,
        done_items=30,
        error_items=0,
        skipped_items=0,
    )
    events.append((subjects.job_event(job, "JobCompleted"), completed))
    for subject, event in events:
        await publish(others, subject, event, msg_id=event.event_id)
    # A unit's end published again after the duplicate window (a connector retrying late).
    again = _progress(job, 1, UnitStatus.DONE, 10)
    await publish(others, subjects.unit_event(job, "UnitProgressed"), again, msg_id=f"{again.event_id}:late")
    await others.stop()

    await _settled(broker)
    lines = await store.collection(readmodels.JOB_LOGS).find({"jobId": job}, sort=[("seq", 1)])
    messages = [line["message"] for line in lines]
    assert messages[0] == "Job queued"
    assert messages[1:4] == [f"{SITE}{u} → 10 items migrated" for u in range(3)]
    assert messages[4].startswith("Job finished: DONE") and lines[4]["final"]
    assert len(lines) == 5, "the unit's end, delivered twice, is one line"
    assert all(line["orgId"] == "org_1" for line in lines)
