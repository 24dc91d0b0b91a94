"""The bus: a FastStream NATS broker with tracing, idempotent stream provisioning, publishing."""

from __future__ import annotations

import inspect
import logging
import random
import re
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from faststream.nats import NatsBroker
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from migrator_contracts.base import Message
from migrator_contracts.streams import ALL_STREAMS, StreamSpec
from nats import errors as nats_errors
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NoStreamResponseError, ServiceUnavailableError
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from pydantic.alias_generators import to_camel

from migrator_platform.structured_logs import get_logger

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.js import JetStreamContext
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider

log = get_logger(__name__)
_tracer = trace.get_tracer("migrator.bus")


def create_broker(
    *, nats_url: str, service: str, tracer_provider: TracerProvider | None = None
) -> NatsBroker:
    """A broker whose every publish and consume carries W3C trace context in its headers.
    ``nats_url`` may list several servers of a cluster, comma-separated."""
    return NatsBroker(
        [url.strip() for url in nats_url.split(",") if url.strip()],
        name=f"migrator-{service}",
        middlewares=[NatsTelemetryMiddleware(tracer_provider=tracer_provider)],
        graceful_timeout=30.0,
        max_reconnect_attempts=-1,
        # FastStream's own messages go through our JSON logging, and its per-message lines stay at DEBUG.
        logger=logging.getLogger("migrator.bus"),
        log_level=logging.DEBUG,
    )


def _stream_config(spec: StreamSpec, replicas: int) -> StreamConfig:
    return StreamConfig(
        num_replicas=replicas,
        name=spec.name,
        subjects=list(spec.subjects),
        retention=RetentionPolicy.WORK_QUEUE if spec.work_queue else RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=spec.max_age_seconds,
        duplicate_window=spec.duplicate_window_seconds,
    )


async def provision_streams(
    js: JetStreamContext, specs: tuple[StreamSpec, ...] = ALL_STREAMS, *, replicas: int = 1
) -> None:
    """Create each stream, or bring an existing one up to date; safe to run from every replica.
    ``replicas``: copies of each stream in a NATS cluster (3 on a 3-node cluster, so a node can
    be lost without losing a message; 1 on a single server)."""
    for spec in specs:
        config = _stream_config(spec, replicas)
        try:
            await js.add_stream(config)
        except BadRequestError:
            # Already there with other settings (e.g. an older max_age): converge instead.
            await js.update_stream(config)
    log.debug("streams provisioned", streams=[s.name for s in specs])


# --- what a service sends ------------------------------------------------------------------------

Send = tuple[str, type[Message]]  # a subject (``{param}``: one token) and the message sent on it


class UndeclaredSend(TypeError):
    """A publish or request its service did not declare with :func:`declare_sends` (or with
    another message than declared): a bug, refused so the AsyncAPI document cannot miss a send."""


class _Sends:
    """A broker's declared sends, matched in one regular expression."""

    def __init__(self) -> None:
        self.declared: dict[str, type[Message]] = {}
        self._models: list[type[Message]] = []
        self._match: Callable[[str], re.Match[str] | None] = re.compile("(?!)").fullmatch

    def add(self, subject: str, message: type[Message]) -> None:
        if self.declared.setdefault(subject, message) is not message:
            raise ValueError(f"{subject} is declared with {self.declared[subject].__name__} already")
        templates = list(self.declared.items())
        self._models = [model for _, model in templates]
        alternatives = (
            f"(?P<s{i}>{'[^.]+'.join(re.escape(part) for part in _PARAM.split(subject))})"
            for i, (subject, _) in enumerate(templates)
        )
        self._match = re.compile("|".join(alternatives)).fullmatch

    def check(self, subject: str, message: Message) -> None:
        found = self._match(subject)
        if found is None or found.lastgroup is None:
            raise UndeclaredSend(f"{subject} is not among the sends this service declared")
        model = self._models[int(found.lastgroup[1:])]
        if type(message) is not model:
            carried = type(message).__name__
            raise UndeclaredSend(f"{subject} is declared to carry {model.__name__}, not {carried}")


_PARAM = re.compile(r"\{\w+\}")
_SENDS: weakref.WeakKeyDictionary[NatsBroker, _Sends] = weakref.WeakKeyDictionary()


def declare_sends(broker: NatsBroker, *sends: Send) -> None:
    """Declare what this service publishes or requests. FastStream documents each as a publisher
    (a send operation of the AsyncAPI document), and once a broker has any, :func:`publish` and
    :func:`check_send` refuse what is not among them."""
    declared = _SENDS.setdefault(broker, _Sends())
    for subject, message in sends:
        declared.add(subject, message)
        broker.publisher(subject, schema=message, title=f"{subject}:{message.__name__}")


def declared_sends(broker: NatsBroker) -> dict[str, type[Message]]:
    """What :func:`declare_sends` declared on ``broker``: subject → message."""
    found = _SENDS.get(broker)
    return dict(found.declared) if found else {}


def check_send(broker: NatsBroker, subject: str, message: Message) -> None:
    """Raise :class:`UndeclaredSend` unless ``message`` on ``subject`` was declared (a broker
    that declared nothing, as a test's, is not checked)."""
    declared = _SENDS.get(broker)
    if declared is not None:
        declared.check(subject, message)


