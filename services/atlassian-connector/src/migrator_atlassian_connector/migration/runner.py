"""One JIRA or CONFLUENCE job as one Atlassian migration: checks, the decision, migrate, progress.

The steps are recorded as they happen (the migration job's id, then each task's), so a
connector that dies at any point resumes where it was: it never creates a second migration
for the same job, and it re-reads the status tree rather than trusting what it last saw.
Each project or space is a unit of the job; its progress goes out as ``UnitProgressed`` with
absolute counters, so a repeated report changes nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from migrator_contracts import subjects
from migrator_contracts.base import iso
from migrator_contracts.commands import AtlassianUnit, MigrateAtlassianScope
from migrator_contracts.enums import LogLevel, UnitStatus
from migrator_contracts.events import UnitProgressed
from migrator_contracts.readmodels import CheckRow, JobChecksDoc
from migrator_platform.bus import Publisher
from migrator_platform.job_log import publish_line
from migrator_platform.structured_logs import get_logger
from migrator_platform.throttling import throttle_listener
from migrator_readstore import Collection

from migrator_atlassian_connector.adapters.migration_api import MigrationApi, MigrationApiError
from migrator_atlassian_connector.domain.migration_rules import (
    FLOWS,
    UnitState,
    blocking_failures,
    definition,
    excludable,
    never_reported,
    unit_report,
    unscheduled,
)
from migrator_atlassian_connector.domain.status_nodes import Node
from migrator_atlassian_connector.migration.job_state import AtlassianTask, AtlassianTasks, UnitReport
from migrator_atlassian_connector.migration.status_tree import check_results, migration_snapshot

log = get_logger(__name__)


@dataclass(frozen=True)
class Target:
    """Where a job goes: the API of its destination site, the source server, the site's URL."""

    api: MigrationApi
    server_id: str
    site_url: str


Resolve = Callable[[MigrateAtlassianScope], Awaitable[Target]]
Wait = Callable[[], Awaitable[None]]  # one pause between polls


