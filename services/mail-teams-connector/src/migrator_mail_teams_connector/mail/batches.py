"""One batch of a mailbox's items: exported together, imported, and what became of each.

A batch is at most 20 items (one ``exportItems``); its imports run a few at a time, as
Exchange limits an app per mailbox. An item Exchange will not export, or will not import, is an
item error and the batch goes on; an import session that expired is replaced and the item sent
again. ``reconcile`` settles a batch a crash interrupted, from the ledger and the destination.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from migrator_microsoft.graph import GraphError

from migrator_mail_teams_connector.adapters.exchange import (
    ExchangeApi,
    Exported,
    ImportSession,
    ImportSessionExpired,
    Item,
)
from migrator_mail_teams_connector.mail.ledger import Ledger, Outcome
from migrator_mail_teams_connector.mail.mailbox_task import PendingBatch, PendingItem

SESSION_RENEWALS = 3  # new sessions one item may ask for before it is an item error
SESSION_MARGIN = timedelta(seconds=60)  # a session this close to its expiry is replaced first


@dataclass
class Target:
    """Where a unit's batches come from and go to, and the import session in use."""

    source_tenant: str
    dest_tenant: str
    src_mailbox: str
    dest_mailbox: str
    pair: str
    unit_id: str
    session: ImportSession | None = None


class BatchMover:
    """Moves batches of items between two mailboxes."""

    def __init__(self, exchange: ExchangeApi, ledger: Ledger, *, concurrency: int) -> None:
        self._exchange, self._ledger, self._concurrency = exchange, ledger, concurrency

    async def move(
        self,
        target: Target,
        items: list[Item],
        *,
        replace_ids: dict[str, tuple[str, str]],
        dest_folder: str,
    ) -> list[Outcome]:
        """Export ``items`` and import each into ``dest_folder`` (updating the destination item,
        by id and change key, that ``replace_ids`` names for one that changed at the source);
        their outcomes, in order."""
        exported = await self._exchange.export(
            target.source_tenant, target.src_mailbox, [i.id for i in items]
        )
        slots = asyncio.Semaphore(self._concurrency)

        async def one(item: Item, answer: Exported) -> Outcome:
            done = Outcome(item.id, answer.change_key or item.change_key, item.size, item.created)
            if answer.data is None:
                return replace(done, code=answer.error_code or "ExportFailed", message=answer.error_message)
            async with slots:
                try:
                    dest_id, dest_key = await self._import(
                        target, dest_folder, answer.data, replace_ids.get(item.id)
                    )
                except GraphError as exc:
                    return replace(done, code=exc.code or str(exc.status), message=exc.message or str(exc))
            return replace(done, dest_id=dest_id, dest_change_key=dest_key)

        return list(await asyncio.gather(*(one(i, e) for i, e in zip(items, exported, strict=True))))

    async def _import(
        self, target: Target, dest_folder: str, data: str, replace_id: tuple[str, str] | None
    ) -> tuple[str, str]:
        for renewal in range(SESSION_RENEWALS + 1):
            session = await self._session(target, renew=renewal > 0)
            try:
                return await self._exchange.import_item(
                    target.dest_tenant, session, folder_id=dest_folder, data=data, replace=replace_id
                )
            except ImportSessionExpired as exc:
                if target.session is session:
                    target.session = None  # others importing at the same time need a new one too
                if renewal == SESSION_RENEWALS:
                    raise GraphError(
                        410, "ImportSessionExpired", "each new import session expired at once"
                    ) from exc
        raise AssertionError("unreachable")

    async def _session(self, target: Target, *, renew: bool) -> ImportSession:
        session = target.session
        if renew or session is None or session.expires_at - SESSION_MARGIN <= datetime.now(UTC):
            session = target.session = await self._exchange.import_session(
                target.dest_tenant, target.dest_mailbox
            )
        return session

    async def reconcile(self, target: Target, pending: PendingBatch) -> list[Outcome]:
        """The outcomes of the batch in flight when the connector died: those the ledger has
        (written, not yet counted), and imports whose answer was lost, found at the destination
        as items the ledger does not know with the same size and creation time. The rest were
        never imported and are read again with their page; an update is simply done again."""
        written = {e.src_id: e for e in await self._ledger.of_batch(target.unit_id, pending.batch)}
        outcomes: list[Outcome] = []
        unknown: list[PendingItem] = []
        for item in pending.items:
            entry = written.get(item.id)
            if entry is not None:
                outcomes.append(entry.outcome())
            elif not item.replace:
                unknown.append(item)
        if not unknown:
            return outcomes
        dest_folder = pending.dest_folder
        at_dest = await self._exchange.folder_items(target.dest_tenant, target.dest_mailbox, dest_folder)
        known = await self._ledger.dest_ids(target.pair, dest_folder)
        orphans: dict[tuple[int, str], list[Item]] = defaultdict(list)
        for found in at_dest:
            if found.id not in known:
                orphans[(found.size, found.created)].append(found)
        landed = []
        for i in unknown:
            if orphans.get(shape := (i.size, i.created)):
                found = orphans[shape].pop()
                landed.append(
                    Outcome(
                        i.id,
                        i.change_key,
                        i.size,
                        i.created,
                        dest_id=found.id,
                        dest_change_key=found.change_key,
                    )
                )
        await self._ledger.write(
            target.pair,
            landed,
            unit_id=target.unit_id,
            batch=pending.batch,
            src_folder=pending.src_folder,
            dest_folder=dest_folder,
        )
        return outcomes + landed
