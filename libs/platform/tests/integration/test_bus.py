"""The bus against real NATS: retries then dead-letters, de-duplicates, carries trace context."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats
import pytest
from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI
from migrator_contracts.base import Message
from migrator_contracts.streams import COMMANDS, EVENTS
from migrator_devstack import infra
from migrator_platform.bus import (
    BusUnavailable,
    MessageTooLarge,
    UndeclaredSend,
    check_send,
    create_broker,
    declare_sends,
    declared_sends,
    provision_streams,
    publish,
)
from migrator_platform.consumer import Delivery, converge_consumers, subscribe, subscribe_batch
from migrator_platform.telemetry import configure_tracing
from nats.js import JetStreamContext
from opentelemetry import context, propagate

pytestmark = pytest.mark.integration


class Ping(Message):
    n: int


@pytest.fixture
async def broker(nats_url: str) -> AsyncIterator[NatsBroker]:
    broker = create_broker(
        nats_url=nats_url, service="test", tracer_provider=configure_tracing(service="test")
    )
    await broker.connect()
    await provision_streams(broker.connection.jetstream())
    await provision_streams(broker.connection.jetstream())  # idempotent
    yield broker
    await broker.stop()


async def _dead_letters(nats_url: str, subject: str) -> list[nats.aio.msg.Msg]:
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().subscribe(f"migrator.dlq.{subject}", ordered_consumer=True)
        out = []
        try:
            while True:
                out.append(await sub.next_msg(timeout=1))
        except nats.errors.TimeoutError:
            return out
    finally:
        await nc.close()


async def test_a_failing_handler_is_retried_then_dead_lettered_with_its_reason(
    broker: NatsBroker, nats_url: str
) -> None:
    attempts: list[int] = []

    async def always_fails(msg: Ping, delivery: Delivery) -> None:
        attempts.append(delivery.attempt)
        raise RuntimeError("downstream is down")

    subscribe(
        broker,
        subject="migrator.cmd.test.fail",
        stream=COMMANDS,
        durable="test-fail",
        model=Ping,
        handler=always_fails,
        max_deliver=2,
    )
    await broker.start()
    await publish(broker, "migrator.cmd.test.fail", Ping(n=1), msg_id="fail-1")
    for _ in range(100):
        if dead := await _dead_letters(nats_url, "migrator.cmd.test.fail"):
            break
        await asyncio.sleep(0.1)
    assert attempts == [1, 2]
    assert dead[0].data == b'{"n":1}'
    assert dead[0].headers is not None
    assert "downstream is down" in dead[0].headers["Migrator-Reason"]
    assert dead[0].headers["Migrator-Original-Subject"] == "migrator.cmd.test.fail"


async def test_a_republished_message_is_stored_once_and_carries_trace_context(
    broker: NatsBroker, nats_url: str
) -> None:
    assert await publish(broker, "migrator.cmd.test.dedup", Ping(n=7), msg_id="same-id")
    assert not await publish(broker, "migrator.cmd.test.dedup", Ping(n=7), msg_id="same-id")
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().subscribe("migrator.cmd.test.dedup", durable="test-dedup")
        first = await sub.next_msg(timeout=2)
        with pytest.raises(nats.errors.TimeoutError):
            await sub.next_msg(timeout=0.5)
        assert first.headers is not None
        assert first.headers["Nats-Msg-Id"] == "same-id"
        version, trace_id, span_id, _flags = first.headers["traceparent"].split("-")
        assert version == "00" and len(trace_id) == 32 and len(span_id) == 16
    finally:
        await nc.close()


async def test_a_message_published_inside_an_unsampled_trace_continues_that_trace(
    broker: NatsBroker, nats_url: str
) -> None:
    # No span is made for it (nobody would record one), but the consumer's logs must still
    # carry the trace id of the request that caused the message.
    caller = "4bf92f3577b34da6a3ce929d0e0e4736"
    parent = propagate.extract({"traceparent": f"00-{caller}-00f067aa0ba902b7-00"})
    token = context.attach(parent)
    try:
        await publish(broker, "migrator.cmd.test.traced", Ping(n=1), msg_id="traced-1")
    finally:
        context.detach(token)
    await publish(broker, "migrator.cmd.test.traced", Ping(n=2), msg_id="traced-2")  # no caller: a new trace
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().subscribe("migrator.cmd.test.traced", durable="test-traced")
        inside, alone = [await sub.next_msg(timeout=2) for _ in range(2)]
        assert inside.headers is not None and alone.headers is not None
        assert inside.headers["traceparent"].split("-")[1] == caller
        _, trace_id, _, flags = alone.headers["traceparent"].split("-")
        assert trace_id not in (caller, "0" * 32) and flags == "00"
    finally:
        await nc.close()


class Bulky(Message):
    blob: str


async def test_a_message_over_the_server_limit_is_refused_before_sending(broker: NatsBroker) -> None:
    limit = broker.connection.max_payload
    with pytest.raises(MessageTooLarge) as refused:
        await publish(broker, "migrator.cmd.job.create", Bulky(blob="x" * limit), msg_id="bulky-1")
    assert refused.value.size > refused.value.limit
    # Just under the limit still goes through.
    fits = Bulky(blob="x" * (refused.value.limit - 100))
    assert await publish(broker, "migrator.evt.test.1.Bulky", fits, msg_id="bulky-2")


async def test_while_nats_is_down_a_publish_fails_fast_and_a_retry_after_is_stored_once(
    tmp_path: Path,
) -> None:
    server = infra.start_nats(data_dir=tmp_path / "data", log_dir=tmp_path)
    port = int(server.urls["nats"].rsplit(":", 1)[1])
    broker = create_broker(nats_url=server.urls["nats"], service="test")
    await broker.connect()
    try:
        await provision_streams(broker.connection.jetstream())
        assert await publish(broker, "migrator.evt.test.2.Ping", Ping(n=1), msg_id="outage-1")
        server.kill()
        await asyncio.sleep(0.5)  # the client notices the broken connection
        with pytest.raises(BusUnavailable):
            await asyncio.wait_for(
                publish(broker, "migrator.evt.test.2.Ping", Ping(n=2), msg_id="outage-2"), 2
            )
        server = infra.start_nats(data_dir=tmp_path / "data", port=port, log_dir=tmp_path)
        for _ in range(100):  # reconnects on its own, and the stream is still there
            if broker.connection.is_connected:
                break
            await asyncio.sleep(0.1)
        # The caller's retry of the refused message goes through; a replay of the first is a duplicate.
        for _ in range(50):  # JetStream takes a moment to serve its streams again
            try:
                assert await publish(broker, "migrator.evt.test.2.Ping", Ping(n=2), msg_id="outage-2")
                break
            except BusUnavailable:
                await asyncio.sleep(0.1)
        assert not await publish(broker, "migrator.evt.test.2.Ping", Ping(n=1), msg_id="outage-1")
        info = await broker.connection.jetstream().stream_info("MIGRATOR_EVT")
        assert info.state.messages == 2
    finally:
        await broker.stop()
        server.stop()


async def test_a_raised_max_deliver_reaches_an_existing_consumer_so_the_last_attempt_dead_letters(
    nats_url: str,
) -> None:
    # A durable first created with max_deliver=1 (an earlier deployment) ...
    first = create_broker(nats_url=nats_url, service="test")
    subscribe(
        first,
        subject="migrator.cmd.test.raised",
        stream=COMMANDS,
        durable="test-raised",
        model=Ping,
        handler=_never_called,
        max_deliver=1,
    )
    await first.connect()
    await provision_streams(first.connection.jetstream())
    await first.start()
    await first.stop()
    # ... then served with max_deliver=3: the handler's third failure dead-letters the message,
    # which it could not if the server still stopped delivering after two.
    attempts: list[int] = []

    async def always_fails(msg: Ping, delivery: Delivery) -> None:
        attempts.append(delivery.attempt)
        raise RuntimeError("still down")

    second = create_broker(nats_url=nats_url, service="test")
    subscribe(
        second,
        subject="migrator.cmd.test.raised",
        stream=COMMANDS,
        durable="test-raised",
        model=Ping,
        handler=always_fails,
        max_deliver=3,
        ack_wait_seconds=12,
    )
    await second.connect()
    await second.start()
    js = second.connection.jetstream()
    await converge_consumers(js)
    info = await js.consumer_info(COMMANDS.name, "test-raised")
    assert (info.config.max_deliver, info.config.ack_wait) == (4, 12)
    await publish(second, "migrator.cmd.test.raised", Ping(n=7), msg_id="raised-1")
    try:
        for _ in range(100):
            if dead := await _dead_letters(nats_url, "migrator.cmd.test.raised"):
                break
            await asyncio.sleep(0.1)
        assert attempts == [1, 2, 3]
        assert dead and dead[0].data == b'{"n":7}'
    finally:
        await second.stop()


async def _never_called(msg: Ping, delivery: Delivery) -> None:
    raise AssertionError("no message was sent to the first deployment")


async def test_a_batch_consumer_gets_messages_in_order_and_poison_goes_alone(
    broker: NatsBroker, nats_url: str
) -> None:
    received: list[int] = []
    batches: list[int] = []
    everything = asyncio.Event()

    async def handle(batch: list[tuple[Ping, Delivery]]) -> None:
        batches.append(len(batch))
        received.extend(ping.n for ping, _ in batch)
        if len(received) == 40:
            everything.set()

    # Published before the consumer starts, so its first fetches are full.
    for n in range(20):
        await publish(broker, "migrator.evt.test.3.Ping", Ping(n=n), msg_id=f"batch-{n}")
    await broker.connection.jetstream().publish(
        "migrator.evt.test.3.Ping", b'{"n": "not a number"}', headers={"Nats-Msg-Id": "batch-poison"}
    )
    for n in range(20, 40):
        await publish(broker, "migrator.evt.test.3.Ping", Ping(n=n), msg_id=f"batch-{n}")
    subscribe_batch(
        broker,
        subject="migrator.evt.test.3.Ping",
        stream=EVENTS,
        durable="test-batch",
        model=Ping,
        handler=handle,
        batch_size=16,
    )
    await broker.start()
    await asyncio.wait_for(everything.wait(), 10)
    assert received == list(range(40)), "every good message once, in stream order"
    assert max(batches) > 1, "handed over in batches, not one by one"
    dead = await _dead_letters(nats_url, "migrator.evt.test.3.Ping")
    assert [d.data for d in dead] == [b'{"n": "not a number"}']
    for _ in range(100):  # every message acked (the last batch's acks may still be on their way)
        info = await broker.connection.jetstream().consumer_info("MIGRATOR_EVT", "test-batch")
        if info.num_ack_pending == 0 and info.num_pending == 0:
            break
        await asyncio.sleep(0.1)
    assert info.num_ack_pending == 0 and info.num_pending == 0


async def test_a_batch_fetch_timing_out_midway_hands_over_what_it_had_on_its_first_delivery(
    broker: NatsBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nats-py raises the builtin TimeoutError when a fetch's deadline runs out between its pull
    requests. FastStream's batch loop, filling a batch, then lost the messages it already held
    until the ack wait had them redelivered: a log line missing from history for 30 s."""
    fetch_n = JetStreamContext.PullSubscription._fetch_n
    fetches = 0

    async def deadline_out_every_other_time(self: Any, *args: Any, **kwargs: Any) -> list[Any]:
        nonlocal fetches
        fetches += 1
        if fetches % 2 == 0:
            raise TimeoutError  # the builtin one (asyncio.TimeoutError), as nats-py's _fetch_n raises it
        result: list[Any] = await fetch_n(self, *args, **kwargs)
        return result

    monkeypatch.setattr(JetStreamContext.PullSubscription, "_fetch_n", deadline_out_every_other_time)
    received: list[tuple[int, int]] = []
    everything = asyncio.Event()

    async def handle(batch: list[tuple[Ping, Delivery]]) -> None:
        received.extend((ping.n, delivery.attempt) for ping, delivery in batch)
        if len(received) >= 3:
            everything.set()

    for n in range(3):  # fewer than a batch: the first fetch returns them, the next times out
        await publish(broker, "migrator.evt.test.5.Ping", Ping(n=n), msg_id=f"partial-{n}")
    subscribe_batch(
        broker,
        subject="migrator.evt.test.5.Ping",
        stream=EVENTS,
        durable="test-partial-batch",
        model=Ping,
        handler=handle,
        batch_size=10,
        ack_wait_seconds=120,
    )
    await broker.start()
    await asyncio.wait_for(everything.wait(), 20)  # far less than the ack wait: not a redelivery
    assert received == [(0, 1), (1, 1), (2, 1)]


