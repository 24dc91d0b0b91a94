"""Durable JetStream consumers that validate plain JSON, ack explicitly and dead-letter poison.

A message that is not valid JSON or does not match its contract can never succeed: it is
published to ``migrator.dlq.<subject>`` and acked at once, so the consumer goes on. A handler
that raises is nak'ed with backoff and redelivered; after ``max_deliver`` attempts the message
is dead-lettered too. Handlers must be idempotent: delivery is at-least-once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from faststream.middlewares.acknowledgement.config import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from migrator_contracts.base import Message
from migrator_contracts.streams import COMMANDS, DEAD_LETTERS, StreamSpec
from migrator_contracts.subjects import dead_letter
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from migrator_platform.metrics import HANDLER_SECONDS, MESSAGES_HANDLED
from migrator_platform.structured_logs import get_logger

if TYPE_CHECKING:
    from faststream.nats.message import NatsMessage as NatsMessageType
    from nats.js import JetStreamContext

M = TypeVar("M", bound=Message)
log = get_logger(__name__)


class Rejected(Exception):
    """Raised by a handler for a well-formed message that can never be applied (a device that
    does not exist, a payload its type refuses): it is dead-lettered at once with this reason,
    where an operator finds it, instead of being retried or dropped."""


class Delivery:
    """What a handler may know about the message it handles, without seeing the broker."""

    def __init__(self, message: NatsMessageType) -> None:
        self._message = message
        metadata = message.raw_message.metadata
        self.attempt = int(metadata.num_delivered)
        self.stream_seq = int(metadata.sequence.stream)
        self.subject = message.raw_message.subject

    async def still_working(self) -> None:
        """Extend the ack deadline during a long job so JetStream does not redeliver it."""
        await self._message.in_progress()


def _backoff(attempt: int) -> float:
    return float(min(2 ** (attempt - 1), 30))


async def _dead_letter(broker: NatsBroker, msg: NatsMessageType, *, reason: str) -> None:
    headers = {
        "Migrator-Original-Subject": msg.raw_message.subject,
        "Migrator-Reason": reason[:500],
        "Migrator-Deliveries": str(msg.raw_message.metadata.num_delivered),
        "Nats-Msg-Id": f"dlq:{msg.raw_message.metadata.stream}:{msg.raw_message.metadata.sequence.stream}",
    }
    await broker.publish(
        msg.body, dead_letter(msg.raw_message.subject), headers=headers, stream=DEAD_LETTERS.name
    )


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
    _configured[(stream.name, durable)] = (ack_wait_seconds, max_deliver + 1)
    if stream.name == COMMANDS.name:
        _commands.add(subject)
    acked, retried, dead_lettered = (
        MESSAGES_HANDLED.labels(durable, o) for o in ("acked", "retried", "dead_lettered")
    )
    handler_seconds = HANDLER_SECONDS.labels(durable)

    async def give_up(msg: NatsMessageType, reason: str) -> None:
        await _dead_letter(broker, msg, reason=reason)
        await msg.ack()  # the consumer goes on
        dead_lettered.inc()

    @broker.subscriber(
        subject,
        stream=JStream(stream.name, declare=False),
        durable=durable,
        pull_sub=PullSub(batch_size=max(1, max_workers), timeout=1.0),
        ack_policy=AckPolicy.MANUAL,
        max_workers=max_workers,
        config=ConsumerConfig(ack_wait=ack_wait_seconds, max_deliver=max_deliver + 1),
        title=f"{durable}:{subject}",
    )
    async def _consume(msg: NatsMessage) -> None:
        subject_seen = msg.raw_message.subject
        try:
            parsed = model.model_validate(json.loads(msg.body))
        except (ValueError, ValidationError) as exc:  # JSONDecodeError is a ValueError
            log.warning("malformed message dead-lettered", subject=subject_seen, error=str(exc)[:300])
            await give_up(msg, f"invalid: {exc}")
            return
        delivery = Delivery(msg)
        failure: Exception | None = None
        started = time.perf_counter()
        try:
            await handler(parsed, delivery)
        except Exception as exc:
            failure = exc
        handler_seconds.observe(time.perf_counter() - started)
        if failure is None:
            await msg.ack()
            acked.inc()
        elif isinstance(failure, Rejected):
            log.warning("message rejected, dead-lettered", subject=subject_seen, reason=str(failure)[:300])
            await give_up(msg, f"rejected: {failure}")
        elif delivery.attempt >= max_deliver:
            log.error(
                "handler failed for good, dead-lettered",
                subject=subject_seen,
                attempt=delivery.attempt,
                error=repr(failure)[:300],
            )
            await give_up(msg, f"failed {delivery.attempt}x: {failure!r}")
        else:
            log.warning(
                "handler failed, will retry",
                subject=subject_seen,
                attempt=delivery.attempt,
                error=repr(failure)[:300],
                exc_info=failure,
            )
            await msg.nack(delay=_backoff(delivery.attempt))
            retried.inc()
