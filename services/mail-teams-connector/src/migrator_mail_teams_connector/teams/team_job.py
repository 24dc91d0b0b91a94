"""Migrating one team: the destination team and its channels, every thread, then its files.

The destination team is the job's mapping, else a team of the same name at the destination,
else a new one. Each channel is matched by name (created if missing), put in migration mode,
given its threads (see threads) and completed. With ``files`` in scope the team's SharePoint
site goes through the SharePoint path: a MigrateSite of its own (unit ``<team unit>.files``),
followed here through its UnitProgressed events. State lives in ``team_tasks``, so a killed
connector resumes, and a paused job stops the team between two batches of messages.
"""

from __future__ import annotations

import asyncio
import hashlib

from migrator_contracts import subjects
from migrator_contracts.commands import MigrateSite, MigrateTeam
from migrator_contracts.enums import TERMINAL_UNIT_STATUSES, LogLevel, UnitStatus
from migrator_contracts.events import UnitProgressed
from migrator_platform.bus import Publisher
from migrator_platform.job_log import publish_line, throttle_lines
from migrator_platform.structured_logs import get_logger
from migrator_readstore import Collection

from migrator_mail_teams_connector.adapters.teams_graph import Channel, TeamsApi
from migrator_mail_teams_connector.controls import JobControls, Stopped
from migrator_mail_teams_connector.domain.authors import Author, AuthorMap, later, moment
from migrator_mail_teams_connector.progress import Counters, UnitReporter
from migrator_mail_teams_connector.teams.team_task import FilesProgress, TeamTask, TeamTasks
from migrator_mail_teams_connector.teams.threads import ChannelPair, Posted, ThreadMover

log = get_logger(__name__)
FILES = ".files"  # the unit id suffix of a team's channel files (a site migration)


def team_pair(org_id: str, source: str, dest: str) -> str:
    return f"{org_id}:{hashlib.blake2b(f'{source}|{dest}'.encode(), digest_size=12).hexdigest()}"