async def test_a_failing_batch_is_retried_whole_then_dead_lettered(broker: NatsBroker, nats_url: str) -> None:
    attempts: list[list[tuple[int, int]]] = []

    async def always_fails(batch: list[tuple[Ping, Delivery]]) -> None:
        attempts.append([(ping.n, delivery.attempt) for ping, delivery in batch])
        raise RuntimeError("the store is down")

    for n in range(3):
        await publish(broker, "migrator.evt.test.4.Ping", Ping(n=n), msg_id=f"fail-batch-{n}")
    subscribe_batch(
        broker,
        subject="migrator.evt.test.4.Ping",
        stream=EVENTS,
        durable="test-batch-fail",
        model=Ping,
        handler=always_fails,
        max_deliver=2,
    )
    await broker.start()
    for _ in range(100):
        if len(dead := await _dead_letters(nats_url, "migrator.evt.test.4.Ping")) == 3:
            break
        await asyncio.sleep(0.1)
    assert sorted(d.data for d in dead) == [b'{"n":0}', b'{"n":1}', b'{"n":2}']
    assert all("the store is down" in (d.headers or {}).get("Migrator-Reason", "") for d in dead)
    tried = sorted(pair for batch in attempts for pair in batch)
    assert tried == [(0, 1), (0, 2), (1, 1), (1, 2), (2, 1), (2, 2)], "each twice, then no more"


