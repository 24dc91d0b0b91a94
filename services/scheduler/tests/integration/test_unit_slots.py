"""Nothing is silently stuck: units nobody starts, and units of paused or deleted jobs, free
their destination's slots; a unit its connector hands back is sent again when its job resumes.

Real NATS (commands, log lines, the worker-presence bucket) and the embedded store; the
scheduler runs in process and the connectors are played by the test.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.nats import NatsBroker
from migrator_contracts import readmodels, subjects
from migrator_contracts.commands import ControlJob, CreateJob
from migrator_contracts.enums import JobAction, JobType, UnitStatus
from migrator_contracts.events import UnitProgressed
from migrator_platform.bus import BusPublisher
from migrator_platform.workers import WorkerPresence
from migrator_readstore.sqlite import SqliteReadStore
from migrator_scheduler.control import JobControl
from migrator_scheduler.domain.dispatch_plan import Limits
from migrator_scheduler.domain.units import InvalidJob
from migrator_scheduler.handlers import Scheduler
from migrator_scheduler.start_watch import StartWatch

pytestmark = pytest.mark.integration

TIMEOUT = 60.0


class Clock:
    """Wall time plus what the test fast-forwards."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


def build(
    store: SqliteReadStore, broker: NatsBroker, clock: Clock, *, presence: WorkerPresence
) -> tuple[Scheduler, JobControl, StartWatch]:
    publisher = BusPublisher(broker)
    sched = Scheduler(
        jobs=store.collection(readmodels.JOBS),
        units=store.collection(readmodels.JOB_UNITS),
        publisher=publisher,
        clock=clock,
        limits=Limits(per_job=1, per_tenant=4),
    )
    watch = StartWatch(sched, publisher=publisher, workers=presence, timeout_seconds=TIMEOUT, attempts=2)
    return sched, JobControl(sched, publisher), watch


def presence_of(broker: NatsBroker) -> WorkerPresence:
    return WorkerPresence(lambda: broker.connection.jetstream(), interval_seconds=30)


async def create(sched: Scheduler, job_id: str, job_type: JobType, selection: dict[str, Any]) -> None:
    await sched.create_job(
        CreateJob(
            job_id=job_id,
            org_id="org_1",
            type=job_type,
            source_tenant_id="ten_S",
            dest_tenant_id="ten_D",
            options=selection,
            created_at=datetime.now(UTC),
        )
    )


async def progress(
    sched: Scheduler, job_id: str, unit_id: str, seq: int, status: UnitStatus, *, done: int, total: int
) -> None:
    """What the unit's connector reports, as its UnitProgressed event."""
    await sched.apply_unit_progress(
        UnitProgressed(
            event_id=f"{unit_id}:{seq}",
            seq=seq,
            occurred_at=datetime.now(UTC),
            job_id=job_id,
            unit_id=unit_id,
            status=status,
            total_items=total,
            done_items=done,
        )
    )


async def units_of(store: SqliteReadStore, job_id: str) -> list[dict[str, Any]]:
    return await store.collection(readmodels.JOB_UNITS).find({"jobId": job_id}, sort=[("_id", 1)])


async def four_mail_jobs_and_a_fifth(sched: Scheduler, store: SqliteReadStore, tag: str) -> list[str]:
    """Four EMAIL jobs fill ten_D's four slots; a SHAREPOINT job to ten_D then waits."""
    mail = [f"job_{tag}M{i}" for i in range(4)]
    for job_id in mail:
        await create(sched, job_id, JobType.EMAIL, {"mailboxes": [f"{job_id.lower()}@contoso.com"]})
    await create(sched, f"job_{tag}SP", JobType.SHAREPOINT, {"sites": ["https://c.sharepoint.com/sites/x"]})
    for job_id in mail:
        assert (await units_of(store, job_id))[0]["dispatched"]
    assert not (await units_of(store, f"job_{tag}SP"))[0]["dispatched"], "the tenant's slots are full"
    return mail


async def test_four_jobs_whose_units_never_start_do_not_block_a_fifth(
    store: SqliteReadStore, broker: NatsBroker
) -> None:
    clock = Clock()
    sched, _, watch = build(store, broker, clock, presence=presence_of(broker))
    mail = await four_mail_jobs_and_a_fifth(sched, store, "N")
    commands = await broker.connection.subscribe(subjects.CMD_MAILBOX_MIGRATE)
    await watch.check()
    for job_id in mail:
        assert (await units_of(store, job_id))[0]["dispatchCount"] == 1, "not yet: within the timeout"

    clock.ahead = TIMEOUT + 1  # nobody consumes migrator.cmd.mailbox.migrate: each unit is sent again
    await watch.check()
    resent = [json.loads((await commands.next_msg(timeout=2)).data)["unitId"] for _ in mail]
    assert sorted(resent) == sorted([(await units_of(store, j))[0]["id"] for j in mail])

    clock.ahead = 2 * (TIMEOUT + 1)  # still nobody: the units end ERROR, and their jobs with them
    await watch.check()
    for job_id in mail:
        unit = (await units_of(store, job_id))[0]
        assert unit["status"] == UnitStatus.ERROR.value and unit["message"].startswith("UNIT_NOT_STARTED")
        assert (await store.collection(readmodels.JOBS).get(job_id) or {})["status"] == "ERROR"
    assert (await units_of(store, "job_NSP"))[0]["dispatched"], "the fifth job got its slot"


