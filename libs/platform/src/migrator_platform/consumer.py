"""Durable JetStream consumers with typed messages, explicit acks and dead-lettered poison.

A handler takes its contract (a pydantic :class:`Message`): FastStream decodes and validates
each message into it, and so documents every subscriber with its payload. One middleware,
:class:`Settlement`, decides how each message ends. A message that is not valid JSON or does
not match its contract can never succeed: it is published to ``migrator.dlq.<subject>`` and
acked at once, so the consumer goes on. A handler that raises is nak'ed with backoff and
redelivered; after ``max_deliver`` attempts the message is dead-lettered too. While a handler
runs, its messages' ack deadlines are extended, so only a process gone makes JetStream
redeliver. Handlers must be idempotent: delivery is at-least-once.

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
from typing import TYPE_CHECKING, Any, TypeVar

import nats.errors
from faststream import BaseMiddleware, ContextRepo
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
# Each durable's handlers at once per replica, as this process configures it (documented by
# the AsyncAPI document, which the handbook's consumer table is checked against).
_workers: dict[str, int] = {}


def configured_durables() -> list[tuple[str, str]]:
    """(stream, durable) of every durable consumer this process reads."""
    return sorted(_configured)


def durable_workers(durable: str) -> int:
    """How many of ``durable``'s messages this process handles at once (1 if it has no such durable)."""
    return _workers.get(durable, 1)


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


class Settlement(BaseMiddleware):
    """The one FastStream middleware our durables' messages pass through (a broker's other
    subscribers, plain request/reply, pass untouched): it keeps the handler's messages alive
    while it runs, then acks them, retries them with backoff, or dead-letters them, and counts
    each outcome. FastStream has decoded and validated the payload by the time the handler
    sees it; a payload that can never validate is dead-lettered here."""

    async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: Any) -> Any:
        outcomes = _settlements(self.context).get(self.context.get_local("handler_"))
        if outcomes is None:
            return await call_next(msg)
        await outcomes.settle(call_next, msg)
        return None


def _settlements(context: ContextRepo) -> dict[object, _Outcomes]:
    """The broker's durables (FastStream subscribers) and how their messages end."""
    registry: dict[object, _Outcomes] | None = context.get(_SETTLEMENTS)
    if registry is None:
        registry = {}
        context.set_global(_SETTLEMENTS, registry)
    return registry


_SETTLEMENTS = "migrator_settlements"


class _Outcomes:
    """How one durable's messages end: acked, retried with backoff, or dead-lettered (poison
    at once; a failing handler's at its last attempt); counted in the metrics either way."""

    def __init__(
        self,
        broker: NatsBroker,
        durable: str,
        model: type[Message],
        max_deliver: int,
        ack_wait_seconds: float,
    ) -> None:
        self._broker, self._model, self._max_deliver = broker, model, max_deliver
        self._keep_alive_every = ack_wait_seconds / 3
        self._acked, self._retried, self._dead_lettered = (
            MESSAGES_HANDLED.labels(durable, o) for o in ("acked", "retried", "dead_lettered")
        )
        self.handler_seconds = HANDLER_SECONDS.labels(durable)

    async def settle(self, call_next: Callable[[Any], Awaitable[Any]], msg: Any) -> None:
        """Run the handler (``call_next`` decodes, validates and calls it) and settle every
        message it was handed. A batch with poison in it is handed again without it."""
        messages: list[Msg] = msg.raw_message if isinstance(msg.raw_message, list) else [msg.raw_message]
        while messages:
            started = time.perf_counter()
            failure = await self._run(call_next, msg, messages)
            invalid = {} if failure is None else {id(m): e for m in messages if (e := self._invalid(m))}
            if not invalid:  # the handler ran
                self.handler_seconds.observe(time.perf_counter() - started)
                for raw in messages:
                    await self._handled(raw, failure)
                return
            for raw in messages:
                if error := invalid.get(id(raw)):
                    log.warning("malformed message dead-lettered", subject=raw.subject, error=error[:300])
                    await self._give_up(raw, f"invalid: {error}")
            messages = [m for m in messages if id(m) not in invalid]
            if messages:  # the rest of a batch, decoded again without the poison
                msg.raw_message = messages
                msg.clear_cache()

    def _invalid(self, raw: Msg) -> str | None:
        """Why ``raw`` can never match the contract, or None if it does."""
        try:
            self._model.model_validate_json(raw.data)
        except ValidationError as exc:  # invalid JSON too
            return str(exc)
        return None

    async def _run(
        self, call_next: Callable[[Any], Awaitable[Any]], msg: Any, messages: list[Msg]
    ) -> Exception | None:
        """Await the handler while keeping ``messages`` alive: JetStream redelivers a message
        only once the process handling it is gone, never to a second worker beside a slow
        first (a site imported twice, a duplicate version of every file)."""
        keep_alive = asyncio.create_task(self._keep_alive(messages))
        try:
            await call_next(msg)
        except Exception as exc:
            return exc
        finally:
            keep_alive.cancel()
        return None

    async def _keep_alive(self, messages: list[Msg]) -> None:
        while True:
            await asyncio.sleep(self._keep_alive_every)
            try:
                for msg in messages:
                    await msg.in_progress()
            except Exception as exc:  # the bus reconnecting: tried again at the next beat
                log.warning("could not extend an ack deadline", subject=messages[0].subject, error=repr(exc))

    async def _handled(self, msg: Msg, failure: Exception | None) -> None:
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
    outcomes: _Outcomes,
    *,
    subject: str,
    stream: StreamSpec,
    durable: str,
    pull_sub: PullSub,
    ack_wait_seconds: float,
    max_deliver: int,
    max_workers: int = 1,
) -> Callable[[Callable[..., Awaitable[None]]], object]:
    """FastStream's subscriber decorator for one of our durables (recorded for convergence and,
    on the command stream, for presence): manual acks, settled by :class:`Settlement`, and one
    more delivery than ``max_deliver`` as headroom for a crash before the last attempt's
    dead-lettering."""
    _configured[(stream.name, durable)] = (ack_wait_seconds, max_deliver + 1)
    _workers[durable] = max_workers
    if stream.name == COMMANDS.name:
        _commands.add(subject)
    if Settlement not in broker.config.broker_middlewares:
        broker.add_middleware(Settlement)
    subscriber = broker.subscriber(
        subject,
        stream=JStream(stream.name, declare=False),
        durable=durable,
        pull_sub=pull_sub,
        ack_policy=AckPolicy.MANUAL,
        max_workers=max_workers,
        config=ConsumerConfig(ack_wait=ack_wait_seconds, max_deliver=max_deliver + 1),
        title=f"{durable}:{subject}",
    )
    _settlements(broker.context)[subscriber] = outcomes
    _fetch_timeouts_as_nats(subscriber)
    return subscriber