async def test_a_handler_slower_than_the_ack_wait_gets_its_message_once(broker: NatsBroker) -> None:
    deliveries: list[int] = []
    finished = asyncio.Event()

    async def slow(msg: Ping, delivery: Delivery) -> None:
        deliveries.append(delivery.attempt)
        await asyncio.sleep(3.5)  # the work: three and a half ack waits, with no word from it
        finished.set()

    subscribe(
        broker,
        subject="migrator.cmd.test.slow",
        stream=COMMANDS,
        durable="test-slow",
        model=Ping,
        handler=slow,
        ack_wait_seconds=1.0,
        max_workers=2,  # a second worker free to take a redelivery
    )
    await broker.start()
    await publish(broker, "migrator.cmd.test.slow", Ping(n=1), msg_id="slow-1")
    await asyncio.wait_for(finished.wait(), 10)
    for _ in range(50):  # acked: nothing left for anyone
        info = await broker.connection.jetstream().consumer_info("MIGRATOR_CMD", "test-slow")
        if info.num_ack_pending == 0:
            break
        await asyncio.sleep(0.1)
    assert info.num_ack_pending == 0 and info.num_redelivered == 0
    assert deliveries == [1], "never handed to a second worker while the first was at it"


async def test_a_handler_raising_a_validation_error_of_its_own_is_retried_not_taken_for_poison(
    broker: NatsBroker, nats_url: str
) -> None:
    attempts: list[int] = []
    done = asyncio.Event()

    async def flaky(msg: Ping, delivery: Delivery) -> None:
        attempts.append(delivery.attempt)
        if delivery.attempt == 1:
            Ping.model_validate({"n": "what the handler read was wrong"})  # raises ValidationError
        done.set()

    subscribe(
        broker,
        subject="migrator.cmd.test.flaky",
        stream=COMMANDS,
        durable="test-flaky",
        model=Ping,
        handler=flaky,
    )
    await broker.start()
    await publish(broker, "migrator.cmd.test.flaky", Ping(n=1), msg_id="flaky-1")
    await asyncio.wait_for(done.wait(), 10)
    assert attempts == [1, 2], "the message was good: its handler's failure is retried"
    assert await _dead_letters(nats_url, "migrator.cmd.test.flaky") == []


