"""Live tails of job logs: one JetStream subscription per job per gateway, shared by its clients.

A tail starts at the stream's end (by sequence, so nothing published in between is missed) and
hands each line to every client watching the job, through a bounded queue per client. A client
that joins learns the tail's position: every line up to it is history (the projection), every
line after it arrives through its queue. So history and live meet without a gap or a repeat.

A client too slow to keep up (its queue full) is dropped rather than allowed to hold memory;
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
from migrator_contracts.streams import LOG_PROJECTION_DURABLE, LOGS
from migrator_platform.structured_logs import get_logger
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

log = get_logger(__name__)


@dataclass(frozen=True)
class Line:
    """A live line: its stream sequence, the line as published, and its SSE frame, encoded
    once per tail rather than once per client."""

    seq: int
    line: dict[str, Any]
    frame: bytes


def log_frame(seq: int, line_id: str, level: str, message: str, ts: str, fields: dict[str, Any]) -> bytes:
    """The ``event: log`` SSE frame of one line (its id is the stream sequence)."""
    body: dict[str, Any] = {"id": line_id, "level": level, "message": message, "ts": ts}
    if fields:
        body["fields"] = fields
    return b"event: log\r\nid: %d\r\ndata: %s\r\n\r\n" % (seq, orjson.dumps(body))


def second(ts: str) -> str:
    """A published line's timestamp in the API's form (second precision, ``Z``)."""
    return datetime.fromisoformat(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(eq=False)
class TailClient:
    """One watcher's queue of live lines."""

    queue: asyncio.Queue[Line]
    dropped: bool = False

    def offer(self, line: Line) -> None:
        if self.dropped:
            return
        try:
            self.queue.put_nowait(line)
        except asyncio.QueueFull:
            self.dropped = True


@dataclass(eq=False)
class _Tail:
    job_id: str
    position: int
    clients: set[TailClient] = field(default_factory=set)
    subscription: Any = None
    closing: asyncio.TimerHandle | None = None

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
        line = Line(seq, data, frame)
        for client in self.clients:
            client.offer(line)


class LogTails:
    """Every live tail this gateway process holds."""

    def __init__(
        self, js: JetStreamContext, *, client_buffer: int = 10_000, idle_seconds: float = 10.0
    ) -> None:
        self._js, self._buffer, self._idle = js, client_buffer, idle_seconds
        self._tails: dict[str, _Tail] = {}
        self._lock = asyncio.Lock()

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
            client = TailClient(asyncio.Queue(maxsize=self._buffer))
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

    async def projected_through(self, seq: int, *, within: float) -> bool:
        """Wait until log-stream has stored every line up to ``seq`` (False after ``within`` s)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            try:
                info = await self._js.consumer_info(LOGS.name, LOG_PROJECTION_DURABLE)
                if info.ack_floor is not None and int(info.ack_floor.stream_seq or 0) >= seq:
                    return True
                if not info.num_pending and not info.num_ack_pending:
                    return True  # nothing delivered is unacknowledged, nothing waits: all stored
            except Exception as exc:  # log-stream not started yet, or the bus restarting
                log.debug("projection progress unknown", error=repr(exc))
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(0.05)

    async def projected_now(self, *, within: float) -> bool:
        """Wait until every line already on the stream is stored (an export then is complete)."""
        state = (await self._js.stream_info(LOGS.name)).state
        return await self.projected_through(int(state.last_seq), within=within)

    async def close(self) -> None:
        for job_id in list(self._tails):
            await self._unsubscribe(self._tails.pop(job_id))

    @property
    def open_tails(self) -> int:
        return len(self._tails)

    async def _open(self, job_id: str) -> _Tail:
        subject = subjects.job_log(job_id)
        state = (await self._js.stream_info(LOGS.name)).state
        tail = _Tail(job_id=job_id, position=int(state.last_seq))
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
