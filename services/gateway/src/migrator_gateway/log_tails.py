"""Live tails of job logs: one JetStream subscription per job per gateway, shared by its clients.

A tail starts at the stream's end (by sequence, so nothing published in between is missed) and
hands the lines to every client watching the job, through a bounded backlog per client. Lines
are handed over in batches, every ``flush_seconds`` (50 ms): with a thousand clients on a busy
job, one write per client per batch instead of one per line is what keeps up (the price is at
most that much added delay). A client that joins learns the tail's position: every line up to
it is history (the projection), every line after it arrives through its queue. So history and
live meet without a gap or a repeat.

A client too slow to keep up (its backlog full) is dropped rather than allowed to hold memory;
it reconnects with ``Last-Event-ID`` and resumes from the history. A tail with no client left
stops after a short grace period, so clients that reconnect do not churn subscriptions.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from migrator_contracts import subjects
from migrator_contracts.base import iso
from migrator_contracts.streams import EVENTS, LOG_EVENTS_DURABLE, LOG_PROJECTION_DURABLE, LOGS
from migrator_platform.structured_logs import get_logger
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

log = get_logger(__name__)

WAKE_SECONDS = 1.0  # how often an idle client is woken to look at its job
FLOOR_REFRESH_SECONDS = 0.05  # how stale log-stream's progress may be when a client joins


@dataclass(frozen=True)
class Line:
    """A live line: its stream sequence, the line as published, and its SSE frame, encoded
    once per tail rather than once per client."""

    seq: int
    line: dict[str, Any]
    frame: bytes

    @property
    def final(self) -> dict[str, Any] | None:
        """The job's last line's fields (``status``, ``completedAt``), or None."""
        fields: dict[str, Any] = self.line.get("fields") or {}
        return fields if fields.get("final") else None


def log_frame(seq: int, line_id: str, level: str, message: str, ts: str, fields: dict[str, Any]) -> bytes:
    """The ``event: log`` SSE frame of one line (its id is the stream sequence)."""
    body: dict[str, Any] = {"id": line_id, "level": level, "message": message, "ts": ts}
    if fields:
        body["fields"] = fields
    return b"event: log\r\nid: %d\r\ndata: %s\r\n\r\n" % (seq, orjson.dumps(body))


def second(ts: str) -> str:
    """A published line's timestamp in the API's form (second precision, ``Z``)."""
    return iso(datetime.fromisoformat(ts))


@dataclass(frozen=True)
class Batch:
    """Lines a tail hands to its clients together, all their frames joined, and whether the
    job's last line is among them: built once per tail, read by every client."""

    lines: tuple[Line, ...]
    frames: bytes
    has_final: bool

    @classmethod
    def of(cls, lines: tuple[Line, ...]) -> Batch:
        return cls(
            lines, b"".join(line.frame for line in lines), any(line.final is not None for line in lines)
        )


_WAKE = Batch((), b"", False)


@dataclass(eq=False)
class TailClient:
    """One watcher's backlog of live lines, bounded: a client that falls too far behind is
    dropped (and resumes with Last-Event-ID) rather than allowed to hold memory."""

    limit: int
    queue: asyncio.Queue[Batch] = field(default_factory=asyncio.Queue)
    backlog: int = 0
    dropped: bool = False
    closed: bool = False  # the gateway is shutting down: end the stream, the client reconnects

    def close(self) -> None:
        self.closed = True
        self.queue.put_nowait(_WAKE)

    def offer(self, batch: Batch) -> None:
        if self.dropped:
            return
        if self.backlog + len(batch.lines) > self.limit:
            self.dropped = True
            self.queue.put_nowait(_WAKE)
            return
        self.backlog += len(batch.lines)
        self.queue.put_nowait(batch)

    def wake(self) -> None:
        """Let an idle client look around (is its job finished, or deleted?) without a timer of its own."""
        if self.queue.empty():
            self.queue.put_nowait(_WAKE)

    async def take(self) -> Batch:
        """The next batch, merged with any others already waiting (a client that fell behind
        catches up in one write)."""
        batch = await self.queue.get()
        if not self.queue.empty():
            batches = [batch]
            while not self.queue.empty():
                batches.append(self.queue.get_nowait())
            lines = tuple(line for b in batches for line in b.lines)
            batch = Batch(lines, b"".join(b.frames for b in batches), any(b.has_final for b in batches))
        self.backlog -= len(batch.lines)
        return batch


