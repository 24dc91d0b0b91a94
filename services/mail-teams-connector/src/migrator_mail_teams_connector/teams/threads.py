"""One channel's threads imported in migration mode: each message, then its replies, each once.

``team_messages`` (per team pair and source message) is the ledger: the destination message it
became, or why it was refused. An entry names the unit and the batch that wrote it; the unit's
counters move once per batch, and entries of a batch not yet counted are counted on resume.
A message whose answer a crash lost is found again by its timestamp, unique in its channel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from migrator_contracts.readmodels import Doc
from migrator_microsoft.graph import GraphError
from migrator_readstore import Collection

from migrator_mail_teams_connector.adapters.teams_graph import Post, TeamsApi
from migrator_mail_teams_connector.domain.authors import Author, AuthorMap, later
from migrator_mail_teams_connector.teams.team_task import PendingPost, TeamTasks

IMPORTED, FAILED = "imported", "failed"
TAKEN = 409  # another message of the channel has this millisecond already
MAX_NUDGES = 1000  # milliseconds a timestamp may move on to find a free one


@dataclass(frozen=True)
class Posted:
    """One message's fate."""

    src_id: str
    size: int
    dest_id: str | None = None
    code: str = ""
    message: str = ""
    where: str = ""  # "<team>/<channel>/<message id>", for the job's log


@dataclass
class ChannelPair:
    """Where a channel's threads come from and go to."""

    source_tenant: str
    dest_tenant: str
    src_team: str
    dest_team: str
    src_channel: str
    dest_channel: str
    label: str  # "Engineering/General"
    pair: str
    unit_id: str


class MessageEntry(Doc):
    """One ``team_messages`` document: a source message of a team pair, and what it became."""

    pair: str
    src_id: str
    status: str  # IMPORTED | FAILED
    dest_id: str | None = None
    size: int = 0
    code: str | None = None
    message: str | None = None
    where: str = ""
    unit_id: str  # the unit and batch that wrote it: a batch written but not counted is found by them
    batch: int

    def posted(self) -> Posted:
        return Posted(self.src_id, self.size, self.dest_id, self.code or "", self.message or "", self.where)


Commit = Callable[[list[Posted]], Awaitable[None]]
Unmapped = Callable[[Author], Awaitable[None]]