async def test_a_unit_queued_behind_a_running_connector_is_left_to_wait(
    store: SqliteReadStore, broker: NatsBroker
) -> None:
    clock = Clock()
    presence = presence_of(broker)
    sched, _, watch = build(store, broker, clock, presence=presence)
    await create(sched, "job_BUSY", JobType.EMAIL, {"mailboxes": ["busy@contoso.com"]})
    await presence.announce([subjects.CMD_MAILBOX_MIGRATE], service="mail-teams-connector")
    clock.ahead = 10 * TIMEOUT
    await watch.check()
    unit = (await units_of(store, "job_BUSY"))[0]
    assert (unit["status"], unit["dispatchCount"]) == ("QUEUED", 1), "a live consumer will take it in turn"


async def test_paused_and_deleted_jobs_hold_no_slots(store: SqliteReadStore, broker: NatsBroker) -> None:
    sched, control, _ = build(store, broker, Clock(), presence=presence_of(broker))
    mail = await four_mail_jobs_and_a_fifth(sched, store, "P")
    for job_id, action in ((mail[0], JobAction.PAUSE), (mail[1], JobAction.DELETE)):
        await control.control_job(
            ControlJob(job_id=job_id, org_id="org_1", action=action, request_id=f"req_{job_id}")
        )
    assert (await units_of(store, "job_PSP"))[0]["dispatched"], "the paused and deleted jobs freed two slots"


async def test_a_unit_handed_back_at_a_pause_is_sent_again_on_resume(
    store: SqliteReadStore, broker: NatsBroker
) -> None:
    sched, control, _ = build(store, broker, Clock(), presence=presence_of(broker))
    commands = await broker.connection.subscribe(subjects.CMD_MAILBOX_MIGRATE)
    await create(sched, "job_HB", JobType.EMAIL, {"mailboxes": ["hb@contoso.com"]})
    first = json.loads((await commands.next_msg(timeout=2)).data)
    unit_id = first["unitId"]

    async def report(seq: int, status: UnitStatus, done: int) -> None:
        await progress(sched, "job_HB", unit_id, seq, status, done=done, total=100)

    await report(1, UnitStatus.RUNNING, 20)
    assert (await units_of(store, "job_HB"))[0]["startedAt"], "started when the connector says so"
    await control.control_job(
        ControlJob(job_id="job_HB", org_id="org_1", action=JobAction.PAUSE, request_id="r1")
    )
    await report(2, UnitStatus.QUEUED, 40)  # the connector stopped between two batches
    unit = (await units_of(store, "job_HB"))[0]
    assert (unit["dispatched"], unit["doneItems"]) == (False, 40)
    await control.control_job(
        ControlJob(job_id="job_HB", org_id="org_1", action=JobAction.RESUME, request_id="r2")
    )
    again = json.loads((await commands.next_msg(timeout=2)).data)
    assert again["unitId"] == unit_id and again["jobVersion"] > first["jobVersion"]
    assert (await units_of(store, "job_HB"))[0]["dispatchCount"] == 2


async def test_a_pause_landing_mid_pass_does_not_let_the_pass_send_the_jobs_next_unit(
    store: SqliteReadStore, broker: NatsBroker
) -> None:
    # One unit of a job at a time (per_job=1): site 0 is in flight. A dispatch pass reads the
    # running jobs; the pause lands before it counts what is in flight. Site 1 must still wait.
    jobs = store.collection(readmodels.JOBS)
    sched, _, _ = build(store, broker, Clock(), presence=presence_of(broker))
    sites = ["https://c.sharepoint.com/sites/a", "https://c.sharepoint.com/sites/b"]
    await create(sched, "job_PR", JobType.SHAREPOINT, {"sites": sites})
    first, second = await units_of(store, "job_PR")
    assert (first["dispatched"], second["dispatched"]) == (True, False)
    await progress(sched, "job_PR", first["id"], 1, UnitStatus.RUNNING, done=1, total=10)

    read_running = jobs.find

    async def find_then_pause(where: Any = None, **kwargs: Any) -> list[dict[str, Any]]:
        found = await read_running(where, **kwargs)
        if where == {"status": "RUNNING", "dispatchComplete": False}:
            await jobs.update("job_PR", {"status": "PAUSED"})  # the pause, between the two reads
        return found

    jobs.find = find_then_pause  # type: ignore[method-assign]
    await sched.dispatch_pending()

    assert not (await units_of(store, "job_PR"))[1]["dispatched"], "site 1 waits: site 0 is still in flight"