@dataclass(eq=False)
class _Tail:
    job_id: str
    position: int
    flush_seconds: float
    clients: set[TailClient] = field(default_factory=set)
    subscription: Any = None
    closing: asyncio.TimerHandle | None = None
    pending: list[Line] = field(default_factory=list)
    flushing: asyncio.TimerHandle | None = None

    async def on_message(self, msg: Msg) -> None:
        seq = int(msg.metadata.sequence.stream)
        if seq <= self.position:
            return
        self.position = seq
        try:
            data = json.loads(msg.data)
            frame = log_frame(
                seq, data["id"], data["level"], data["message"], second(data["ts"]), data.get("fields") or {}
            )
        except (ValueError, KeyError, TypeError):
            log.warning("malformed log line skipped by a live tail", job_id=self.job_id, seq=seq)
            return
        self.pending.append(Line(seq, data, frame))
        if self.flush_seconds <= 0:
            self.flush()
        elif self.flushing is None:
            self.flushing = asyncio.get_running_loop().call_later(self.flush_seconds, self.flush)

    def flush(self) -> None:
        """Hand what arrived since the last flush to every client, as one batch."""
        self.flushing = None
        if not self.pending:
            return
        lines, self.pending = tuple(self.pending), []
        batch = Batch.of(lines)
        for client in self.clients:
            client.offer(batch)