class AtlassianMigration:
    def __init__(
        self,
        *,
        tasks: Collection,
        checks: Collection,
        publisher: Publisher,
        resolve: Resolve,
        poll_seconds: float = 2.0,
        node_wait_seconds: float = 300.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``node_wait_seconds``: how long after the migration finished a project's or space's
        node may still appear (the tree is eventually consistent) before it is an error."""
        self._tasks, self._checks, self._publisher = AtlassianTasks(tasks), checks, publisher
        self._resolve, self._poll, self._clock = resolve, poll_seconds, clock
        self._node_wait = node_wait_seconds

    async def run(self, cmd: MigrateAtlassianScope) -> None:
        """Run the job's migration to its end (or resume it); the consumer keeps the command's
        delivery ours meanwhile. Each time Atlassian holds a call back (429), the job's log says
        so and when we retry."""
        pending: set[asyncio.Task[None]] = set()

        def on_throttle(status: int, wait: float, retry_after: float | None) -> None:
            line = self._line(
                cmd,
                LogLevel.WARN,
                f"Throttled ({status}) — retrying in {wait:.0f}s",
                key=f"throttled:{uuid.uuid4().hex}",
                status=status,
                retryAfterSeconds=round(retry_after if retry_after is not None else wait, 1),
            )
            task = asyncio.get_running_loop().create_task(line)
            pending.add(task)
            task.add_done_callback(pending.discard)

        token = throttle_listener.set(on_throttle)
        try:
            await self._run(cmd)
        finally:
            throttle_listener.reset(token)
            await asyncio.gather(*pending, return_exceptions=True)

    async def _run(self, cmd: MigrateAtlassianScope) -> None:

        async def wait() -> None:
            await asyncio.sleep(self._poll)

        target = await self._resolve(cmd)
        state = await self._tasks.get(cmd.job_id) or AtlassianTask(job_id=cmd.job_id, org_id=cmd.org_id)
        if not state.migration_job_id:
            try:
                state.migration_job_id = await target.api.create_job(
                    definition(cmd, server_id=target.server_id, site_url=target.site_url)
                )
            except MigrationApiError as exc:
                await self._fail_all(cmd, state, f"Atlassian refused the migration: {exc}")
                return
            await self._tasks.put(state)
            await self._line(
                cmd, LogLevel.INFO, "Atlassian migration created; running pre-migration checks", key="created"
            )
        job_id = state.migration_job_id
        if not state.checks_done:
            if not state.check_task_id:
                state.check_task_id = await target.api.ensure_task(job_id, "check")
                await self._tasks.put(state)
            verdict, checks = await self._await_checks(target.api, job_id, state.check_task_id, wait)
            await self._record_checks(cmd, verdict, checks)
            blocking = blocking_failures(checks, cmd.override_checks)
            if blocking:
                names = ", ".join(name for name, _ in blocking)
                first = blocking[0][1].message or "no detail given"
                refused = [name for name, _ in blocking if name in cmd.override_checks]
                why = f"; {', '.join(refused)} cannot be overridden (not excludable)" if refused else ""
                await self._fail_all(cmd, state, f"Pre-migration check failed: {names} ({first}){why}")
                return
            state.checks_done = True
            await self._tasks.put(state)
        if cmd.dry_run:
            for unit in cmd.units:
                checked = UnitState(UnitStatus.DONE, unit.total_items, message="Checks passed (dry run)")
                await self._report(cmd, state, unit, checked)
            return
        if not state.migrate_task_id:
            options = {"overrideChecks": cmd.override_checks} if cmd.override_checks else {}
            state.migrate_task_id = await target.api.ensure_task(job_id, "migrate", options)
            await self._tasks.put(state)
            await self._line(cmd, LogLevel.INFO, "Migration started on Atlassian", key="migrate")
        await self._follow(cmd, state, target.api, job_id, state.migrate_task_id, wait)

    async def _await_checks(
        self, api: MigrationApi, job_id: str, task_id: str, wait: Wait
    ) -> tuple[Node, dict[str, Node]]:
        while True:
            verdict, checks = await check_results(api, job_id, task_id)
            if verdict is not None and verdict.finished and all(c.finished for c in checks.values()):
                return verdict, checks
            await wait()

    async def _record_checks(
        self, cmd: MigrateAtlassianScope, verdict: Node, checks: dict[str, Node]
    ) -> None:
        """On the job for the API (``job_checks``), and each one worth a look in its log."""
        rows = [
            CheckRow(
                name=name,
                status=n.status,
                outcome=n.outcome,
                message=n.message,
                overridden=name in cmd.override_checks and excludable(n),
            )
            for name, n in sorted(checks.items())
        ]
        recorded = JobChecksDoc(
            job_id=cmd.job_id,
            org_id=cmd.org_id,
            status=verdict.status,
            outcome=verdict.outcome,
            message=verdict.message,
            checks=rows,
            checked_at=iso(self._clock()),
        )
        await self._checks.upsert(cmd.job_id, recorded.to_doc())
        for name, node in sorted(checks.items()):
            if node.outcome in ("WARNING", "FAILED"):
                overridden = name in cmd.override_checks and excludable(node)
                level = LogLevel.ERROR if node.outcome == "FAILED" and not overridden else LogLevel.WARN
                suffix = " (overridden)" if overridden else ""
                message = f"Pre-migration check {name}: {node.outcome}{suffix}" + (
                    f" — {node.message}" if node.message else ""
                )
                await self._line(cmd, level, message, key=f"check:{name}", check=name, outcome=node.outcome)
        await self._line(
            cmd, LogLevel.INFO, verdict.message or f"Pre-migration checks {verdict.outcome}", key="checks"
        )

    async def _follow(
        self,
        cmd: MigrateAtlassianScope,
        state: AtlassianTask,
        api: MigrationApi,
        job_id: str,
        task_id: str,
        wait: Wait,
    ) -> None:
        """Read the status tree until every project or space has finished; report as it moves.

        The check level first, until it has passed: its error means nothing was scheduled. Once
        the migration has finished, a project or space whose node has not is given
        ``node_wait_seconds`` to appear, then it is an error that names it."""
        _, container, _ = FLOWS[cmd.job_type]
        while True:
            snapshot = await migration_snapshot(api, job_id, task_id, container, check=not state.scheduled)
            failed = [name for name, n in sorted(snapshot.checks.items()) if n.outcome == "FAILED"]
            if reason := unscheduled(snapshot.check, failed):
                await self._fail_all(cmd, state, reason)
                return
            if not state.scheduled and snapshot.check is not None and snapshot.check.finished:
                state.scheduled = True
                await self._tasks.put(state)
            waiting: list[AtlassianUnit] = []
            for unit in cmd.units:
                last = state.units.get(unit.unit_id)
                now = unit_report(
                    unit, snapshot.items.get(unit.key), last.total if last else 0, last.done if last else 0
                )
                await self._report(cmd, state, unit, now)
                if now.status not in (UnitStatus.DONE, UnitStatus.ERROR):
                    waiting.append(unit)
            if snapshot.root.finished and not waiting:
                return
            if snapshot.root.finished:
                if state.finished_at is None:
                    state.finished_at = self._clock()
                    await self._tasks.put(state)
                waited = (self._clock() - state.finished_at).total_seconds()
                if waited >= self._node_wait:
                    for unit in waiting:
                        last = state.units.get(unit.unit_id)
                        lost = never_reported(unit, last.total if last else 0, snapshot.root, waited)
                        await self._report(cmd, state, unit, lost)
                    return
            await wait()

    async def _report(
        self,
        cmd: MigrateAtlassianScope,
        state: AtlassianTask,
        unit: AtlassianUnit,
        now: UnitState,
    ) -> None:
        """Publish the unit's progress if it changed since the last report (absolute counters)."""
        report = UnitReport(
            status=now.status,
            total=now.total,
            done=now.done,
            errors=now.errors,
            skipped=now.skipped,
            message=now.message,
        )
        if state.units.get(unit.unit_id) == report:
            return
        state.seq += 1
        state.units[unit.unit_id] = report
        await self._tasks.put(state)  # before publishing: a restart continues the sequence
        seq = state.seq
        event = UnitProgressed(
            event_id=f"{unit.unit_id}:{seq}",
            seq=seq,
            occurred_at=self._clock(),
            job_id=cmd.job_id,
            unit_id=unit.unit_id,
            status=now.status,
            total_items=now.total,
            done_items=now.done,
            error_items=now.errors,
            skipped_items=now.skipped,
            message=now.message,
            skipped_reason=now.message if now.skipped else None,
            source=unit.key,
        )
        await self._publisher.publish(
            subjects.unit_event(cmd.job_id, "UnitProgressed"), event, msg_id=event.event_id
        )
        # Its outcome's line ("ALPHA → 120 items migrated", "BETA — why") is log-stream's, made
        # from this event: one line per fact.

    async def fail(self, cmd: MigrateAtlassianScope, reason: str) -> None:
        """End every unit of the job ERROR with ``reason`` (nothing more can happen there)."""
        state = await self._tasks.get(cmd.job_id) or AtlassianTask(job_id=cmd.job_id, org_id=cmd.org_id)
        await self._fail_all(cmd, state, reason)

    async def _fail_all(self, cmd: MigrateAtlassianScope, state: AtlassianTask, reason: str) -> None:
        log.warning("atlassian migration stopped", job_id=cmd.job_id, reason=reason)
        await self._line(cmd, LogLevel.ERROR, reason, key="stopped")
        for unit in cmd.units:
            await self._report(
                cmd, state, unit, UnitState(UnitStatus.ERROR, unit.total_items, message=reason)
            )

    async def _line(
        self, cmd: MigrateAtlassianScope, level: LogLevel, message: str, *, key: str, **fields: Any
    ) -> None:
        """A line in the job's log, the same line however often it is said (``key``)."""
        await publish_line(
            self._publisher,
            cmd.job_id,
            level,
            message,
            fields,
            key=f"{cmd.job_id}:atl:{key}",
            at=self._clock(),
        )
