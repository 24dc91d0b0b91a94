"""Migrating one mailbox: its folder tree recreated at the destination, its items moved by delta.

The work survives a crash at any point: the MigrateMailbox command is acked only at the end, so
a killed connector gets it again and picks up where the state says.
- ``mailbox_sync`` (per mailbox pair): each folder's destination folder, and where its item delta
  stands — the next page to read mid-pass, the delta link after a pass — so a resumed, restarted
  or later job reads only what is new or changed.
- ``mailbox_items`` (the ledger): what each source item became (see ledger).
- ``mailbox_tasks`` (per unit): counters, committed once per batch, and the batch in flight.
A pause or delete of the job stops the unit between two batches; it is handed back (QUEUED)
and continues from the same place when dispatched again.
"""

from __future__ import annotations

from migrator_contracts.commands import MigrateMailbox
from migrator_contracts.enums import LogLevel, UnitStatus
from migrator_platform.bus import Publisher
from migrator_platform.job_log import publish_line, throttle_lines
from migrator_platform.structured_logs import get_logger
from migrator_readstore import Collection

from migrator_mail_teams_connector.adapters.exchange import EXPORT_BATCH, ExchangeApi, Item
from migrator_mail_teams_connector.controls import JobControls, Stopped
from migrator_mail_teams_connector.mail.batches import BatchMover, Target
from migrator_mail_teams_connector.mail.folder_sync import FolderSync
from migrator_mail_teams_connector.mail.ledger import IMPORTED, Ledger, Outcome, pair_key
from migrator_mail_teams_connector.mail.mailbox_task import (
    MailboxTask,
    MailboxTasks,
    PendingBatch,
    PendingItem,
)
from migrator_mail_teams_connector.progress import Counters, UnitReporter
from migrator_mail_teams_connector.tenants import TenantDirectory

log = get_logger(__name__)