def test_faststream_documents_each_subscriber_with_the_contract_it_takes(nats_url: str) -> None:
    broker = create_broker(nats_url=nats_url, service="test")

    async def one(msg: Ping, delivery: Delivery) -> None: ...

    async def many(batch: list[tuple[Ping, Delivery]]) -> None: ...

    subscribe(
        broker, subject="migrator.cmd.test.doc", stream=COMMANDS, durable="doc", model=Ping, handler=one
    )
    subscribe_batch(
        broker, subject="migrator.evt.test.doc", stream=EVENTS, durable="docs", model=Ping, handler=many
    )
    spec = AsyncAPI(broker, schema_version="3.0.0").to_specification().to_jsonable()
    schemas = spec["components"]["schemas"]
    assert schemas["Ping"]["properties"]["n"]["type"] == "integer"
    payloads = {  # each subscriber's payload, its reference resolved
        name.split(":")[0]: schemas[message["payload"]["$ref"].rsplit("/", 1)[-1]]
        for name, message in spec["components"]["messages"].items()
    }
    assert payloads["doc"] == schemas["Ping"]
    assert payloads["docs"]["type"] == "array"
    assert payloads["docs"]["items"] == {"$ref": "#/components/schemas/Ping"}, "a batch is a list of them"


class Pong(Message):
    n: int


