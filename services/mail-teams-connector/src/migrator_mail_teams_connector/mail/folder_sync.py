"""A mailbox pair's folders: the destination tree made to match, and where each folder's delta stands.

Kept in ``mailbox_sync`` per (source, destination) mailbox pair, so it outlives the job: each
source folder's destination folder, and its position — the next page of a pass in progress,
or the delta link a finished pass ended with, from which the next job reads only what changed.
A destination folder of the same path is used as it is (the well-known folders exist already).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from migrator_contracts.readmodels import Doc
from migrator_microsoft.graph import GraphError
from migrator_readstore import Collection

from migrator_mail_teams_connector.adapters.exchange import ExchangeApi, ItemPage
from migrator_mail_teams_connector.domain.folders import Placed, in_scope, key, place
from migrator_mail_teams_connector.mail.batches import Target

# A delta link the mailbox no longer honours (its sync state is gone): the folder is read whole
# again, and the ledger keeps what is there already from moving twice.
DELTA_GONE = frozenset({410})


class FolderState(Doc):
    """One source folder of the pair: where it goes, and where its delta stands."""

    path: str
    dest_id: str
    position: str | None = None  # the next page mid-pass, the delta link after a pass
    complete: bool = False  # read whole once: from now on only what changed comes


class MailboxSync(Doc):
    """One ``mailbox_sync`` document: a (source, destination) mailbox pair's folders."""

    org_id: str
    source: str
    src_mailbox: str
    dest_mailbox: str
    folders: dict[str, FolderState]  # by source folder id


class FolderSync:
    """The folders of one unit's mailbox pair."""

    def __init__(
        self, exchange: ExchangeApi, sync: Collection, target: Target, *, org_id: str, upn: str
    ) -> None:
        self._exchange, self._sync, self._target = exchange, sync, target
        self._org_id, self._upn = org_id, upn
        self._state: dict[str, FolderState] = {}  # source folder id -> its entry
        self._sizes: dict[str, int] = {}

    async def prepare(self, scope: dict[str, Any]) -> list[Placed]:
        """The source folders the scope takes, parents first, each with a destination folder."""
        t = self._target
        doc = await self._sync.get(t.pair)
        self._state = MailboxSync.model_validate(doc).folders if doc is not None else {}
        placed = place(await self._exchange.folders(t.source_tenant, t.src_mailbox))
        chosen = in_scope(placed, scope)
        by_path = {key(p.path): p for p in placed}
        dest = {
            key(p.path): p.folder.id
            for p in place(await self._exchange.folders(t.dest_tenant, t.dest_mailbox))
        }

        async def ensure(path: str) -> str:
            if key(path) in dest:
                return dest[key(path)]
            source = by_path[key(path)]
            parent = await ensure(source.parent_path) if source.parent_path else None
            try:
                made = await self._exchange.create_folder(
                    t.dest_tenant,
                    t.dest_mailbox,
                    parent_id=parent,
                    name=source.folder.name,
                    folder_type=source.folder.type,
                )
                dest[key(path)] = made.id
            except GraphError as exc:
                if exc.status != 409:
                    raise
                # Made meanwhile (by a run that died before saying so): it is there, use it.
                again = place(await self._exchange.folders(t.dest_tenant, t.dest_mailbox))
                dest.update({key(p.path): p.folder.id for p in again})
            return dest[key(path)]

        for folder in chosen:
            dest_id = await ensure(folder.path)
            if (entry := self._state.get(folder.folder.id)) is not None:
                entry.path, entry.dest_id = folder.path, dest_id
            else:
                self._state[folder.folder.id] = FolderState(path=folder.path, dest_id=dest_id)
            self._sizes[folder.folder.id] = folder.folder.total_items
        await self._save()
        return chosen

    async def _save(self) -> None:
        t = self._target
        sync = MailboxSync(
            org_id=self._org_id,
            source=self._upn,
            src_mailbox=t.src_mailbox,
            dest_mailbox=t.dest_mailbox,
            folders=self._state,
        )
        await self._sync.upsert(t.pair, sync.to_doc())

    def dest_of(self, src_folder: str) -> str:
        return self._state[src_folder].dest_id

    def path_of(self, src_folder: str) -> str:
        entry = self._state.get(src_folder)
        return entry.path if entry is not None else src_folder

    def estimate(self, done_here: set[str]) -> int:
        """Items still to come, as far as known now: a folder never read whole will bring its
        item count; one read before brings only what changed, unknown until it is read."""
        return sum(
            size
            for folder, size in self._sizes.items()
            if folder not in done_here and not self._state[folder].complete
        )

    async def next_page(self, src_folder: str, *, notice: Callable[[str], Awaitable[None]]) -> ItemPage:
        """The folder's next page of new or changed items, from where its delta stands."""
        entry, t = self._state[src_folder], self._target
        start = self._exchange.items_delta(t.src_mailbox, src_folder)
        try:
            return await self._exchange.items_page(t.source_tenant, entry.position or start)
        except GraphError as exc:
            if exc.status not in DELTA_GONE or not entry.position:
                raise
            gone = exc.code or str(exc.status)
        await notice(
            f"{self._upn}/{entry.path}: the mailbox no longer knows where the last pass stopped "
            f"({gone}); reading the folder whole, skipping what is already there"
        )
        entry.position = None
        return await self._exchange.items_page(t.source_tenant, start)

    async def advance(self, src_folder: str, page: ItemPage) -> bool:
        """Past this page: the folder's position moves on (saved). True when the pass is over."""
        entry = self._state[src_folder]
        if page.next_link:
            entry.position = page.next_link
        else:
            entry.position, entry.complete = page.delta_link, True
        await self._save()
        return not page.next_link