class MailboxMigrator:
    """Runs MigrateMailbox commands; one instance serves every mailbox of this replica."""

    def __init__(
        self,
        *,
        exchange: ExchangeApi,
        tenants: TenantDirectory,
        controls: JobControls,
        reporter: UnitReporter,
        publisher: Publisher,
        tasks: Collection,
        sync: Collection,
        ledger: Ledger,
        concurrency: int,
    ) -> None:
        self._exchange, self._tenants, self._controls = exchange, tenants, controls
        self._reporter, self._publisher, self._sync = reporter, publisher, sync
        self._tasks = MailboxTasks(tasks)
        self._ledger, self._mover = ledger, BatchMover(exchange, ledger, concurrency=concurrency)

    async def migrate(self, cmd: MigrateMailbox) -> None:
        """Move the mailbox, or as much of it as until its job is stopped."""
        async with throttle_lines(
            self._publisher, cmd.job_id, {"unitId": cmd.unit_id, "source": cmd.source_mailbox}
        ):
            task = await self._tasks.get(cmd.unit_id)
            if task.phase == "finished" and task.status:  # a redelivery after the end: say it again
                await self._report(cmd, task, task.status, message=task.message)
                return
            try:
                await self._controls.check(cmd.job_id, dispatched_at_version=cmd.job_version)
                await self._run(cmd, await self._start(cmd, task))
            except Stopped:
                await self._report(cmd, await self._tasks.get(cmd.unit_id), UnitStatus.QUEUED)

    async def fail(self, cmd: MigrateMailbox, reason: str) -> None:
        """Give up on the mailbox: it ends ERROR with ``reason``."""
        log.error("mailbox migration failed", unit_id=cmd.unit_id, reason=reason[:500])
        task = await self._tasks.get(cmd.unit_id)
        await self._tasks.set(cmd.unit_id, phase="finished", status=UnitStatus.ERROR, message=reason[:500])
        await self._report(cmd, task, UnitStatus.ERROR, message=reason[:500])

    async def _report(
        self, cmd: MigrateMailbox, task: MailboxTask, status: UnitStatus, *, message: str | None = None
    ) -> None:
        await self._reporter.report(
            job_id=cmd.job_id,
            unit_id=cmd.unit_id,
            status=status,
            counters=Counters.of(task.counters),
            source=cmd.source_mailbox,
            dest=task.dest_upn,
            message=message,
        )

    async def _start(self, cmd: MigrateMailbox, task: MailboxTask) -> MailboxTask:
        """The unit's task: the mailboxes resolved once, then kept."""
        if not task.dest_mailbox:
            dest_upn = cmd.dest_mailbox or await self._namesake(cmd)
            started: dict[str, object] = {
                "job_id": cmd.job_id,
                "phase": "running",
                "source": cmd.source_mailbox,
                "dest_upn": dest_upn,
                "pair": pair_key(cmd.org_id, cmd.source_mailbox, dest_upn),
                "src_mailbox": await self._exchange.mailbox_id(cmd.source_tenant_id, cmd.source_mailbox),
                "dest_mailbox": await self._exchange.mailbox_id(cmd.dest_tenant_id, dest_upn),
                "counters": Counters().dump(),
                "batch": 0,
                "folders_done": [],
            }
            await self._tasks.set(cmd.unit_id, **started)
            task = task.model_copy(update=started)
        await self._report(cmd, task, UnitStatus.RUNNING)
        return task

    async def _namesake(self, cmd: MigrateMailbox) -> str:
        """The destination user of the same name when the job named none (a hand-written command)."""
        local = cmd.source_mailbox.split("@", 1)[0]
        return f"{local}@{await self._tenants.domain_of(cmd.dest_tenant_id)}"

    async def _run(self, cmd: MigrateMailbox, task: MailboxTask) -> None:
        assert task.src_mailbox and task.dest_mailbox and task.pair  # resolved by _start
        target = Target(
            source_tenant=cmd.source_tenant_id,
            dest_tenant=cmd.dest_tenant_id,
            src_mailbox=task.src_mailbox,
            dest_mailbox=task.dest_mailbox,
            pair=task.pair,
            unit_id=cmd.unit_id,
        )
        folders = FolderSync(self._exchange, self._sync, target, org_id=cmd.org_id, upn=cmd.source_mailbox)
        placed = await folders.prepare(cmd.scope)
        counters = Counters.of(task.counters)
        if pending := task.pending:
            outcomes = await self._mover.reconcile(target, pending)
            counters = await self._commit(cmd, counters, outcomes, path=folders.path_of(pending.src_folder))
        done_here = set(task.folders_done)
        for folder in placed:
            if folder.folder.id in done_here:
                continue
            counters.total = counters.done + counters.error + folders.estimate(done_here)
            counters = await self._folder(cmd, target, folders, folder.folder.id, counters)
            done_here.add(folder.folder.id)
            await self._tasks.set(cmd.unit_id, folders_done=sorted(done_here))
        counters.total = counters.done + counters.error + counters.skipped
        await self._tasks.set(
            cmd.unit_id, counters=counters.dump(), phase="finished", status=UnitStatus.DONE, message=None
        )
        await self._report(cmd, await self._tasks.get(cmd.unit_id), UnitStatus.DONE)

    async def _folder(
        self,
        cmd: MigrateMailbox,
        target: Target,
        folders: FolderSync,
        src_folder: str,
        counters: Counters,
    ) -> Counters:
        """Every new or changed item of one folder (and those that failed last time), page by page."""
        dest_folder, path = folders.dest_of(src_folder), folders.path_of(src_folder)
        retry = [
            Item(e.src_id, "", e.size, e.created)
            for e in await self._ledger.failed_before(target.pair, src_folder, unit_id=cmd.unit_id)
        ]
        while True:
            page = await folders.next_page(src_folder, notice=lambda m: self._notice(cmd, m))
            listed = {i.id for i in page.items}  # an item both retried and changed since: once
            items, retry = [i for i in retry if i.id not in listed] + page.items, []
            for start in range(0, len(items), EXPORT_BATCH):
                batch = items[start : start + EXPORT_BATCH]
                counters = await self._batch(cmd, target, batch, (src_folder, dest_folder, path), counters)
            if await folders.advance(src_folder, page):
                return counters

    async def _batch(
        self,
        cmd: MigrateMailbox,
        target: Target,
        items: list[Item],
        where: tuple[str, str, str],
        counters: Counters,
    ) -> Counters:
        """Move the items of one batch that are not already at the destination as they are now."""
        src_folder, dest_folder, path = where
        entries = await self._ledger.entries(target.pair, [i.id for i in items])
        todo: list[Item] = []
        replace_ids: dict[str, tuple[str, str]] = {}
        for item in items:
            entry = entries.get(item.id)
            if entry and entry.status == IMPORTED and entry.change_key == item.change_key:
                continue  # already there, unchanged: moved by an earlier pass
            if entry and entry.status != IMPORTED and entry.unit_id == cmd.unit_id:
                continue  # failed in this unit already (a page read again): counted once
            if entry and entry.status == IMPORTED:
                replace_ids[item.id] = (str(entry.dest_id), entry.dest_change_key)
            todo.append(item)
        if not todo:
            return counters
        await self._controls.check(cmd.job_id, dispatched_at_version=cmd.job_version)
        batch = (await self._tasks.get(cmd.unit_id)).batch + 1
        pending = PendingBatch(
            batch=batch,
            src_folder=src_folder,
            dest_folder=dest_folder,
            items=[
                PendingItem(
                    id=i.id,
                    change_key=i.change_key,
                    size=i.size,
                    created=i.created,
                    replace=replace_ids.get(i.id),
                )
                for i in todo
            ],
        )
        await self._tasks.set(cmd.unit_id, pending=pending)
        outcomes = await self._mover.move(target, todo, replace_ids=replace_ids, dest_folder=dest_folder)
        await self._ledger.write(
            target.pair,
            outcomes,
            unit_id=cmd.unit_id,
            batch=batch,
            src_folder=src_folder,
            dest_folder=dest_folder,
        )
        return await self._commit(cmd, counters, outcomes, path=path)

    async def _commit(
        self, cmd: MigrateMailbox, counters: Counters, outcomes: list[Outcome], *, path: str
    ) -> Counters:
        """Count the batch in flight once (its counters and its end are one write), then name its
        failed items in the job's log and report progress when it is time."""
        task = await self._tasks.get(cmd.unit_id)
        for outcome in outcomes:
            if outcome.dest_id:
                counters.done += 1
                counters.bytes += outcome.size
            else:
                counters.error += 1
        counters.total = max(counters.total, counters.done + counters.error)
        batch = max(task.pending.batch if task.pending else 0, task.batch)
        await self._tasks.set(cmd.unit_id, counters=counters.dump(), batch=batch, pending=None)
        for outcome in outcomes:
            if not outcome.dest_id:
                await self._reporter.item_failed(
                    job_id=cmd.job_id,
                    unit_id=cmd.unit_id,
                    item=f"{cmd.source_mailbox}/{path}/{outcome.src_id}",
                    code=outcome.code,
                    message=outcome.message,
                )
        if self._reporter.due(cmd.unit_id):
            await self._report(cmd, task.model_copy(update={"counters": counters.dump()}), UnitStatus.RUNNING)
        return counters

    async def _notice(self, cmd: MigrateMailbox, message: str) -> None:
        fields = {"unitId": cmd.unit_id, "source": cmd.source_mailbox}
        await publish_line(self._publisher, cmd.job_id, LogLevel.WARN, message, fields)
