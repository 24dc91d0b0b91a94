"""A lease on NATS KV: one replica at a time runs a section, across processes and machines.

``create`` on a key succeeds only if it is absent, so the replica that creates it holds the
lease; it deletes the key when done. A holder that dies leaves the key to the bucket's TTL, so
the lease is free again after ``ttl`` seconds at most. A section must finish well within the TTL.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from migrator_contracts.streams import LEASES_BUCKET
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BadRequestError, KeyWrongLastSequenceError

if TYPE_CHECKING:
    from nats.js import JetStreamContext
    from nats.js.kv import KeyValue

BUCKET = LEASES_BUCKET


class KvLease:
    """``async with lease.hold(): ...`` waits for the lease, runs the block, releases it.
    ``jetstream`` is called at the first hold (a service connects after it is wired)."""

    def __init__(
        self,
        jetstream: Callable[[], JetStreamContext],
        key: str,
        *,
        ttl_seconds: float = 30.0,
        poll_seconds: float = 0.02,
    ) -> None:
        self._jetstream, self._key, self._ttl, self._poll = jetstream, key, ttl_seconds, poll_seconds
        self._kv: KeyValue | None = None
        self._owner = f"{socket.gethostname()}:{os.getpid()}".encode()

    async def _bucket(self) -> KeyValue:
        if self._kv is None:
            js = self._jetstream()
            try:
                self._kv = await js.create_key_value(
                    KeyValueConfig(bucket=BUCKET, ttl=self._ttl, history=1, storage=StorageType.FILE)
                )
            except BadRequestError:  # another replica created it first
                self._kv = await js.key_value(BUCKET)
        return self._kv

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        kv = await self._bucket()
        while True:
            try:
                revision = await kv.create(self._key, self._owner)
                break
            except KeyWrongLastSequenceError:  # held by another replica
                await asyncio.sleep(self._poll)
        try:
            yield
        finally:
            try:
                await kv.delete(self._key, last=revision)
            except KeyWrongLastSequenceError:
                pass  # expired and taken by another replica meanwhile: not ours to delete
