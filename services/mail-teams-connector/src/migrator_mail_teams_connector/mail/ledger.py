"""What became of each source item of a mailbox pair: the destination item it is, or why it failed.

The ledger is what makes a pass repeatable: an item already there with the same change key is
skipped, one changed since is replaced in place, one that failed is tried again by the next job.
Each entry names the unit and batch that wrote it, so a batch written but not yet counted
when the connector died is counted on resume, once.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from migrator_contracts.readmodels import Doc
from migrator_readstore import Collection

IMPORTED, FAILED = "imported", "failed"


def pair_key(org_id: str, source: str, dest: str) -> str:
    """The key of a (source mailbox, destination mailbox) pair's incremental state."""
    pair = f"{source.lower()}|{dest.lower()}"
    return f"{org_id}:{hashlib.blake2b(pair.encode(), digest_size=12).hexdigest()}"


@dataclass(frozen=True)
class Outcome:
    """One item's fate in a batch."""

    src_id: str
    change_key: str
    size: int
    created: str
    dest_id: str | None = None  # imported: the destination item
    dest_change_key: str = ""  # and its change key (an update of it must name it)
    code: str = ""  # failed: why
    message: str = ""


class LedgerEntry(Doc):
    """One ``mailbox_items`` document: a source item of a pair, and what it became."""

    pair: str
    src_id: str
    src_folder_id: str
    dest_folder_id: str
    status: str  # IMPORTED | FAILED
    dest_id: str | None = None
    dest_change_key: str = ""
    change_key: str = ""
    size: int = 0
    created: str = ""
    code: str | None = None
    message: str | None = None
    unit_id: str  # the unit and batch that wrote it: a batch written but not counted is found by them
    batch: int

    def outcome(self) -> Outcome:
        return Outcome(
            self.src_id,
            self.change_key,
            self.size,
            self.created,
            dest_id=self.dest_id,
            dest_change_key=self.dest_change_key,
            code=self.code or "",
            message=self.message or "",
        )


class Ledger:
    """``mailbox_items``: one document per pair and source item."""

    def __init__(self, items: Collection) -> None:
        self._items = items

    @staticmethod
    def _key(pair: str, src_id: str) -> str:
        return f"{pair}:{src_id}"

    async def entries(self, pair: str, src_ids: list[str]) -> dict[str, LedgerEntry]:
        """The ledger entries of these source items (absent: never seen)."""
        found = await asyncio.gather(*(self._items.get(self._key(pair, i)) for i in src_ids))
        return {
            i: LedgerEntry.model_validate(d) for i, d in zip(src_ids, found, strict=True) if d is not None
        }

    async def write(
        self,
        pair: str,
        outcomes: list[Outcome],
        *,
        unit_id: str,
        batch: int,
        src_folder: str,
        dest_folder: str,
    ) -> None:
        """Record a batch's outcomes (concurrent writes: the store commits them together)."""
        await asyncio.gather(
            *(
                self._items.upsert(
                    self._key(pair, o.src_id),
                    LedgerEntry(
                        pair=pair,
                        src_id=o.src_id,
                        src_folder_id=src_folder,
                        dest_folder_id=dest_folder,
                        status=IMPORTED if o.dest_id else FAILED,
                        dest_id=o.dest_id,
                        dest_change_key=o.dest_change_key,
                        change_key=o.change_key,
                        size=o.size,
                        created=o.created,
                        code=o.code,
                        message=o.message,
                        unit_id=unit_id,
                        batch=batch,
                    ).to_doc(),
                )
                for o in outcomes
            )
        )

    async def failed_before(self, pair: str, src_folder: str, *, unit_id: str) -> list[LedgerEntry]:
        """Items of this folder that failed in an earlier job: the delta will not list them again."""
        failed = await self._items.find({"pair": pair, "srcFolderId": src_folder, "status": FAILED})
        entries = [LedgerEntry.model_validate(d) for d in failed]
        return [e for e in entries if e.unit_id != unit_id]

    async def dest_ids(self, pair: str, dest_folder: str) -> set[str]:
        """The destination items of this folder that the ledger knows."""
        docs = await self._items.find({"pair": pair, "destFolderId": dest_folder, "status": IMPORTED})
        return {str(d["destId"]) for d in docs}

    async def of_batch(self, unit_id: str, batch: int) -> list[LedgerEntry]:
        """What one batch of a unit wrote."""
        return [
            LedgerEntry.model_validate(d) for d in await self._items.find({"unitId": unit_id, "batch": batch})
        ]
