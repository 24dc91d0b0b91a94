"""Plain request/reply responders: the caller's trace continues in the handler, requests run
concurrently in a queue group, and stopping lets the ones in flight finish."""

from __future__ import annotations

import asyncio

import nats
import pytest
from migrator_platform.responder import Responder
from opentelemetry import trace

pytestmark = pytest.mark.integration

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_the_callers_trace_continues_in_the_handler(nats_url: str) -> None:
    seen: list[str] = []

    async def handler(data: bytes) -> bytes:
        seen.append(format(trace.get_current_span().get_span_context().trace_id, "032x"))
        return data.upper()

    nc = await nats.connect(nats_url)
    responder = Responder("test.rpc.trace", handler, queue="q")
    try:
        await responder.start(nc)
        headers = {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}
        reply = await nc.request("test.rpc.trace", b"ping", timeout=5, headers=headers)
        assert reply.data == b"PING" and seen == [TRACE_ID]
    finally:
        await responder.stop()
        await nc.close()


async def test_requests_run_concurrently_and_stop_waits_for_those_in_flight(nats_url: str) -> None:
    release = asyncio.Event()
    started = 0

    async def slow(data: bytes) -> bytes:
        nonlocal started
        started += 1
        await release.wait()
        return b"done"

    nc, caller = await nats.connect(nats_url), await nats.connect(nats_url)
    # Six workers each: the queue group may send all six requests to one replica.
    replicas = [Responder("test.rpc.slow", slow, queue="q", workers=6) for _ in range(2)]
    try:
        for replica in replicas:
            await replica.start(nc)
        asked = [asyncio.create_task(caller.request("test.rpc.slow", b"x", timeout=10)) for _ in range(6)]
        for _ in range(500):
            if started == 6:
                break
            await asyncio.sleep(0.02)
        assert started == 6  # none waited for another
        stopping = asyncio.gather(*(r.stop() for r in replicas))
        await asyncio.sleep(0.1)
        release.set()
        await stopping
        assert [r.data for r in await asyncio.gather(*asked)] == [b"done"] * 6  # all answered
        await nc.flush()  # the server has seen the unsubscribes
        with pytest.raises(nats.errors.NoRespondersError):
            await caller.request("test.rpc.slow", b"x", timeout=1)  # and nobody takes new ones
    finally:
        await nc.close()
        await caller.close()
