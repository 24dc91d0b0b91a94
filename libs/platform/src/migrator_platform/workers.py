"""Which command subjects have a running consumer: every service announces its own on NATS KV.

A JetStream durable outlives the process that reads it, so its existence says nothing of
whether anyone is there. Each running service puts one key per command subject it consumes
(``migrator.cmd.mailbox.migrate``) every ``interval`` seconds into a bucket whose entries expire
after three intervals; a subject whose key is there has a consumer alive now. The bucket is on
disk, so a restarted bus still knows who is running; one that was lost is made again at the
next announcement. The gateway
refuses a job no connector can run, and the scheduler tells a unit that is merely queued behind
busy connectors from one that nobody will ever start.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from migrator_contracts.streams import WORKERS_BUCKET
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BadRequestError, BucketNotFoundError, KeyNotFoundError, NoStreamResponseError

if TYPE_CHECKING:
    from nats.js import JetStreamContext
    from nats.js.kv import KeyValue

BUCKET = WORKERS_BUCKET


class WorkerPresence:
    """Announce this process's command subjects, or ask whether a subject has a live consumer.
    ``jetstream`` is called at first use (a service connects after it is wired)."""

    def __init__(self, jetstream: Callable[[], JetStreamContext], *, interval_seconds: float = 10.0) -> None:
        self._jetstream, self.interval = jetstream, interval_seconds
        self._kv: KeyValue | None = None
        self._instance = f"{socket.gethostname()}:{os.getpid()}"

    async def _bucket(self, *, create: bool) -> KeyValue | None:
        if self._kv is None:
            js = self._jetstream()
            try:
                self._kv = await js.key_value(BUCKET)
            except BucketNotFoundError:
                if not create:
                    return None  # nothing was ever announced
                try:
                    self._kv = await js.create_key_value(
                        KeyValueConfig(
                            bucket=BUCKET, ttl=3 * self.interval, history=1, storage=StorageType.FILE
                        )
                    )
                except BadRequestError:  # another service created it first (or an older one, in memory)
                    self._kv = await js.key_value(BUCKET)
        return self._kv

    async def announce(self, subjects: Iterable[str], *, service: str) -> None:
        """This process consumes ``subjects`` now (run every ``interval`` seconds)."""
        value = json.dumps({"service": service, "instance": self._instance, "at": time.time()}).encode()
        for attempt in (1, 2):
            kv = await self._bucket(create=True)
            assert kv is not None
            try:
                for subject in subjects:
                    await kv.put(subject, value)
                return
            except NoStreamResponseError:
                # The bucket is gone (deleted, or an in-memory one across a bus restart): until it
                # is made again every put fails, and every connector would look stopped for good.
                self._kv = None
                if attempt == 2:
                    raise

    async def running(self, subject: str) -> bool:
        """True when some process announced a consumer of ``subject`` within the last three intervals."""
        kv = await self._bucket(create=False)
        if kv is None:
            return False
        try:
            entry = await kv.get(subject)
        except KeyNotFoundError:
            return False
        return entry.value is not None and entry.operation is None