async def test_each_types_options_reach_its_connectors_command(
    store: SqliteReadStore, broker: NatsBroker
) -> None:
    sched, _, _ = build(store, broker, Clock(), presence=presence_of(broker))
    nc = broker.connection
    sites, teams, atlassian = (
        await nc.subscribe(subjects.CMD_SITE_MIGRATE),
        await nc.subscribe(subjects.CMD_TEAM_MIGRATE),
        await nc.subscribe(subjects.CMD_ATLASSIAN_MIGRATE),
    )
    authors = [{"source": "Ann@contoso.com", "dest": "ann@fabrikam.com"}]
    await create(
        sched,
        "job_OSP",
        JobType.SHAREPOINT,
        {
            "sites": ["https://c.sharepoint.com/sites/x"],
            "fullPass": True,
            "includeVersions": True,
            "includePermissions": True,
            "userMappings": authors,
        },
    )
    await create(
        sched,
        "job_OTM",
        JobType.TEAMS,
        {"teams": ["t1"], "userMappings": authors, "fallbackUser": "it@fabrikam.com"},
    )
    await create(
        sched, "job_OJI", JobType.JIRA, {"projects": ["ALPHA"], "overrideChecks": ["CloudSiteNotEmpty"]}
    )

    site = json.loads((await sites.next_msg(timeout=2)).data)
    assert (site["fullPass"], site["includeVersions"], site["includePermissions"]) == (True, True, True)
    assert site["userMappings"] == {"ann@contoso.com": "ann@fabrikam.com"}  # matched case-blind
    team = json.loads((await teams.next_msg(timeout=2)).data)
    assert (team["userMappings"], team["fallbackUser"]) == (
        {"ann@contoso.com": "ann@fabrikam.com"},
        "it@fabrikam.com",
    )
    jira = json.loads((await atlassian.next_msg(timeout=2)).data)
    assert (jira["overrideChecks"], [u["key"] for u in jira["units"]]) == (["CloudSiteNotEmpty"], ["ALPHA"])


async def test_options_a_type_does_not_take_are_refused_and_nothing_is_recorded(
    store: SqliteReadStore, broker: NatsBroker
) -> None:
    sched, _, _ = build(store, broker, Clock(), presence=presence_of(broker))
    for options, scope in (
        ({"site": ["https://c.sharepoint.com/sites/x"]}, {}),
        ({"mailboxes": "ceo@contoso.com"}, {}),
        ({"mailboxes": ["ceo@contoso.com"]}, {"email": "yes"}),
    ):
        job_type = JobType.SHAREPOINT if "site" in options else JobType.EMAIL
        with pytest.raises(InvalidJob):
            await sched.create_job(
                CreateJob(
                    job_id="job_BAD",
                    org_id="org_1",
                    type=job_type,
                    source_tenant_id="ten_S",
                    dest_tenant_id="ten_D",
                    options=options,
                    scope=scope,
                )
            )
    assert await store.collection(readmodels.JOBS).get("job_BAD") is None


async def test_every_field_the_scheduler_writes_is_declared_by_its_read_model(
    store: SqliteReadStore, broker: NatsBroker
) -> None:
    # Readers (the gateway, the repositories) rely on the model: a field written outside it is
    # one nobody can find. Take a job through its whole life, then read what is stored.
    sched, control, watch = build(store, broker, Clock(), presence=presence_of(broker))
    await create(sched, "job_RM", JobType.EMAIL, {"mailboxes": ["rm@contoso.com"]})
    (unit,) = await units_of(store, "job_RM")
    await watch.check()

    async def report(seq: int, status: UnitStatus, done: int) -> None:
        await progress(sched, "job_RM", unit["id"], seq, status, done=done, total=10)

    await report(1, UnitStatus.RUNNING, 2)
    for action in (JobAction.PAUSE, JobAction.RESUME):
        await control.control_job(
            ControlJob(job_id="job_RM", org_id="org_1", action=action, request_id=f"r_{action.value}")
        )
    await report(2, UnitStatus.DONE, 10)
    await control.control_job(
        ControlJob(job_id="job_RM", org_id="org_1", action=JobAction.DELETE, request_id="r_d")
    )

    job = await store.collection(readmodels.JOBS).get("job_RM")
    assert job is not None and job["deleted"] and job["lastControl"]["requestId"] == "r_d"
    assert not readmodels.JobDoc.undeclared(job), readmodels.JobDoc.undeclared(job)
    readmodels.JobDoc.model_validate(job)
    (unit,) = await units_of(store, "job_RM")
    assert unit["status"] == UnitStatus.DONE.value
    assert not readmodels.JobUnitDoc.undeclared(unit), readmodels.JobUnitDoc.undeclared(unit)
