"""The job_logs projection on the real embedded store: idempotent, retention per organisation
(learned from the job's events, even when a line comes first), and a deleted job's lines gone
from the stream and the store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from migrator_contracts import readmodels
from migrator_contracts.enums import LogLevel
from migrator_contracts.events import JobQueued
from migrator_contracts.logs import LogLine
from migrator_log_stream.config import LogStreamSettings
from migrator_log_stream.handlers import LogStream
from migrator_readstore.sqlite import SqliteReadStore

pytestmark = pytest.mark.integration

DAY = 86400.0
NOW = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteReadStore]:
    store = SqliteReadStore(tmp_path / "store.sqlite3")
    yield store
    await store.close()


def line(job: str, n: int) -> LogLine:
    return LogLine(
        id=f"log_{job}_{n}",
        job_id=job,
        level=LogLevel.INFO,
        message=f"m{n}",
        ts=datetime.fromtimestamp(NOW, UTC),
    )


def queued(job: str, org: str) -> dict[str, Any]:
    return JobQueued(
        event_id=f"{job}:queued", seq=1, occurred_at=datetime.fromtimestamp(NOW, UTC), job_id=job, org_id=org
    ).model_dump(by_alias=True)


async def build(
    store: SqliteReadStore, clock: Clock, *, queue: bool = True
) -> tuple[LogStream, list[tuple[str, Any]], list[str]]:
    settings = LogStreamSettings(log_retention_days=30, log_retention_days_by_org="org_keep=90,org_brief=1")
    published: list[tuple[str, Any]] = []
    purged: list[str] = []

    async def publish(subject: str, message: LogLine, msg_id: str) -> None:
        published.append((subject, message))

    async def purge_subject(subject: str) -> None:
        purged.append(subject)

    stream = LogStream(
        logs=store.collection(readmodels.JOB_LOGS),
        jobs=store.collection(readmodels.LOG_JOBS),
        publish=publish,
        purge_subject=purge_subject,
        retention_days=settings.retention_days,
        clock=clock,
    )
    if queue:
        for job, org in (("job_keep", "org_keep"), ("job_brief", "org_brief"), ("job_plain", "org_plain")):
            await stream.on_event("JobQueued", queued(job, org))
        published.clear()
    return stream, published, purged


async def test_each_organisation_keeps_its_lines_for_its_own_retention(store: SqliteReadStore) -> None:
    clock = Clock()
    stream, _, _ = await build(store, clock)
    for seq, job in enumerate(("job_keep", "job_brief", "job_plain"), 1):
        await stream.project([(line(job, 0), seq)])
        await stream.project([(line(job, 0), seq)])  # a redelivery changes nothing
    logs = store.collection(readmodels.JOB_LOGS)
    assert await logs.count() == 3
    # The lines, written by hand for speed, are what JobLogDoc declares, and read back as one.
    stored = await logs.find()
    assert not set().union(*map(readmodels.JobLogDoc.undeclared, stored))
    assert [readmodels.JobLogDoc.model_validate(d).org_id for d in stored] == [
        "org_keep",
        "org_brief",
        "org_plain",
    ]
    jobs = await store.collection(readmodels.LOG_JOBS).find()
    assert jobs and not set().union(*map(readmodels.LogJobDoc.undeclared, jobs))
    clock.now = NOW + 2 * DAY
    assert await stream.purge_expired() == 1  # org_brief keeps 1 day
    clock.now = NOW + 31 * DAY
    assert await stream.purge_expired() == 1  # the default, 30 days
    assert [d["jobId"] for d in await logs.find()] == ["job_keep"]
    clock.now = NOW + 91 * DAY
    assert await stream.purge_expired() == 1 and await logs.count() == 0


async def test_a_line_that_outruns_its_jobs_first_event_gets_the_jobs_retention(
    store: SqliteReadStore,
) -> None:
    clock = Clock()
    stream, _, _ = await build(store, clock, queue=False)
    await stream.project([(line("job_brief", 0), 1), (line("job_keep", 0), 2)])
    logs = store.collection(readmodels.JOB_LOGS)
    assert {d["orgId"] for d in await logs.find()} == {None}
    await stream.on_event("JobQueued", queued("job_brief", "org_brief"))
    await stream.on_event("JobQueued", queued("job_keep", "org_keep"))
    assert {d["jobId"]: d["orgId"] for d in await logs.find()} == {
        "job_brief": "org_brief",
        "job_keep": "org_keep",
    }
    clock.now = NOW + 2 * DAY
    assert await stream.purge_expired() == 1  # org_brief's 1 day, not the default 30
    clock.now = NOW + 31 * DAY
    assert await stream.purge_expired() == 0  # org_keep's 90


async def test_a_line_written_after_another_process_learned_its_job_is_placed_at_once(
    store: SqliteReadStore,
) -> None:
    await build(store, Clock())  # one replica saw the job's events
    writer, _, _ = await build(store, Clock(), queue=False)  # another projects its lines
    await writer.project([(line("job_brief", 0), 1)])
    assert [d["orgId"] for d in await store.collection(readmodels.JOB_LOGS).find()] == ["org_brief"]


async def test_a_deleted_jobs_lines_go_from_the_stream_and_the_store(store: SqliteReadStore) -> None:
    stream, _, purged = await build(store, Clock())
    await stream.project([(line("job_plain", n), n + 1) for n in range(3)])
    await stream.project([(line("job_keep", 0), 10)])
    await stream.on_event(
        "JobDeleted",
        {
            "eventId": "d",
            "seq": 5,
            "occurredAt": "2026-05-09T08:05:00Z",
            "jobId": "job_plain",
            "orgId": "org_plain",
            "status": "CANCELLED",
        },
    )
    assert purged == ["migrator.log.job.job_plain"]
    assert [d["jobId"] for d in await store.collection(readmodels.JOB_LOGS).find()] == ["job_keep"]


async def test_an_event_makes_its_line_once_and_other_events_make_none(store: SqliteReadStore) -> None:
    stream, published, _ = await build(store, Clock())
    await stream.on_event("JobQueued", queued("job_plain", "org_plain"))
    await stream.on_event("JobQueued", queued("job_plain", "org_plain"))
    await stream.on_event("TenantConnected", {"eventId": "t"})
    assert [(s, m.id) for s, m in published] == [("migrator.log.job.job_plain", published[0][1].id)] * 2
    assert published[0][1].message == "Job queued"
