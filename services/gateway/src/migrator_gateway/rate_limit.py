"""Per-organisation rate limiting shared by every gateway replica (a NATS KV counter per minute).

A fixed one-minute window per organisation: the counter lives in a JetStream key-value bucket,
incremented by compare-and-set, so replicas agree without a coordinator. Old windows expire
with the bucket's TTL. One organisation's counter never touches another's.

Within a process, concurrent requests of one organisation are counted together (group commit):
one compare-and-set adds all the requests that arrived while the previous one was in flight.
Concurrent requests racing separately on one key would mostly lose the compare-and-set and
retry; grouped, the cost per request falls as load rises.

While an organisation is far from its limit (more than half of the minute's budget left), a
busy replica also counts a little ahead: a lease of about 50 ms of its recent traffic, spent
locally without a round trip. Every admitted request is counted before it is admitted, so
the limit is never exceeded. Near the limit there are no leases, and each request is counted
as it comes, so the limit is reached exactly. The one inexactness: a replica whose traffic
stops while it holds a lease leaves those few requests unspent for that minute.

While NATS is unreachable the limiter fails open: requests are admitted uncounted (and a
warning logged), so reads from the store keep working through a bus outage.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from migrator_contracts.streams import RATE_LIMITS_BUCKET
from migrator_platform.bus import UNAVAILABLE_ERRORS
from migrator_platform.structured_logs import get_logger
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BadRequestError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

BUCKET = RATE_LIMITS_BUCKET
WINDOW_SECONDS = 60
LEASE_SECONDS = 0.05  # how much of its own recent traffic a replica may count ahead
WARN_EVERY_SECONDS = 10.0

log = get_logger(__name__)


@dataclass(frozen=True)
class Decision:
    """Whether the request may proceed, and if not, after how many seconds to retry."""

    allowed: bool
    retry_after: int = 0


@dataclass
class _Group:
    """Requests of one organisation waiting for the next compare-and-set."""

    waiting: list[asyncio.Future[Decision]] = field(default_factory=list)
    counting: bool = False
    # The last (window key, count, revision) seen, so a write can go first and skip the read.
    last: tuple[str, int, int] | None = None
    # Requests already counted in the shared window but not yet admitted here (a lease).
    credit: int = 0
    credit_key: str = ""
    # This replica's recent request rate for the organisation (requests/s), to size leases.
    rate: float = 0.0
    arrivals: int = 0
    rate_at: float | None = None


class RateLimiter:
    """``limit`` requests per organisation per minute, across all replicas."""

    def __init__(
        self,
        js: JetStreamContext,
        kv: KeyValue,
        *,
        limit: int,
        clock: Callable[[], float] = time.time,
        connected: Callable[[], bool] = lambda: True,
    ) -> None:
        self._js, self._kv, self._limit, self._clock, self._connected = js, kv, limit, clock, connected
        self._groups: dict[str, _Group] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._warned_at = -WARN_EVERY_SECONDS
        # Set when the bucket stopped answering: a restarted server has lost it (memory storage).
        self._lost = False

    @classmethod
    async def open(
        cls,
        js: JetStreamContext,
        *,
        limit: int,
        clock: Callable[[], float] = time.time,
        connected: Callable[[], bool] = lambda: True,
    ) -> RateLimiter:
        """The shared bucket (created by the first replica, found by the others)."""
        return cls(js, await _bucket(js), limit=limit, clock=clock, connected=connected)

    async def hit(self, org_id: str) -> Decision:
        """Count one request of ``org_id`` in the current window."""
        if not self._connected():
            self._lost = True
            return self._fail_open("not connected to NATS")
        group = self._groups.get(org_id)
        if group is None:
            group = self._groups[org_id] = _Group()
        group.arrivals += 1
        if group.credit > 0 and group.credit_key == self._key(org_id, self._clock()):
            group.credit -= 1  # counted already, when the lease was taken
            return Decision(True)
        future: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        group.waiting.append(future)
        if not group.counting:
            # A task of its own: a caller that disconnects must not strand the others waiting.
            group.counting = True
            task = asyncio.create_task(self._drain(org_id, group))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(self, org_id: str, group: _Group) -> None:
        try:
            while group.waiting:
                batch, group.waiting = group.waiting, []
                self._measure(group)
                await self._count(org_id, group, batch)
        finally:
            group.counting = False

    @staticmethod
    def _key(org_id: str, now: float) -> str:
        return f"{org_id}.{int(now // WINDOW_SECONDS)}"

    def _measure(self, group: _Group) -> None:
        """Update the replica's request rate for the organisation from arrivals since last time."""
        now = time.monotonic()
        if group.rate_at is not None and now > group.rate_at:
            group.rate = 0.5 * group.rate + 0.5 * group.arrivals / (now - group.rate_at)
        group.arrivals, group.rate_at = 0, now

    async def _count(self, org_id: str, group: _Group, batch: list[asyncio.Future[Decision]]) -> None:
        """Add up to ``len(batch)`` to the window's counter (plus a lease, far from the limit);
        admit that many, refuse the rest."""
        try:
            granted, retry_after = await self._add(
                org_id, group, len(batch), lease=int(group.rate * LEASE_SECONDS)
            )
            admitted = min(granted, len(batch))
            group.credit = granted - admitted
            group.credit_key = group.last[0] if group.last is not None else ""
        except UNAVAILABLE_ERRORS as exc:
            self._lost = True
            decision = self._fail_open(repr(exc))
            for future in batch:
                if not future.done():
                    future.set_result(decision)
            return
        except Exception as exc:
            for future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for index, future in enumerate(batch):
            if future.done():  # its caller went away
                continue
            future.set_result(Decision(True) if index < admitted else Decision(False, retry_after))

    def _fail_open(self, why: str) -> Decision:
        """Admit uncounted while the bucket is unreachable; say so, but not on every request."""
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning("rate limits not enforced: the counter bucket is unreachable", error=why)
        return Decision(True)

    def _with_lease(self, count: int, wanted: int, lease: int) -> int:
        """``wanted``, plus a lease taken only from the budget above half the limit."""
        headroom = self._limit - count - wanted - self._limit // 2
        return wanted + max(0, min(lease, headroom // 4))

    async def _add(self, org_id: str, group: _Group, wanted: int, *, lease: int = 0) -> tuple[int, int]:
        """(how many of ``wanted`` + lease fit in this window, seconds until the next window)."""
        now = self._clock()
        window = int(now // WINDOW_SECONDS)
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))
        key = self._key(org_id, now)
        if self._lost:
            # The counters lived in memory on the server: after its restart the window starts afresh.
            self._kv, self._lost, group.last = await _bucket(self._js), False, None
        known = group.last if group.last is not None and group.last[0] == key else None
        for _ in range(50):  # compare-and-set; contention only between replicas serving one org
            if known is None:
                try:
                    entry = await self._kv.get(key)
                    known = (key, int(entry.value or b"0"), int(entry.revision or 0))
                except KeyNotFoundError:
                    granted = min(self._with_lease(0, wanted, lease), self._limit)
                    try:
                        revision = await self._kv.create(key, str(granted).encode())
                    except (KeyWrongLastSequenceError, BadRequestError):
                        continue  # another replica created it first
                    group.last = (key, granted, revision)
                    return granted, retry_after
            _, count, revision = known
            granted = max(0, min(self._with_lease(count, wanted, lease), self._limit - count))
            if granted == 0:
                return 0, retry_after
            try:
                new_revision = await self._kv.update(key, str(count + granted).encode(), last=revision)
            except (KeyWrongLastSequenceError, BadRequestError):
                known = None  # another replica counted meanwhile: read again
                continue
            group.last = (key, count + granted, new_revision)
            return granted, retry_after
        # Under extreme contention, fail open for these requests rather than reject valid ones.
        return wanted, retry_after


async def _bucket(js: JetStreamContext) -> KeyValue:
    """The counters' bucket, created if missing (first replica, or a restarted server)."""
    try:
        return await js.create_key_value(
            KeyValueConfig(bucket=BUCKET, ttl=3 * WINDOW_SECONDS, storage=StorageType.MEMORY, history=1)
        )
    except BadRequestError:
        return await js.key_value(BUCKET)