class ThreadMover:
    """Imports the threads of channels, batch by batch."""

    def __init__(
        self, api: TeamsApi, messages: Collection, tasks: TeamTasks, *, batch_size: int = 20
    ) -> None:
        self._api, self._messages, self._tasks, self._batch_size = api, messages, tasks, batch_size

    async def move(
        self, channel: ChannelPair, authors: AuthorMap, *, commit: Commit, unmapped: Unmapped
    ) -> None:
        """Every root message of the channel, oldest first, each followed by its replies."""
        src = (channel.source_tenant, channel.src_team, channel.src_channel)
        outcomes: list[Posted] = []
        for root in await self._api.posts(*src):
            replies = await self._api.posts(*src, replies_to=root.id)
            entries = await self._entries(channel.pair, [root.id, *(r.id for r in replies)])
            dest_root = await self._post(channel, root, entries, authors, unmapped, outcomes, reply_to=None)
            for reply in replies:
                if dest_root is None:  # a thread whose first message was refused has nowhere to go
                    if root.id not in entries or entries[root.id].unit_id != channel.unit_id:
                        outcomes.append(
                            self._refused(
                                channel, reply, "ThreadRefused", "its thread's first message was refused"
                            )
                        )
                    continue
                await self._post(channel, reply, entries, authors, unmapped, outcomes, reply_to=dest_root)
            if len(outcomes) >= self._batch_size:
                await commit(outcomes)
                outcomes = []
        await commit(outcomes)

    async def _entries(self, pair: str, ids: list[str]) -> dict[str, MessageEntry]:
        found = {}
        for src_id in ids:
            if (doc := await self._messages.get(f"{pair}:{src_id}")) is not None:
                found[src_id] = MessageEntry.model_validate(doc)
        return found

    def _refused(self, channel: ChannelPair, post: Post, code: str, message: str) -> Posted:
        return Posted(
            post.id,
            len(post.content.encode()),
            code=code,
            message=message,
            where=f"{channel.label}/{post.id}",
        )

    async def _post(
        self,
        channel: ChannelPair,
        post: Post,
        entries: dict[str, MessageEntry],
        authors: AuthorMap,
        unmapped: Unmapped,
        outcomes: list[Posted],
        *,
        reply_to: str | None,
    ) -> str | None:
        """Import one message unless the ledger has it; its destination id (None: refused)."""
        entry = entries.get(post.id)
        if entry is not None and entry.status == IMPORTED:
            return str(entry.dest_id)
        if entry is not None and entry.unit_id == channel.unit_id:
            return None  # refused in this unit already: counted then
        author = authors.resolve(post.author_id, post.author_name)
        if author.unmapped:
            await unmapped(author)
        created = post.created
        for nudge in range(MAX_NUDGES + 1):
            pending = PendingPost(
                src_id=post.id, channel=channel.dest_channel, created=created, reply_to=reply_to
            )
            await self._tasks.set(channel.unit_id, pending_post=pending)
            try:
                dest_id = await self._api.import_post(
                    channel.dest_tenant,
                    channel.dest_team,
                    channel.dest_channel,
                    post,
                    created=created,
                    author=(author.id, author.name),
                    reply_to=reply_to,
                )
            except GraphError as exc:
                if exc.status == TAKEN and nudge < MAX_NUDGES:
                    created = later(post.created, nudge + 1)  # keep the order, move by a millisecond
                    continue
                if exc.status >= 500 or exc.status in (401, 403, 429):
                    raise  # not this message's fault
                outcome = self._refused(channel, post, exc.code or str(exc.status), exc.message)
                await self._record(channel, outcome)
                outcomes.append(outcome)
                return None
            outcome = Posted(
                post.id, len(post.content.encode()), dest_id=dest_id, where=f"{channel.label}/{post.id}"
            )
            await self._record(channel, outcome)
            outcomes.append(outcome)
            return dest_id
        raise AssertionError("unreachable")

    async def _record(self, channel: ChannelPair, outcome: Posted) -> None:
        task = await self._tasks.get(channel.unit_id)
        entry = MessageEntry(
            pair=channel.pair,
            src_id=outcome.src_id,
            status=IMPORTED if outcome.dest_id else FAILED,
            dest_id=outcome.dest_id,
            size=outcome.size,
            code=outcome.code,
            message=outcome.message,
            where=outcome.where,
            unit_id=channel.unit_id,
            batch=task.batch + 1,  # the batch not yet counted
        )
        await self._messages.upsert(f"{channel.pair}:{outcome.src_id}", entry.to_doc())
        await self._tasks.set(channel.unit_id, pending_post=None)

    async def uncounted(self, unit_id: str, batch: int) -> list[Posted]:
        """What the ledger holds of a unit's batch that was not counted (the connector died)."""
        docs = await self._messages.find({"unitId": unit_id, "batch": batch})
        return [MessageEntry.model_validate(d).posted() for d in docs]

    async def settle_pending(self, channel: ChannelPair, pending: PendingPost) -> list[Posted]:
        """A message sent when the connector died: if the channel has a message at the very
        millisecond it was sent with, that is it (recorded, and returned to be counted);
        otherwise it will be sent again."""
        if pending.channel != channel.dest_channel:
            return []
        if await self._messages.get(f"{channel.pair}:{pending.src_id}") is not None:
            # Recorded before the connector died (counted, or to be counted with its batch).
            await self._tasks.set(channel.unit_id, pending_post=None)
            return []
        dest = (channel.dest_tenant, channel.dest_team, channel.dest_channel)
        at_dest = await self._api.posts(*dest, replies_to=pending.reply_to)
        landed = [p for p in at_dest if p.created == pending.created]
        if not landed:
            await self._tasks.set(channel.unit_id, pending_post=None)
            return []
        outcome = Posted(
            pending.src_id,
            len(landed[0].content.encode()),
            dest_id=landed[0].id,
            where=f"{channel.label}/{pending.src_id}",
        )
        await self._record(channel, outcome)
        return [outcome]