async def test_a_broker_publishes_only_what_its_service_declared(broker: NatsBroker, nats_url: str) -> None:
    declare_sends(broker, ("migrator.evt.test.{jobId}.Ping", Ping), ("migrator.cmd.test.declared", Ping))
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe("migrator.evt.test.*.Ping", ordered_consumer=True, deliver_policy="new")
        assert await publish(broker, "migrator.evt.test.job_1.Ping", Ping(n=1), msg_id="declared-1")
        assert (await sub.next_msg(timeout=5)).subject == "migrator.evt.test.job_1.Ping"
        refused = (
            ("migrator.evt.test.job_1.Other", Ping(n=2)),  # a subject nobody declared
            ("migrator.evt.test.a.b.Ping", Ping(n=3)),  # a {parameter} is one token
            ("migrator.evt.test.job_1.Ping", Pong(n=4)),  # the declared subject, another message
        )
        for subject, message in refused:
            with pytest.raises(UndeclaredSend):
                await publish(broker, subject, message, msg_id=f"undeclared-{message.n}")
        with pytest.raises(nats.errors.TimeoutError):  # and nothing of them was sent
            await sub.next_msg(timeout=0.5)
        with pytest.raises(UndeclaredSend):  # a request is checked the same way
            check_send(broker, "migrator.rpc.test.ask", Ping(n=5))
    finally:
        await nc.close()
    # FastStream documents each declared send as a publisher of its message.
    spec = AsyncAPI(broker, schema_version="3.0.0").to_specification().to_jsonable()
    assert {op["action"] for op in spec["operations"].values()} == {"send"}
    sends = {channel["address"] for channel in spec["channels"].values()}
    assert sends == {"migrator.evt.test.{jobId}.Ping", "migrator.cmd.test.declared"}
    assert declared_sends(broker) == {
        "migrator.evt.test.{jobId}.Ping": Ping,
        "migrator.cmd.test.declared": Ping,
    }