def _fetch_timeouts_as_nats(subscriber: Any) -> None:
    """Make the subscription's ``fetch`` time out only with ``nats.errors.TimeoutError``.

    nats-py (2.16) raises the builtin ``TimeoutError`` from a batch fetch whose deadline runs
    out between its two pull requests; FastStream (0.7.8) catches only nats-py's own. Its pull
    loop then dies and is restarted, and a batch consumer drops the messages it had already
    fetched for that batch: JetStream redelivers them only after the ack wait, so meanwhile a
    projection misses lines that came before ones it stored."""
    create = subscriber._create_subscription

    async def create_subscription() -> None:
        await create()
        fetch = subscriber.subscription.fetch

        async def fetch_timing_out_as_nats(*args: Any, **kwargs: Any) -> list[Msg]:
            try:
                messages: list[Msg] = await fetch(*args, **kwargs)
            except nats.errors.TimeoutError:
                raise
            except TimeoutError as exc:
                raise nats.errors.TimeoutError from exc
            return messages

        subscriber.subscription.fetch = fetch_timing_out_as_nats

    subscriber._create_subscription = create_subscription


def _typed(consume: Callable[..., Awaitable[None]], payload: object) -> Callable[..., Awaitable[None]]:
    """``consume`` with its parameter typed as ``payload``: FastStream validates the message
    into it, and documents it (``faststream docs``) as that contract."""
    consume.__annotations__ = {"message": payload, "return": None}
    return consume


def _raw(broker: NatsBroker) -> Msg:
    # From FastStream's context, not a ``NatsMessage`` parameter: FastStream resolves such a
    # parameter on a worker thread, a thread hop for every message.
    raw: Msg = broker.context.get_local("message").raw_message
    return raw


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

    async def consume(message: M) -> None:
        await handler(message, Delivery(_raw(broker)))

    _durable(
        broker,
        _Outcomes(broker, durable, model, max_deliver, ack_wait_seconds),
        subject=subject,
        stream=stream,
        durable=durable,
        pull_sub=PullSub(batch_size=max(1, max_workers), timeout=1.0),
        ack_wait_seconds=ack_wait_seconds,
        max_deliver=max_deliver,
        max_workers=max_workers,
    )(_typed(consume, model))


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

    async def consume(message: list[M]) -> None:
        raws: list[Msg] = _raw(broker)  # type: ignore[assignment]  # a batch's raw message is the list
        await handler([(m, Delivery(raw)) for m, raw in zip(message, raws, strict=True)])

    _durable(
        broker,
        _Outcomes(broker, durable, model, max_deliver, ack_wait_seconds),
        subject=subject,
        stream=stream,
        durable=durable,
        # An idle consumer's fetch is a long poll that, once a message comes, waits out the
        # rest of its timeout for more: kept short, a lone message is not held back for long.
        pull_sub=PullSub(batch_size=batch_size, timeout=BATCH_WAIT_SECONDS, batch=True),
        ack_wait_seconds=ack_wait_seconds,
        max_deliver=max_deliver,
    )(_typed(consume, list[model]))  # type: ignore[valid-type]