class TeamMigrator:
    """Runs MigrateTeam commands; one instance serves every team of this replica."""

    def __init__(
        self,
        *,
        api: TeamsApi,
        controls: JobControls,
        reporter: UnitReporter,
        publisher: Publisher,
        tasks: Collection,
        messages: Collection,
        files_poll_seconds: float = 1.0,
    ) -> None:
        self._api, self._controls, self._reporter, self._publisher = api, controls, reporter, publisher
        self._tasks, self._poll = TeamTasks(tasks), files_poll_seconds
        self._threads = ThreadMover(api, messages, self._tasks)

    async def migrate(self, cmd: MigrateTeam) -> None:
        """Move the team, or as much of it as until its job is stopped."""
        task = await self._tasks.get(cmd.unit_id)
        async with throttle_lines(self._publisher, cmd.job_id, {"unitId": cmd.unit_id, "source": task.name}):
            if task.phase == "finished" and task.status:  # a redelivery after the end: say it again
                await self._report(cmd, task, task.status, message=task.message)
                return
            try:
                await self._controls.check(cmd.job_id, dispatched_at_version=cmd.job_version)
                task = await self._start(cmd, task)
                await self._run(cmd, task)
            except Stopped:
                await self._report(cmd, await self._tasks.get(cmd.unit_id), UnitStatus.QUEUED)

    async def fail(self, cmd: MigrateTeam, reason: str) -> None:
        """Give up on the team: it ends ERROR with ``reason``."""
        log.error("team migration failed", unit_id=cmd.unit_id, reason=reason[:500])
        await self._tasks.set(cmd.unit_id, phase="finished", status=UnitStatus.ERROR, message=reason[:500])
        await self._report(cmd, await self._tasks.get(cmd.unit_id), UnitStatus.ERROR, message=reason[:500])

    async def files_progressed(self, event: UnitProgressed) -> None:
        """A team's channel files moved on (the site migration's own progress): kept with the team."""
        if not event.unit_id.endswith(FILES):
            return
        team_unit = event.unit_id.removesuffix(FILES)
        if not await self._tasks.exists(team_unit):
            return
        files = FilesProgress(
            status=event.status,
            counters=Counters(
                event.total_items,
                event.done_items,
                event.error_items,
                event.skipped_items,
                event.bytes_transferred,
            ).dump(),
            message=event.message,
        )
        await self._tasks.files_progressed(team_unit, files, seq=event.seq)

    def _counters(self, task: TeamTask) -> Counters:
        own, files = Counters.of(task.counters), Counters.of(task.files.counters if task.files else None)
        return Counters(*(a + b for a, b in zip(own.dump().values(), files.dump().values(), strict=True)))

    async def _report(
        self, cmd: MigrateTeam, task: TeamTask, status: UnitStatus, *, message: str | None = None
    ) -> None:
        await self._reporter.report(
            job_id=cmd.job_id,
            unit_id=cmd.unit_id,
            status=status,
            counters=self._counters(task),
            source=task.name or cmd.source_team_id,
            dest=task.dest_team,
            message=message,
        )

    async def _start(self, cmd: MigrateTeam, task: TeamTask) -> TeamTask:
        """The destination team, found or made once, then kept."""
        if not task.dest_team:
            source = await self._api.team(cmd.source_tenant_id, cmd.source_team_id)
            name, description = str(source.get("displayName") or ""), str(source.get("description") or "")
            dest = cmd.dest_team_id or next(iter(await self._api.teams_named(cmd.dest_tenant_id, name)), None)
            if dest is None:
                owner = await self._owner(cmd)
                dest = await self._api.create_team(
                    cmd.dest_tenant_id, name=name, description=description, owner_id=owner
                )
                await self._line(cmd, LogLevel.INFO, f"{name}: created at the destination", key="created")
            started: dict[str, object] = {
                "job_id": cmd.job_id,
                "phase": "running",
                "name": name,
                "dest_team": dest,
                "pair": team_pair(cmd.org_id, cmd.source_team_id, dest),
                "counters": Counters().dump(),
                "batch": 0,
                "channels_done": [],
            }
            await self._tasks.set(cmd.unit_id, **started)
            task = task.model_copy(update=started)
        await self._report(cmd, task, UnitStatus.RUNNING)
        return task

    async def _owner(self, cmd: MigrateTeam) -> str:
        """A team made by the app needs an owner: the job's fallback account, else the first
        destination user (as for messages whose author has no account there)."""
        users = await self._api.users(cmd.dest_tenant_id)
        return AuthorMap(
            source_users=[], dest_users=users, mappings={}, fallback=cmd.fallback_user
        ).fallback.id

    async def _run(self, cmd: MigrateTeam, task: TeamTask) -> None:
        scope = cmd.scope or {}
        uncounted = await self._threads.uncounted(cmd.unit_id, task.batch + 1)
        if uncounted:
            await self._commit(cmd, uncounted)
        if scope.get("messages", True):
            await self._messages(cmd, await self._tasks.get(cmd.unit_id))
        if scope.get("files", True):
            await self._files(cmd, await self._tasks.get(cmd.unit_id))
        task = await self._tasks.get(cmd.unit_id)
        failed = task.files is not None and task.files.status is UnitStatus.ERROR
        why = task.files.message if task.files else None
        message = f"channel files: {why or 'the site migration failed'}" if failed else None
        counters = self._counters(task)
        counters.total = counters.done + counters.error + counters.skipped
        status = UnitStatus.ERROR if failed else UnitStatus.DONE
        await self._tasks.set(cmd.unit_id, phase="finished", status=status, message=message)
        await self._report(cmd, task, status, message=message)

    async def _messages(self, cmd: MigrateTeam, task: TeamTask) -> None:
        assert task.dest_team and task.pair  # found or made by _start
        authors = AuthorMap(
            source_users=await self._api.users(cmd.source_tenant_id),
            dest_users=await self._api.users(cmd.dest_tenant_id),
            mappings=cmd.user_mappings,
            fallback=cmd.fallback_user,
        )
        dest_channels = {
            c.name.casefold(): c for c in await self._api.channels(cmd.dest_tenant_id, task.dest_team)
        }
        done = list(task.channels_done)
        sources = sorted(
            await self._api.channels(cmd.source_tenant_id, cmd.source_team_id), key=_general_first
        )
        for source in sources:
            if source.id in done:
                continue
            channel = await self._channel(cmd, task, source, dest_channels)
            if pending := (await self._tasks.get(cmd.unit_id)).pending_post:
                await self._commit(cmd, await self._threads.settle_pending(channel, pending))

            async def commit(outcomes: list[Posted]) -> None:
                await self._commit(cmd, outcomes)
                await self._controls.check(cmd.job_id, dispatched_at_version=cmd.job_version)

            async def unmapped(author: Author) -> None:
                await self._line(
                    cmd,
                    LogLevel.WARN,
                    f"{task.name}: {author.unmapped} has no account at the destination; "
                    f"their messages are posted as {author.upn}",
                    key=f"unmapped:{author.unmapped}",
                )

            await self._controls.check(cmd.job_id, dispatched_at_version=cmd.job_version)
            await self._threads.move(channel, authors, commit=commit, unmapped=unmapped)
            await self._api.complete_migration(cmd.dest_tenant_id, task.dest_team, channel.dest_channel)
            done.append(source.id)
            await self._tasks.set(cmd.unit_id, channels_done=done)

    async def _channel(
        self, cmd: MigrateTeam, task: TeamTask, source: Channel, dest_channels: dict[str, Channel]
    ) -> ChannelPair:
        """The destination channel, in migration mode, reaching back to the source's oldest message."""
        assert task.dest_team and task.pair  # found or made by _start
        dest = dest_channels.get(source.name.casefold())
        if dest is None:
            dest = await self._api.create_channel(
                cmd.dest_tenant_id, task.dest_team, name=source.name, description=source.description
            )
            dest_channels[source.name.casefold()] = dest
        dest = await self._api.channel(cmd.dest_tenant_id, task.dest_team, dest.id)
        if dest.migration_mode != "inProgress":
            # conversationCreationDateTime must be older than the channel's creation, which it
            # replaces (without it the creation becomes now, and no older message would be taken).
            roots = await self._api.posts(cmd.source_tenant_id, cmd.source_team_id, source.id)
            times = [moment(t) for t in (roots[0].created if roots else "", dest.created) if t]
            since = later(min(times).isoformat().replace("+00:00", "Z"), -1000) if times else None
            await self._api.start_migration(cmd.dest_tenant_id, task.dest_team, dest.id, since=since)
        return ChannelPair(
            source_tenant=cmd.source_tenant_id,
            dest_tenant=cmd.dest_tenant_id,
            src_team=cmd.source_team_id,
            dest_team=task.dest_team,
            src_channel=source.id,
            dest_channel=dest.id,
            label=f"{task.name}/{source.name}",
            pair=task.pair,
            unit_id=cmd.unit_id,
        )

    async def _commit(self, cmd: MigrateTeam, outcomes: list[Posted]) -> None:
        """Count a batch once (counters and batch number in one write); name what was refused."""
        if not outcomes:
            return
        task = await self._tasks.get(cmd.unit_id)
        counters = Counters.of(task.counters)
        for outcome in outcomes:
            if outcome.dest_id:
                counters.done, counters.bytes = counters.done + 1, counters.bytes + outcome.size
            else:
                counters.error += 1
        counters.total = counters.done + counters.error
        await self._tasks.set(cmd.unit_id, counters=counters.dump(), batch=task.batch + 1)
        for outcome in outcomes:
            if not outcome.dest_id:
                await self._reporter.item_failed(
                    job_id=cmd.job_id,
                    unit_id=cmd.unit_id,
                    item=outcome.where,
                    code=outcome.code,
                    message=outcome.message,
                )
        if self._reporter.due(cmd.unit_id):
            await self._report(cmd, task.model_copy(update={"counters": counters.dump()}), UnitStatus.RUNNING)

    async def _files(self, cmd: MigrateTeam, task: TeamTask) -> None:
        """The team's site through the SharePoint path, followed to its end."""
        assert task.dest_team  # found or made by _start
        if not task.files_sent:
            site = MigrateSite(
                job_id=cmd.job_id,
                unit_id=f"{cmd.unit_id}{FILES}",
                org_id=cmd.org_id,
                source_tenant_id=cmd.source_tenant_id,
                dest_tenant_id=cmd.dest_tenant_id,
                source_site_url=await self._api.site_url(cmd.source_tenant_id, cmd.source_team_id),
                dest_site_url=await self._api.site_url(cmd.dest_tenant_id, task.dest_team),
                job_version=cmd.job_version,
            )
            await self._publisher.publish(subjects.CMD_SITE_MIGRATE, site, msg_id=f"{site.unit_id}:dispatch")
            await self._tasks.set(cmd.unit_id, files_sent=True)
        while not _files_ended(await self._tasks.get(cmd.unit_id)):
            # Paused: the site goes on in sp-connector; the team waits for it again on resume.
            await self._controls.check(cmd.job_id, dispatched_at_version=cmd.job_version)
            if self._reporter.due(cmd.unit_id):
                await self._report(cmd, await self._tasks.get(cmd.unit_id), UnitStatus.RUNNING)
            await asyncio.sleep(self._poll)

    async def _line(self, cmd: MigrateTeam, level: LogLevel, message: str, *, key: str) -> None:
        await publish_line(
            self._publisher, cmd.job_id, level, message, {"unitId": cmd.unit_id}, key=f"{cmd.unit_id}:{key}"
        )


def _files_ended(task: TeamTask) -> bool:
    return task.files is not None and task.files.status in TERMINAL_UNIT_STATUSES


def _general_first(channel: Channel) -> tuple[bool, str]:
    return (channel.name.casefold() != "general", channel.name.casefold())