def event_send(builder: Callable[[str, str], str], event: type[Message]) -> Send:
    """An event's send, from its subject builder: ``migrator.evt.job.{jobId}.JobStarted``."""
    aggregate = next(iter(inspect.signature(builder).parameters))
    return builder("{" + to_camel(aggregate) + "}", event.__name__), event


class MessageTooLarge(ValueError):
    """A message bigger than the server accepts (``max_payload``, 1 MB by default)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"message of {size} bytes exceeds the bus limit of {limit} bytes")
        self.size, self.limit = size, limit


class BusUnavailable(ConnectionError):
    """NATS is unreachable, or JetStream did not confirm the message: retry later.

    Whether the message was stored is unknown after a lost acknowledgement; a retry with the
    same ``Nats-Msg-Id`` inside the stream's duplicate window is stored at most once."""


# What a publish raises while the server is down, restarting, or not yet serving JetStream.
UNAVAILABLE_ERRORS = (
    nats_errors.NoRespondersError,
    nats_errors.TimeoutError,
    nats_errors.ConnectionClosedError,
    nats_errors.StaleConnectionError,
    nats_errors.OutboundBufferLimitError,
    NoStreamResponseError,
    ServiceUnavailableError,  # JetStream still recovering after a restart
    TimeoutError,
)

HEADROOM = 4096  # headers (Nats-Msg-Id, traceparent, …) travel in the same payload


async def publish(broker: NatsBroker, subject: str, message: Message, *, msg_id: str) -> bool:
    """Publish to JetStream with ``Nats-Msg-Id`` so a retried publish is stored once.
    Returns False when JetStream reported a duplicate; :class:`MessageTooLarge` before
    sending anything the server would refuse; :class:`BusUnavailable` at once while the
    connection is down (rather than after a publish timeout), or when no ack came."""
    check_send(broker, subject, message)
    payload = message.to_json()
    connection = broker.connection
    limit = connection.max_payload - HEADROOM
    if len(payload) > limit:
        raise MessageTooLarge(len(payload), limit)
    if not connection.is_connected:
        raise BusUnavailable(f"not connected to NATS; {subject} not published")
    # Straight to JetStream with our own producer span: FastStream's publish pipeline cost a
    # third of the publish rate (bench/bus_bench.py), and its consumers read the same header.
    headers = {"Nats-Msg-Id": msg_id, "Content-Type": "application/json"}
    parent = trace.get_current_span().get_span_context()
    if not _may_record(parent):
        # Nobody will record this span: pass the trace on without making one (a span costs a
        # fifth of a publish here), so logs on both sides still share a trace id.
        propagate.inject(headers, context=None if parent.is_valid else _fresh_unsampled_trace())
        return await _send(connection, subject, payload, headers)
    attributes = {
        "messaging.system": "nats",
        "messaging.destination.name": subject,
        "messaging.message.id": msg_id,
    }
    with _tracer.start_as_current_span(f"{subject} publish", kind=SpanKind.PRODUCER, attributes=attributes):
        propagate.inject(headers)
        return await _send(connection, subject, payload, headers)


async def _send(connection: Client, subject: str, payload: bytes, headers: dict[str, str]) -> bool:
    try:
        ack = await connection.jetstream().publish(
            subject, payload, headers=headers, stream=_stream_for(subject)
        )
    except UNAVAILABLE_ERRORS as exc:
        raise BusUnavailable(f"JetStream did not confirm {subject}: {exc!r}") from exc
    return not ack.duplicate


def _may_record(parent: SpanContext) -> bool:
    """Whether a producer span could be recorded: under a sampled parent, or as a new trace when
    the sampler is not off (no exporter means ``ALWAYS_OFF``; an unsampled parent stays so)."""
    if parent.is_valid:
        return parent.trace_flags.sampled
    return getattr(trace.get_tracer_provider(), "sampler", None) is not ALWAYS_OFF


def _fresh_unsampled_trace() -> Context:
    """A new, unsampled trace to propagate, as the SDK would start one (random W3C ids)."""
    span = NonRecordingSpan(
        SpanContext(
            trace_id=random.getrandbits(128),
            span_id=random.getrandbits(64),
            is_remote=False,
            trace_flags=TraceFlags(TraceFlags.DEFAULT),
        )
    )
    return trace.set_span_in_context(span)


def _stream_for(subject: str) -> str:
    for spec in ALL_STREAMS:
        if any(subject.startswith(s.rstrip(">")) for s in spec.subjects):
            return spec.name
    raise ValueError(f"no stream captures {subject}")


class Publisher(Protocol):
    """The port handlers publish through: a command or event to JetStream, de-duplicated by
    ``msg_id``. :class:`BusPublisher` over a broker; a recorder in tests."""

    async def publish(self, subject: str, message: Message, *, msg_id: str) -> None: ...


class BusPublisher:
    """The :class:`Publisher` over this broker."""

    def __init__(self, broker: NatsBroker) -> None:
        self._broker = broker

    async def publish(self, subject: str, message: Message, *, msg_id: str) -> None:
        """Publish with ``Nats-Msg-Id`` de-duplication."""
        await publish(self._broker, subject, message, msg_id=msg_id)
