"""Metrics against real NATS: what a consumer handled and how it ended, its lag, the probe port."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from faststream.nats import NatsBroker
from migrator_contracts.base import Message
from migrator_contracts.streams import COMMANDS
from migrator_devstack import infra
from migrator_platform.bus import publish
from migrator_platform.consumer import Delivery, configured_durables, subscribe
from migrator_platform.health import serve_http_probes
from migrator_platform.metrics import refresh_consumer_lag
from migrator_platform.throttling import raise_if_throttled, retrying
from prometheus_client import REGISTRY

pytestmark = pytest.mark.integration


class Ping(Message):
    n: int


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_handled_messages_are_counted_by_outcome_and_timed(broker: NatsBroker) -> None:
    seen: list[int] = []

    async def handle(msg: Ping, delivery: Delivery) -> None:
        seen.append(msg.n)
        if msg.n == 2 and delivery.attempt == 1:
            raise RuntimeError("once")

    subscribe(
        broker,
        subject="migrator.cmd.test.metrics",
        stream=COMMANDS,
        durable="test-metrics",
        model=Ping,
        handler=handle,
    )
    await broker.start()
    for n in (1, 2):
        await publish(broker, "migrator.cmd.test.metrics", Ping(n=n), msg_id=f"metrics-{n}")
    await publish_raw(broker, b"not json")
    for _ in range(100):
        if sample("migrator_messages_handled_total", consumer="test-metrics", outcome="acked") >= 2:
            break
        await asyncio.sleep(0.1)
    assert sample("migrator_messages_handled_total", consumer="test-metrics", outcome="acked") == 2
    assert sample("migrator_messages_handled_total", consumer="test-metrics", outcome="retried") == 1
    assert sample("migrator_messages_handled_total", consumer="test-metrics", outcome="dead_lettered") == 1
    assert sample("migrator_handler_seconds_count", consumer="test-metrics") == 3  # two acked, one retried


async def publish_raw(broker: NatsBroker, payload: bytes) -> None:
    await broker.connection.jetstream().publish("migrator.cmd.test.metrics", payload)


async def test_consumer_lag_is_what_the_server_holds_for_the_consumer(broker: NatsBroker) -> None:
    gate = asyncio.Event()

    async def blocked(msg: Ping, delivery: Delivery) -> None:
        await gate.wait()

    subscribe(
        broker,
        subject="migrator.cmd.test.lag",
        stream=COMMANDS,
        durable="test-lag",
        model=Ping,
        handler=blocked,
    )
    await broker.start()
    for n in range(5):
        await publish(broker, "migrator.cmd.test.lag", Ping(n=n), msg_id=f"lag-{n}")
    js = broker.connection.jetstream()
    for _ in range(50):
        await refresh_consumer_lag(js, configured_durables())
        if sample("migrator_consumer_ack_pending_messages", stream=COMMANDS.name, consumer="test-lag") == 1:
            break
        await asyncio.sleep(0.1)
    # One message is being handled; the other four wait in the stream.
    assert sample("migrator_consumer_ack_pending_messages", stream=COMMANDS.name, consumer="test-lag") == 1
    assert sample("migrator_consumer_pending_messages", stream=COMMANDS.name, consumer="test-lag") == 4
    gate.set()
    for _ in range(50):
        await refresh_consumer_lag(js, configured_durables())
        if sample("migrator_consumer_pending_messages", stream=COMMANDS.name, consumer="test-lag") == 0:
            break
        await asyncio.sleep(0.1)
    assert sample("migrator_consumer_pending_messages", stream=COMMANDS.name, consumer="test-lag") == 0


async def test_the_probe_port_serves_metrics_in_prometheus_text() -> None:
    port = infra.free_port()
    server = await serve_http_probes(port=port, is_ready=lambda: False)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            metrics = await client.get("/metrics")
            ready = await client.get("/readyz")
    finally:
        server.close()
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE migrator_messages_handled_total counter" in metrics.text
    assert ready.status_code == 503


async def test_throttling_from_an_outside_api_is_counted_with_the_time_waited() -> None:
    answers = iter([429, 503, 200])

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(next(answers), headers={"Retry-After": "0"})

    before = sample("migrator_upstream_throttled_total", host="api.example.test", status="429")
    async with httpx.AsyncClient(transport=httpx.MockTransport(respond)) as client:
        async for attempt in retrying():
            with attempt:
                raise_if_throttled(await client.get("https://api.example.test/x"))
    assert sample("migrator_upstream_throttled_total", host="api.example.test", status="429") == before + 1
    assert sample("migrator_upstream_throttled_total", host="api.example.test", status="503") >= 1
    assert sample("migrator_upstream_throttle_wait_seconds_total", host="api.example.test") > 0