class LogTails:
    """Every live tail this gateway process holds."""

    def __init__(
        self,
        js: JetStreamContext,
        *,
        client_buffer: int = 10_000,
        flush_seconds: float = 0.05,
        idle_seconds: float = 10.0,
    ) -> None:
        self._js, self._buffer, self._idle, self._flush = js, client_buffer, idle_seconds, flush_seconds
        self._tails: dict[str, _Tail] = {}
        self._lock = asyncio.Lock()
        self._ticker: asyncio.Task[None] | None = None
        self._floor, self._floor_at, self._floor_lock = 0, float("-inf"), asyncio.Lock()

    async def _tick(self) -> None:
        """Once a second, wake idle clients (one task for all, rather than a timeout per wait)."""
        while True:
            await asyncio.sleep(WAKE_SECONDS)
            for tail in list(self._tails.values()):
                for client in list(tail.clients):
                    client.wake()

    async def join(self, job_id: str) -> tuple[TailClient, int]:
        """Watch ``job_id``: the client's queue, and the last stream sequence before it
        (lines up to there come from history)."""
        async with self._lock:
            tail = self._tails.get(job_id)
            if tail is None:
                tail = self._tails[job_id] = await self._open(job_id)
            if tail.closing is not None:
                tail.closing.cancel()
                tail.closing = None
            if self._ticker is None:
                self._ticker = asyncio.create_task(self._tick(), name="log-tails-ticker")
            client = TailClient(limit=self._buffer)
            tail.clients.add(client)
            return client, tail.position

    def leave(self, job_id: str, client: TailClient) -> None:
        """Stop watching (at once: a disconnected client frees its queue here)."""
        tail = self._tails.get(job_id)
        if tail is None:
            return
        tail.clients.discard(client)
        if not tail.clients and tail.closing is None:
            tail.closing = asyncio.get_running_loop().call_later(
                self._idle, lambda: asyncio.ensure_future(self._close_if_idle(job_id))
            )

    def end_all_streams(self) -> None:
        """The gateway is stopping: end every live stream now (clients resume elsewhere with
        Last-Event-ID) rather than hold the shutdown until its timeout."""
        for tail in self._tails.values():
            for client in tail.clients:
                client.close()

    async def projected_through(self, seq: int, *, within: float) -> bool:
        """Wait until log-stream has stored every line up to ``seq`` (False after ``within`` s)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            if self._floor >= seq or await self._projection_floor() >= seq:
                return True
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(FLOOR_REFRESH_SECONDS)

    async def _projection_floor(self) -> int:
        """The stream sequence up to which log-stream has stored every line. One question to
        NATS per gateway every 50 ms at most, however many clients are connecting."""
        async with self._floor_lock:
            loop = asyncio.get_running_loop()
            if loop.time() - self._floor_at < FLOOR_REFRESH_SECONDS:
                return self._floor
            floor = await _consumer_progress(self._js, LOGS.name, LOG_PROJECTION_DURABLE)
            self._floor = max(self._floor, floor)
            self._floor_at = loop.time()
            return self._floor

    async def projected_now(self, *, within: float) -> bool:
        """Wait until every event and line already published has its line stored (an export
        then is complete): a job's ERROR line is often made from the very event that ended it,
        by log-stream's event consumer, which the job's status does not wait for."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        events_end = int((await self._js.stream_info(EVENTS.name)).state.last_seq)
        while True:
            # Its filter is the whole stream, so its floor reaches the end; "idle" alone is not
            # trusted here: just after a publish the server may not yet count the new message
            # as pending (CI saw an export think a line stored that was not even made yet).
            floor = await _consumer_progress(self._js, EVENTS.name, LOG_EVENTS_DURABLE)
            if floor >= events_end:
                break
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(FLOOR_REFRESH_SECONDS)
        return await self.projected_through(await self._stream_end(), within=max(0.0, deadline - loop.time()))

    async def _stream_end(self) -> int:
        """The sequence of the last message on the log stream."""
        return int((await self._js.stream_info(LOGS.name)).state.last_seq)

    async def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        for job_id in list(self._tails):
            tail = self._tails.pop(job_id)
            if tail.flushing is not None:
                tail.flushing.cancel()
            await self._unsubscribe(tail)

    @property
    def open_tails(self) -> int:
        return len(self._tails)

    async def _open(self, job_id: str) -> _Tail:
        subject = subjects.job_log(job_id)
        tail = _Tail(job_id=job_id, position=await self._stream_end(), flush_seconds=self._flush)
        tail.subscription = await self._js.subscribe(
            subject,
            cb=tail.on_message,
            ordered_consumer=True,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=tail.position + 1
            ),
        )
        return tail

    async def _close_if_idle(self, job_id: str) -> None:
        async with self._lock:
            tail = self._tails.get(job_id)
            if tail is not None and not tail.clients:
                del self._tails[job_id]
                await self._unsubscribe(tail)

    @staticmethod
    async def _unsubscribe(tail: _Tail) -> None:
        try:
            await tail.subscription.unsubscribe()
        except Exception as exc:  # the connection may be gone already
            log.debug("tail unsubscribe failed", job_id=tail.job_id, error=repr(exc))


async def _consumer_progress(js: JetStreamContext, stream: str, durable: str) -> int:
    """How far ``durable`` has come: the stream sequence up to which it has acked everything
    (0 when unknown); with nothing pending or unacked, the last it delivered."""
    try:
        info = await js.consumer_info(stream, durable)
    except Exception as exc:  # log-stream not started yet, or the bus restarting
        log.debug("consumer progress unknown", consumer=durable, error=repr(exc))
        return 0
    floor = int(info.ack_floor.stream_seq or 0) if info.ack_floor else 0
    if not info.num_pending and not info.num_ack_pending and info.delivered:
        floor = max(floor, int(info.delivered.stream_seq or 0))  # all delivered, all acked
    return floor
