"""Durable JetStream consumers that validate plain JSON, ack explicitly and dead-letter poison.

A message that is not valid JSON or does not match its contract can never succeed: it is
published to ``migrator.dlq.<subject>`` and acked at once, so the consumer goes on. A handler
that raises is nak'ed with backoff and redelivered; after ``max_deliver`` attempts the message
is dead-lettered too. While a handler runs, its messages' ack deadlines are extended, so only
a process gone makes JetStream redeliver. Handlers must be idempotent: delivery is
at-least-once.

:func:`subscribe` hands a handler one message; :func:`subscribe_batch` hands it every message
one fetch brought (up to ``batch_size``), for high-volume consumers whose per-message cost is
the pipeline rather than the work: FastStream's middlewares run once per batch, and the
handler can write the batch in one go.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from faststream.middlewares.acknowledgement.config import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub
from migrator_contracts.base import Message
from migrator_contracts.streams import COMMANDS, DEAD_LETTERS, StreamSpec
from migrator_contracts.subjects import dead_letter
from nats.js.errors import NotFoundError
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from migrator_platform.metrics import HANDLER_SECONDS, MESSAGES_HANDLED
from migrator_platform.structured_logs import get_logger

if TYPE_CHECKING:
    from nats.aio.msg import Msg
    from nats.js import JetStreamContext

M = TypeVar("M", bound=Message)
log = get_logger(__name__)
_tracer = trace.get_tracer("migrator.bus")


class Rejected(Exception):
    """Raised by a handler for a well-formed message that can never be applied (a device that
    does not exist, a payload its type refuses): it is dead-lettered at once with this reason,
    where an operator finds it, instead of being retried or dropped."""


class Delivery:
    """What a handler may know about the message it handles, without seeing the broker."""

    def __init__(self, message: Msg) -> None:
        self._message = message
        metadata = message.metadata
        self.attempt = int(metadata.num_delivered)
        self.stream_seq = int(metadata.sequence.stream)
        self.subject = message.subject

    async def still_working(self) -> None:
        """Extend the ack deadline now (the consumer also does, every third of it, for as
        long as the handler runs)."""
        await self._message.in_progress()

    @contextmanager
    def traced(self, name: str) -> Iterator[None]:
        """A span in the trace this message was published in. A batch's handler runs under
        one span of its own (linked to every message's trace); the work it does for one
        message, under this, stays in that message's trace."""
        context = propagate.extract(self._message.headers or {})
        with _tracer.start_as_current_span(name, context=context, kind=SpanKind.CONSUMER):
            yield


def _backoff(attempt: int) -> float:
    return float(min(2 ** (attempt - 1), 30))


async def _dead_letter(broker: NatsBroker, msg: Msg, *, reason: str) -> None:
    headers = {
        "Migrator-Original-Subject": msg.subject,
        "Migrator-Reason": reason[:500],
        "Migrator-Deliveries": str(msg.metadata.num_delivered),
        "Nats-Msg-Id": f"dlq:{msg.metadata.stream}:{msg.metadata.sequence.stream}",
    }
    await broker.publish(msg.data, dead_letter(msg.subject), headers=headers, stream=DEAD_LETTERS.name)


# The longest a batch consumer holds a message while it waits for more to come.
BATCH_WAIT_SECONDS = 0.1

# Each durable's settings as this process configures them: (ack wait seconds, max deliver).
_configured: dict[tuple[str, str], tuple[float, int]] = {}
# The command subjects this process consumes (it announces them: see workers.WorkerPresence).
_commands: set[str] = set()


def configured_durables() -> list[tuple[str, str]]:
    """(stream, durable) of every durable consumer this process reads."""
    return sorted(_configured)


def consumed_commands() -> list[str]:
    """Every command subject this process has a consumer of."""
    return sorted(_commands)


async def converge_consumers(js: JetStreamContext) -> None:
    """Bring existing durables to the configured ack wait and max deliver. A durable keeps the
    settings it was created with, whatever a later start asks; a raised ``MIGRATOR_MAX_DELIVER``
    would then stop delivery before the handler's last attempt, leaving the message neither
    handled nor dead-lettered. Every replica converges to the same values."""
    for (stream, durable), (ack_wait, max_deliver) in sorted(_configured.items()):
        try:
            info = await js.consumer_info(stream, durable)
        except NotFoundError:
            continue
        config = info.config
        if config.ack_wait == ack_wait and config.max_deliver == max_deliver:
            continue
        log.info(
            "consumer settings updated",
            consumer=durable,
            ack_wait=[config.ack_wait, ack_wait],
            max_deliver=[config.max_deliver, max_deliver],
        )
        config.ack_wait, config.max_deliver = ack_wait, max_deliver
        await js.add_consumer(stream, config=config)


class _Outcomes:
    """How one durable's messages end: parsed or dead-lettered as poison, then acked, retried
    with backoff, or dead-lettered; counted in the metrics either way."""

    def __init__(self, broker: NatsBroker, durable: str, max_deliver: int, ack_wait_seconds: float) -> None:
        self._broker, self._max_deliver = broker, max_deliver
        self._keep_alive_every = ack_wait_seconds / 3
        self._acked, self._retried, self._dead_lettered = (
            MESSAGES_HANDLED.labels(durable, o) for o in ("acked", "retried", "dead_lettered")
        )
        self.handler_seconds = HANDLER_SECONDS.labels(durable)

    async def parsed(self, msg: Msg, model: type[M]) -> M | None:
        """The message as its contract, or None when it is poison (dead-lettered here)."""
        try:
            return model.model_validate_json(msg.data)
        except ValidationError as exc:  # invalid JSON too
            log.warning("malformed message dead-lettered", subject=msg.subject, error=str(exc)[:300])
            await self._give_up(msg, f"invalid: {exc}")
            return None

    async def run(self, call: Awaitable[None], messages: list[Msg]) -> None:
        """Await a handler's ``call`` for ``messages``, then settle each. Meanwhile they are
        kept alive: JetStream redelivers a message only once the process handling it is gone,
        never to a second worker beside a slow first (a site imported twice, a duplicate
        version of every file)."""
        keep_alive = asyncio.create_task(self._keep_alive(messages))
        failure: Exception | None = None
        started = time.perf_counter()
        try:
            await call
        except Exception as exc:
            failure = exc
        finally:
            keep_alive.cancel()
        self.handler_seconds.observe(time.perf_counter() - started)
        for msg in messages:
            await self.handled(msg, failure)

    async def _keep_alive(self, messages: list[Msg]) -> None:
        while True:
            await asyncio.sleep(self._keep_alive_every)
            try:
                for msg in messages:
                    await msg.in_progress()
            except Exception as exc:  # the bus reconnecting: tried again at the next beat
                log.warning("could not extend an ack deadline", subject=messages[0].subject, error=repr(exc))

    async def handled(self, msg: Msg, failure: Exception | None) -> None:
        attempt = int(msg.metadata.num_delivered)
        if failure is None:
            await msg.ack()
            self._acked.inc()
        elif isinstance(failure, Rejected):
            log.warning("message rejected, dead-lettered", subject=msg.subject, reason=str(failure)[:300])
            await self._give_up(msg, f"rejected: {failure}")
        elif attempt >= self._max_deliver:
            log.error(
                "handler failed for good, dead-lettered",
                subject=msg.subject,
                attempt=attempt,
                error=repr(failure)[:300],
            )
            await self._give_up(msg, f"failed {attempt}x: {failure!r}")
        else:
            log.warning(
                "handler failed, will retry",
                subject=msg.subject,
                attempt=attempt,
                error=repr(failure)[:300],
                exc_info=failure,
            )
            await msg.nak(delay=_backoff(attempt))
            self._retried.inc()

    async def _give_up(self, msg: Msg, reason: str) -> None:
        await _dead_letter(self._broker, msg, reason=reason)
        await msg.ack()  # the consumer goes on
        self._dead_lettered.inc()


def _durable(
    broker: NatsBroker,
    *,
    subject: str,
    stream: StreamSpec,
    durable: str,
    pull_sub: PullSub,
    ack_wait_seconds: float,
    max_deliver: int,
    max_workers: int = 1,
) -> Callable[[Callable[[], Awaitable[None]]], object]:
    """FastStream's subscriber decorator for one of our durables (recorded for convergence and,
    on the command stream, for presence): manual acks, and one more delivery than
    ``max_deliver`` as headroom for a crash before the last attempt's dead-lettering."""
    _configured[(stream.name, durable)] = (ack_wait_seconds, max_deliver + 1)
    if stream.name == COMMANDS.name:
        _commands.add(subject)
    subscriber: Callable[[Callable[[], Awaitable[None]]], object] = broker.subscriber(
        subject,
        stream=JStream(stream.name, declare=False),
        durable=durable,
        pull_sub=pull_sub,
        ack_policy=AckPolicy.MANUAL,
        max_workers=max_workers,
        config=ConsumerConfig(ack_wait=ack_wait_seconds, max_deliver=max_deliver + 1),
        title=f"{durable}:{subject}",
    )
    return subscriber


def subscribe(
    broker: NatsBroker,
    *,
    subject: str,
    stream: StreamSpec,
    durable: str,
    model: type[M],
    handler: Callable[[M, Delivery], Awaitable[None]],
    ack_wait_seconds: float = 30.0,
    max_deliver: int = 5,
    max_workers: int = 1,
) -> None:
    """Register ``handler`` on a durable pull consumer of ``stream`` filtered to ``subject``."""
    outcomes = _Outcomes(broker, durable, max_deliver, ack_wait_seconds)

    @_durable(
        broker,
        subject=subject,
        stream=stream,
        durable=durable,
        pull_sub=PullSub(batch_size=max(1, max_workers), timeout=1.0),
        ack_wait_seconds=ack_wait_seconds,
        max_deliver=max_deliver,
        max_workers=max_workers,
    )
    async def _consume() -> None:
        # The message from FastStream's context, not a ``NatsMessage`` parameter: FastStream
        # resolves such a parameter on a worker thread, a thread hop for every message.
        raw = broker.context.get_local("message").raw_message
        parsed = await outcomes.parsed(raw, model)
        if parsed is not None:
            await outcomes.run(handler(parsed, Delivery(raw)), [raw])


def subscribe_batch(
    broker: NatsBroker,
    *,
    subject: str,
    stream: StreamSpec,
    durable: str,
    model: type[M],
    handler: Callable[[list[tuple[M, Delivery]]], Awaitable[None]],
    batch_size: int = 100,
    ack_wait_seconds: float = 30.0,
    max_deliver: int = 5,
) -> None:
    """Register ``handler`` on a durable pull consumer that is handed up to ``batch_size``
    messages at once, in stream order. The batch succeeds or fails as one: a handler that
    raises has every message of it retried (or dead-lettered at its last attempt), so it must
    be idempotent per message; :class:`Rejected` dead-letters the whole batch."""
    outcomes = _Outcomes(broker, durable, max_deliver, ack_wait_seconds)

    @_durable(
        broker,
        subject=subject,
        stream=stream,
        durable=durable,
        # An idle consumer's fetch is a long poll that, once a message comes, waits out the
        # rest of its timeout for more: kept short, a lone message is not held back for long.
        pull_sub=PullSub(batch_size=batch_size, timeout=BATCH_WAIT_SECONDS, batch=True),
        ack_wait_seconds=ack_wait_seconds,
        max_deliver=max_deliver,
    )
    async def _consume_batch() -> None:
        batch: list[tuple[M, Delivery]] = []
        raws: list[Msg] = []
        for raw in broker.context.get_local("message").raw_message:
            if (parsed := await outcomes.parsed(raw, model)) is not None:
                batch.append((parsed, Delivery(raw)))
                raws.append(raw)
        if batch:
            await outcomes.run(handler(batch), raws)
