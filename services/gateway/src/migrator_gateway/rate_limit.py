"""Per-organisation rate limiting shared by every gateway replica (a NATS KV counter per minute).

A fixed one-minute window per organisation: the counter lives in a JetStream key-value bucket,
incremented by compare-and-set, so replicas agree without a coordinator. Old windows expire
with the bucket's TTL. One organisation's counter never touches another's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BadRequestError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

BUCKET = "MIGRATOR_RATE_LIMITS"
WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Decision:
    """Whether the request may proceed, and if not, after how many seconds to retry."""

    allowed: bool
    retry_after: int = 0


class RateLimiter:
    """``limit`` requests per organisation per minute, across all replicas."""

    def __init__(self, kv: KeyValue, *, limit: int, clock: Callable[[], float] = time.time) -> None:
        self._kv, self._limit, self._clock = kv, limit, clock

    @classmethod
    async def open(
        cls, js: JetStreamContext, *, limit: int, clock: Callable[[], float] = time.time
    ) -> RateLimiter:
        """The shared bucket (created by the first replica, found by the others)."""
        try:
            kv = await js.create_key_value(
                KeyValueConfig(bucket=BUCKET, ttl=3 * WINDOW_SECONDS, storage=StorageType.MEMORY, history=1)
            )
        except BadRequestError:
            kv = await js.key_value(BUCKET)
        return cls(kv, limit=limit, clock=clock)

    async def hit(self, org_id: str) -> Decision:
        """Count one request of ``org_id`` in the current window."""
        now = self._clock()
        window = int(now // WINDOW_SECONDS)
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))
        key = f"{org_id}.{window}"
        for _ in range(50):  # compare-and-set; contention only between replicas serving one org
            try:
                entry = await self._kv.get(key)
            except KeyNotFoundError:
                try:
                    await self._kv.create(key, b"1")
                    return Decision(True)
                except (KeyWrongLastSequenceError, BadRequestError):
                    continue  # another replica created it first
            count = int(entry.value or b"0")
            if count >= self._limit:
                return Decision(False, retry_after)
            try:
                await self._kv.update(key, str(count + 1).encode(), last=entry.revision)
                return Decision(True)
            except (KeyWrongLastSequenceError, BadRequestError):
                continue
        # Under extreme contention, fail open for this request rather than reject a valid one.
        return Decision(True)
