"""Request/reply on plain nats-py subscriptions, for the requests that come in thousands a second.

FastStream's subscriber pipeline costs about 0.65 ms of CPU per request here, against 0.03 ms
for a bare nats-py responder (measured side by side); at 600 agent check-ins/s that pipeline
alone would take most of a core. This keeps what it gave us that matters on this path: bounded
concurrency (each request its own task, ``workers`` at most), the caller's trace context
continued from the message headers, and a graceful stop that drains the subscription and lets
requests in flight finish.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from opentelemetry import propagate, trace

from migrator_platform.metrics import RPC_REQUESTS, RPC_SECONDS
from migrator_platform.structured_logs import get_logger

log = get_logger(__name__)
tracer = trace.get_tracer("migrator.responder")

Handler = Callable[[bytes], Awaitable[bytes]]


class Responder:
    """Answers ``subject`` in a queue group (replicas share the requests) with ``handler``."""

    def __init__(self, subject: str, handler: Handler, *, queue: str, workers: int = 64) -> None:
        self.subject, self._handler, self._queue = subject, handler, queue
        self._slots = asyncio.Semaphore(workers)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._subscription: Subscription | None = None
        self._requests, self._seconds = RPC_REQUESTS.labels(subject), RPC_SECONDS.labels(subject)

    async def start(self, connection: Client) -> None:
        """Subscribe, and return once the server has the subscription: a service reports ready
        after this, and a request sent then must find a responder, not "no responders"."""
        self._subscription = await connection.subscribe(self.subject, queue=self._queue, cb=self._received)
        await connection.flush()

    async def _received(self, msg: Msg) -> None:
        await self._slots.acquire()  # backpressure: nats-py buffers the rest (pending limits)
        task = asyncio.create_task(self._answer(msg))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _answer(self, msg: Msg) -> None:
        started = time.perf_counter()
        try:
            context = propagate.extract(msg.headers or {})
            with tracer.start_as_current_span(
                f"{self.subject} process", context=context, kind=trace.SpanKind.SERVER
            ):
                reply = await self._handler(msg.data)
            if msg.reply:
                await msg.respond(reply)
            self._seconds.observe(time.perf_counter() - started)
            self._requests.inc()
        except Exception:  # the handler answers its own errors; this is the last resort
            log.exception("request not answered", subject=self.subject)
        finally:
            self._slots.release()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Take no new requests; wait (bounded) for those in flight."""
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None
        if self._in_flight:
            await asyncio.wait(list(self._in_flight), timeout=grace_seconds)
