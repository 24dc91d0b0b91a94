"""The scheduler's handlers: create a job, dispatch its units when due, roll unit progress up.

Every handler is idempotent: JetStream delivers at least once, and a scheduler killed at
any point must, when it comes back, neither lose a job nor start one twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any

from migrator_contracts import subjects
from migrator_contracts.base import Message, iso
from migrator_contracts.commands import (
    AtlassianUnit,
    CreateJob,
    CreateJobBatch,
    MigrateAtlassianScope,
    MigrateMailbox,
    MigrateSite,
    MigrateTeam,
)
from migrator_contracts.enums import (
    TERMINAL_UNIT_STATUSES,
    JobStatus,
    JobType,
    LogLevel,
    UnitStatus,
)
from migrator_contracts.events import JobCompleted, JobQueued, JobStarted, UnitProgressed
from migrator_contracts.job_kinds import (
    JOB_KINDS,
    JobOptions,
    MailboxOptions,
    ProjectOptions,
    SiteOptions,
    SpaceOptions,
    TeamOptions,
)
from migrator_contracts.logs import LogLine
from migrator_contracts.readmodels import JobDoc, JobUnitDoc
from migrator_platform import trace_context
from migrator_platform.bus import Publisher
from migrator_platform.ids import new_id
from migrator_platform.structured_logs import get_logger
from migrator_readstore import Collection, Filter, Sort

from migrator_scheduler.domain.dispatch_plan import Candidate, InFlight, Limits, plan
from migrator_scheduler.domain.lifecycle import can_transition
from migrator_scheduler.domain.progress import COUNTERS, UnitCounts, counted_as_failed, roll_up
from migrator_scheduler.domain.units import check_job, due_at, split_into_units
from migrator_scheduler.ports import Clock, DispatchLease

log = get_logger(__name__)

DISPATCH_CHUNK = 256  # unit commands in flight to JetStream at once
PARSED_OPTIONS_KEPT = 1024  # jobs whose options stay parsed (a job's options never change)


class Scheduler:
    """Owns the job aggregate and writes the ``jobs`` and ``job_units`` read models."""

    def __init__(
        self,
        *,
        jobs: Collection,
        units: Collection,
        publisher: Publisher,
        clock: Clock,
        limits: Limits | None = None,
        lease: DispatchLease | None = None,
    ) -> None:
        self._jobs = jobs
        self._units = units
        self._publisher = publisher
        self._clock = clock
        # Units in flight (dispatched, not finished) are capped: what a pause lets finish,
        # what a destination tenant's throttling can take, what the connectors can take.
        self._limits = limits or Limits(per_job=4, per_tenant=16)
        self._dispatching = asyncio.Lock()
        self._dispatch_again = False
        # Across replicas (None: this process is the only scheduler, the lock above is enough).
        self._lease = lease
        self._parsed_options: dict[str, JobOptions] = {}

    @property
    def jobs(self) -> Collection:
        return self._jobs

    @property
    def units(self) -> Collection:
        return self._units

    def clock(self) -> float:
        """Now, in epoch seconds."""
        return self._clock()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def now_iso(self) -> str:
        return iso(self.now())

    async def ensure_indexes(self) -> None:
        """The indexes its reads (and the gateway's listings) need."""
        await self._jobs.ensure_index(["orgId", "deleted", "createdAt"])
        await self._jobs.ensure_index(["status", "dueAt"])
        await self._jobs.ensure_index(["startToAnnounce"])
        await self._jobs.ensure_index(["sourceTenantId"])
        await self._jobs.ensure_index(["destTenantId"])
        await self._units.ensure_index(["jobId"])
        await self._units.ensure_index(["dispatched", "status"])
        await self._units.ensure_index(["dispatched", "status", "dispatchedAt"])

    def options(self, job: JobDoc) -> JobOptions:
        """The job's options as its type's model: parsed once per job, not at each unit sent
        (a job of 10,000 sites has 10,000 URLs to check)."""
        parsed = self._parsed_options.get(job.id)
        if parsed is None:
            if len(self._parsed_options) >= PARSED_OPTIONS_KEPT:
                self._parsed_options.pop(next(iter(self._parsed_options)))  # the oldest
            parsed = JOB_KINDS[JobType(job.type)].options.model_validate(job.options)
            self._parsed_options[job.id] = parsed
        return parsed

    async def job(self, job_id: str) -> JobDoc | None:
        doc = await self._jobs.get(job_id)
        return None if doc is None else JobDoc.model_validate(doc)

    async def jobs_where(self, where: Filter, *, sort: Sort = (), limit: int | None = None) -> list[JobDoc]:
        return [JobDoc.model_validate(d) for d in await self._jobs.find(where, sort=sort, limit=limit)]

    async def units_where(
        self, where: Filter, *, sort: Sort = (), limit: int | None = None
    ) -> list[JobUnitDoc]:
        return [JobUnitDoc.model_validate(d) for d in await self._units.find(where, sort=sort, limit=limit)]

    async def create_job(self, cmd: CreateJob) -> None:
        """Record the job and its units (once), announce it, and start it if it is due.
        A job its type refuses raises ``InvalidJob`` before anything is written."""
        check_job(JobType(cmd.type), cmd.options, cmd.scope)
        created = cmd.created_at or self.now()
        doc = JobDoc(
            id=cmd.job_id,
            org_id=cmd.org_id,
            type=cmd.type.value,
            status=JobStatus.QUEUED.value,
            source_tenant_id=cmd.source_tenant_id,
            dest_tenant_id=cmd.dest_tenant_id,
            scope=cmd.scope,
            options=cmd.options,
            dry_run=cmd.dry_run,
            name=cmd.name,
            created_at=iso(created),
            scheduled_at=iso(cmd.scheduled_at) if cmd.scheduled_at else None,
            version=1,
            due_at=due_at(scheduled_at=cmd.scheduled_at, created_at=created),
            # A start or dispatch from the timer loop continues the trace of the request.
            trace_context=trace_context.capture(),
        ).to_doc()
        # Units first: the gateway answers a create once the job shows, and its units must
        # show with it (a job read at once listed only the units written so far).
        for unit in split_into_units(cmd.job_id, JobType(cmd.type), cmd.options):
            await self._units.insert(
                unit.id,
                JobUnitDoc(
                    id=unit.id,
                    job_id=cmd.job_id,
                    org_id=cmd.org_id,
                    kind=unit.kind,
                    source=unit.source,
                    dest=unit.dest or "",
                    status=UnitStatus.QUEUED.value,
                    dest_tenant_id=cmd.dest_tenant_id,
                    job_type=cmd.type.value,
                ).to_doc(),
            )
        if not await self._jobs.insert(cmd.job_id, doc):
            log.info("job already recorded", job_id=cmd.job_id)
        await self._publisher.publish(
            subjects.job_event(cmd.job_id, "JobQueued"),
            JobQueued(
                event_id=f"{cmd.job_id}:queued",
                seq=1,
                occurred_at=created,
                job_id=cmd.job_id,
                org_id=cmd.org_id,
                scheduled_at=cmd.scheduled_at,
            ),
            msg_id=f"{cmd.job_id}:queued",
        )
        await self.start_if_due(cmd.job_id)

    async def create_batch(self, cmd: CreateJobBatch) -> None:
        """Every job of the batch, in declaration order (each step idempotent, so a redelivery
        after a crash completes the batch instead of duplicating it)."""
        for job in cmd.jobs:  # all or none: one refused job refuses the batch
            check_job(JobType(job.type), job.options, job.scope)
        for job in cmd.jobs:
            await self.create_job(job)

    async def start_if_due(self, job_id: str, *, dispatch: bool = True) -> bool:
        """QUEUED → RUNNING if its time has come; exactly one caller wins (compare-and-set).
        ``dispatch=False`` leaves dispatching to the caller (one pass for many starts)."""
        job = await self.job(job_id)
        if job is None or job.status != JobStatus.QUEUED.value or job.due_at > self._clock():
            return False
        if not can_transition(JobStatus.QUEUED, JobStatus.RUNNING):
            return False
        version = job.version
        job, changes = job.changed(
            status=JobStatus.RUNNING.value,
            started_at=job.started_at or iso(self.now()),
            version=version + 1,
            # An outbox of one: the start is announced after this write, and until that
            # succeeds (the bus may be down) every tick tries again.
            start_to_announce=version + 1,
        )
        won = await self._jobs.update(
            job_id, changes, where={"version": version, "status": JobStatus.QUEUED.value}
        )
        if not won:
            return False
        # Raw, only counted. (Not count({"jobId", "dispatched": False}): SQLite's planner takes
        # the (dispatched, status) index for it and scans half the table, once per start.)
        units = await self._units.find({"jobId": job_id})
        await self._announce_start(job, total_units=len(units))
        if dispatch:
            await self.dispatch_pending()
        if all(u.get("dispatched") for u in units):
            # Nothing to migrate, or (after a resume) nothing left: finish at once.
            await self.refresh_job(job_id)
        return True

    async def _announce_start(self, job: JobDoc, *, total_units: int | None = None) -> None:
        """Publish the JobStarted a start left to announce (once per start: a resumed job
        starts again), then clear it. A retry carries the same Nats-Msg-Id, so it is stored once."""
        seq = job.start_to_announce
        if not seq:
            return
        if total_units is None:
            total_units = await self._units.count({"jobId": job.id})
        with trace_context.resumed(job.trace_context, "announce start"):
            await self._announce_started(job, seq=seq, total_units=total_units)
        await self._jobs.update(
            job.id, JobDoc.as_stored(start_to_announce=None), where={"startToAnnounce": seq}
        )

    async def _announce_started(self, job: JobDoc, *, seq: int, total_units: int) -> None:
        assert job.started_at is not None, "a job announced as started has started"
        await self._publisher.publish(
            subjects.job_event(job.id, "JobStarted"),
            JobStarted(
                event_id=f"{job.id}:started",
                seq=seq,
                occurred_at=datetime.fromisoformat(job.started_at),
                job_id=job.id,
                org_id=job.org_id,
                total_units=total_units,
            ),
            msg_id=f"{job.id}:started:{seq}",
        )

    async def dispatch_pending(self) -> None:
        """Start waiting units of running jobs, as far as the limits allow (see dispatch_plan).

        One pass at a time in this process; a call during a pass asks for one more pass after
        it, so a unit finishing mid-pass is not missed. Safe to repeat: a unit is marked only
        after its command is on the bus, and connectors de-duplicate by unit id.
        """
        if self._dispatching.locked():
            self._dispatch_again = True
            return
        async with self._dispatching:
            self._dispatch_again = True
            while self._dispatch_again:
                self._dispatch_again = False
                if self._lease is None:
                    await self._dispatch_pass()
                    continue
                async with self._lease.hold():
                    await self._dispatch_pass()

    async def in_flight(self, running_before: frozenset[str] = frozenset()) -> InFlight:
        """Units dispatched and not finished, of jobs that are running. A paused, deleted or
        finished job's units hold no slot: its connector stops them between two batches, and
        a unit no connector ever starts must not block its tenant for good.

        ``running_before``: jobs a dispatch pass read as running, whose units count even if the
        job was paused since; else a pause landing between the two reads frees its units' slots
        for the pass that still takes the job for running, and it sends the job's next unit."""
        unfinished = [s.value for s in UnitStatus if s not in TERMINAL_UNIT_STATUSES]
        # Read raw, as roll_up reads: every pass reads every unit in flight (thousands, when
        # many one-site jobs start together), for four fields; a model each would slow each pass.
        units = await self._units.find({"dispatched": True, "status": {"$in": unfinished}})
        job_ids = sorted({u["jobId"] for u in units})
        running = running_before | {
            job["id"]
            for job in await self._jobs.find({"_id": {"$in": job_ids}, "status": JobStatus.RUNNING.value})
        }
        return InFlight.of(
            (u["jobId"], u["orgId"], str(u.get("destTenantId")), str(u.get("jobType")))
            for u in units
            if u["jobId"] in running
        )

    async def _dispatch_pass(self) -> None:
        running = await self.jobs_where(
            {"status": JobStatus.RUNNING.value, "dispatchComplete": False},
            sort=[("startedAt", 1), ("_id", 1)],
            limit=1000,
        )
        if not running:
            return
        in_flight = await self.in_flight(running_before=frozenset(job.id for job in running))
        candidates, complete = [], []
        for job in running:
            if JOB_KINDS[JobType(job.type)].whole_job:
                await self.dispatch_whole(job)
                continue
            pending = await self._units.find(
                {"jobId": job.id, "dispatched": False}, sort=[("_id", 1)], limit=self._limits.per_job + 1
            )
            if not pending:
                complete.append(job.id)
                continue
            unit_ids = [str(u["id"]) for u in pending]  # only their ids: each is read when it is sent
            candidates.append(Candidate(job.id, job.org_id, job.dest_tenant_id, job.type, unit_ids))
        jobs_by_id = {job.id: job for job in running}
        planned = plan(candidates, in_flight, self._limits)
        started = {job_id for job_id, _ in planned}
        for chunk in range(0, len(planned), DISPATCH_CHUNK):
            await self._dispatch_units(jobs_by_id, planned[chunk : chunk + DISPATCH_CHUNK])
        for job_id in complete:
            await self._jobs.update(job_id, JobDoc.as_stored(dispatch_complete=True))
        for candidate in candidates:
            await self._note_waiting(
                jobs_by_id[candidate.job_id], in_flight, waiting=candidate.job_id not in started
            )

    async def dispatch_whole(self, job: JobDoc, *, attempt: int = 1) -> None:
        """A JIRA / CONFLUENCE job goes out whole: Atlassian migrates its projects or spaces as
        one migration, so they are not dispatched one by one within the unit limits."""
        units = await self.units_where({"jobId": job.id}, sort=[("_id", 1)])
        options = self.options(job)
        assert isinstance(options, ProjectOptions | SpaceOptions), "a whole job is a JIRA or CONFLUENCE job"
        command = MigrateAtlassianScope(
            job_id=job.id,
            org_id=job.org_id,
            job_type=JobType(job.type),
            source_tenant_id=job.source_tenant_id,
            dest_tenant_id=job.dest_tenant_id,
            units=[AtlassianUnit(unit_id=u.id, key=u.source) for u in units],
            name=job.name,
            dry_run=job.dry_run,
            override_checks=list(options.override_checks),
        )
        msg_id = f"{job.id}:atlassian" + (f":{attempt}" if attempt > 1 else "")
        with trace_context.resumed(job.trace_context, "dispatch"):
            await self._publisher.publish(subjects.CMD_ATLASSIAN_MIGRATE, command, msg_id=msg_id)
        sent = JobUnitDoc.as_stored(dispatched=True, dispatched_at=self._clock(), dispatch_count=attempt)
        await asyncio.gather(
            *(self._units.update(u.id, sent) for u in units if attempt > 1 or not u.dispatched)
        )
        await self._jobs.update(job.id, JobDoc.as_stored(dispatch_complete=True))

    async def _dispatch_units(self, jobs_by_id: dict[str, JobDoc], planned: list[tuple[str, str]]) -> None:
        """Publish a chunk of unit commands concurrently, then mark them dispatched together
        (the store batches the writes): a unit is marked only once its command is on the bus."""
        units = [await self._units.get(unit_id) for _, unit_id in planned]
        todo = [
            (jobs_by_id[job_id], JobUnitDoc.model_validate(u))
            for (job_id, _), u in zip(planned, units, strict=True)
            if u
        ]
        await asyncio.gather(*(self.dispatch_unit(job, unit) for job, unit in todo if not unit.dispatched))

    async def dispatch_unit(self, job: JobDoc, unit: JobUnitDoc) -> None:
        """Send the unit's command (again, when it was sent before and nobody started it)."""
        attempt = unit.dispatch_count + 1
        subject, command = _unit_command(job, unit, self.options(job))
        with trace_context.resumed(job.trace_context, "dispatch"):
            # One id per sending: a unit sent again after a pause is not taken for a duplicate.
            await self._publisher.publish(subject, command, msg_id=f"{unit.id}:dispatch:{attempt}")
        await self._units.update(
            unit.id,
            JobUnitDoc.as_stored(
                dispatched=True,
                dispatched_at=self._clock(),
                dispatch_count=attempt,
                sends_unstarted=unit.sends_unstarted + 1,
            ),
        )

    async def _note_waiting(self, job: JobDoc, in_flight: InFlight, *, waiting: bool) -> None:
        """Say once in the job's log that it waits for room, and when it gets going again."""
        idle = waiting and in_flight.by_job[job.id] == 0
        if idle == bool(job.waiting_since):
            return
        tenant, job_type = job.dest_tenant_id, job.type
        message = (
            f"Waiting: {in_flight.by_tenant[tenant]} units are already running against the destination "
            f"tenant (limit {self._limits.per_tenant}) or {in_flight.by_type[job_type]} {job_type} units "
            f"overall (limit {self._limits.per_type.get(job_type, 'none')})"
            if idle
            else "Resumed dispatching: room freed up"
        )
        line_id = new_id("log")
        await self._publisher.publish(
            subjects.job_log(job.id),
            LogLine(
                id=line_id,
                job_id=job.id,
                level=LogLevel.INFO if not idle else LogLevel.WARN,
                message=message,
                ts=self.now(),
            ),
            msg_id=line_id,
        )
        # Marked after the line is on the bus: a failed publish is tried again next pass.
        await self._jobs.update(job.id, JobDoc.as_stored(waiting_since=iso(self.now()) if idle else None))

    async def apply_unit_progress(
        self,
        *events: UnitProgressed,
        traced: Callable[[UnitProgressed], AbstractContextManager[object]] = lambda _: nullcontext(),
    ) -> None:
        """Project each unit's absolute progress (newer ``seq`` only), then refresh each job
        once: a refresh reads every unit of its job, so a batch of a busy job's progress costs
        one, not one per event. ``traced(event)``: the span the work for that event runs in
        (its job's trace).

        A unit its connector hands back QUEUED (its job was paused or deleted between two
        batches) is dispatched again when the job runs, from where it stopped."""
        freed: UnitProgressed | None = None
        for evt in events:
            with traced(evt):
                if await self._apply_one(evt):
                    freed = evt
        if freed is not None:
            with traced(freed):
                await self.dispatch_pending()  # room freed up, for these jobs or another
        # Refresh even when nothing was applied: a crash after the unit write must not leave the job stale.
        for evt in {evt.job_id: evt for evt in events}.values():  # each job once, in its latest event's trace
            with traced(evt):
                await self.refresh_job(evt.job_id)

    async def _apply_one(self, evt: UnitProgressed) -> bool:
        """Write one unit's progress; True when it freed a slot (finished, or handed back)."""
        counts = counted_as_failed(
            evt.status, UnitCounts(evt.total_items, evt.done_items, evt.error_items, evt.skipped_items)
        )
        fields: dict[str, Any] = {
            "status": evt.status.value,
            "total_items": counts.total,
            "done_items": counts.done,
            "error_items": counts.error,
            "skipped_items": counts.skipped,
            "bytes_transferred": evt.bytes_transferred,
            "message": evt.message,
            "seq": evt.seq,
            "sends_unstarted": 0,  # the connector has it (or handed it back): no longer unstarted
        }
        if evt.dest:
            fields["dest"] = evt.dest
        if evt.status in (UnitStatus.DONE, UnitStatus.ERROR):
            fields["completed_at"] = iso(evt.occurred_at)
        handed_back = evt.status is UnitStatus.QUEUED
        if handed_back:
            fields["dispatched"] = False
        applied = await self._units.update(
            evt.unit_id, JobUnitDoc.as_stored(**fields), where={"seq": {"$lt": evt.seq}}
        )
        if not applied:
            log.debug("stale or replayed unit progress ignored", unit_id=evt.unit_id, seq=evt.seq)
        else:
            if not handed_back:
                # The connector's first word on the unit is when it started.
                await self._units.update(
                    evt.unit_id,
                    JobUnitDoc.as_stored(started_at=iso(evt.occurred_at)),
                    where={"startedAt": None},
                )
            if handed_back:
                await self._jobs.update(evt.job_id, JobDoc.as_stored(dispatch_complete=False))
            return evt.status in TERMINAL_UNIT_STATUSES or handed_back
        return False

    async def refresh_job(self, job_id: str) -> None:
        """Recompute the job's counters from its units; finish it when every unit has finished."""
        for _ in range(20):  # optimistic concurrency: retry when another replica wrote in between
            job = await self.job(job_id)
            if job is None:
                return
            stored = job.to_doc()
            if job.status in (JobStatus.DONE.value, JobStatus.ERROR.value):
                # A crash may have come between finishing and announcing: announce again
                # (de-duplicated by Nats-Msg-Id, and idempotent for every subscriber).
                counters = {k: stored[k] for k in COUNTERS}
                await self._announce_completion(job, JobStatus(job.status), counters, job.version)
                return
            if job.status not in (JobStatus.RUNNING.value, JobStatus.PAUSED.value):
                return
            # Every unit of the job, read for its counters and status only: not one model each,
            # since a job of 10,000 sites is read whole at each batch of its progress.
            rollup = roll_up(await self._units.find({"jobId": job_id}))
            changes: dict[str, Any] = {k: v for k, v in rollup.counters.items() if stored[k] != v}
            # A paused job's in-flight units still report; it finishes only once resumed.
            final = rollup.final_status if job.status == JobStatus.RUNNING.value else None
            if final is not None:
                changes |= JobDoc.as_stored(status=final.value, completed_at=iso(self.now()))
            if not changes:
                return
            version = job.version
            changes |= JobDoc.as_stored(version=version + 1)
            if await self._jobs.update(job_id, changes, where={"version": version}):
                if final is not None:
                    await self._announce_completion(job, final, rollup.counters, version + 1)
                return
        raise RuntimeError(f"job {job_id}: too much write contention, will retry on redelivery")

    async def _announce_completion(
        self, job: JobDoc, status: JobStatus, counters: dict[str, int], seq: int
    ) -> None:
        job_id = job.id
        log.info("job finished", job_id=job_id, status=status.value, **{k: counters[k] for k in COUNTERS})
        await self._publisher.publish(
            subjects.job_event(job_id, "JobCompleted"),
            JobCompleted(
                event_id=f"{job_id}:completed",
                seq=seq,
                occurred_at=self.now(),
                job_id=job_id,
                org_id=job.org_id,
                status=status,
                total_items=counters["totalItems"],
                done_items=counters["doneItems"],
                error_items=counters["errorItems"],
                skipped_items=counters["skippedItems"],
            ),
            msg_id=f"{job_id}:completed",
        )

    async def tick(self) -> None:
        """Announce starts a bus outage held back, start every due QUEUED job, then dispatch
        what waits in one pass (this also finishes dispatches a crash interrupted)."""
        for job in await self.jobs_where({"startToAnnounce": {"$gt": 0}}, limit=500):
            await self._announce_start(job)
        while due := await self.jobs_where(
            {"status": JobStatus.QUEUED.value, "dueAt": {"$lte": self._clock()}},
            sort=[("dueAt", 1)],
            limit=500,
        ):
            started = [await self.start_if_due(job.id, dispatch=False) for job in due]
            if not any(started):
                break  # another replica is starting them
        await self.dispatch_pending()

    async def seconds_until_due(self, ceiling: float) -> float:
        """How long the timer loop may sleep: until the next QUEUED job is due, at most ``ceiling``."""
        upcoming = await self.jobs_where({"status": JobStatus.QUEUED.value}, sort=[("dueAt", 1)], limit=1)
        if not upcoming:
            return ceiling
        return max(0.0, min(ceiling, upcoming[0].due_at - self._clock()))


def _unit_command(job: JobDoc, unit: JobUnitDoc, options: JobOptions) -> tuple[str, Message]:
    """The connector command that migrates one unit, and its subject."""
    common: dict[str, Any] = {
        "job_id": job.id,
        "unit_id": unit.id,
        "org_id": job.org_id,
        "source_tenant_id": job.source_tenant_id,
        "dest_tenant_id": job.dest_tenant_id,
        "job_version": job.version,
    }
    dest = unit.dest or None
    if isinstance(options, MailboxOptions):
        return subjects.CMD_MAILBOX_MIGRATE, MigrateMailbox(
            **common, source_mailbox=unit.source, dest_mailbox=dest, scope=job.scope
        )
    if isinstance(options, TeamOptions):
        return subjects.CMD_TEAM_MIGRATE, MigrateTeam(
            **common,
            source_team_id=unit.source,
            dest_team_id=dest,
            scope=job.scope,
            user_mappings={m.source.lower(): m.dest for m in options.user_mappings},
            fallback_user=options.fallback_user,
        )
    assert isinstance(options, SiteOptions), f"a {unit.kind} unit is sent whole with its job"
    return subjects.CMD_SITE_MIGRATE, MigrateSite(
        **common,
        source_site_url=unit.source,
        dest_site_url=dest,
        full_pass=options.full_pass,
        include_versions=options.include_versions,
        include_permissions=options.include_permissions,
        user_mappings={m.source.lower(): m.dest for m in options.user_mappings},
    )
