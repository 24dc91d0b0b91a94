"""Live tails on a real nats-server: the join point, batches in order, slow clients, clean-up."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import nats
import pytest
from migrator_contracts.streams import EVENTS, LOG_EVENTS_DURABLE, LOG_PROJECTION_DURABLE, LOGS
from migrator_gateway.log_tails import LogTails, TailClient
from migrator_platform.bus import provision_streams
from nats.aio.client import Client
from nats.js.api import ConsumerConfig, DeliverPolicy

pytestmark = pytest.mark.integration


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(nats_url)
    await provision_streams(client.jetstream())
    yield client
    await client.close()


async def publish(nc: Client, job: str, n: int, *, start: int = 0, final: bool = False) -> None:
    js = nc.jetstream()
    for i in range(start, start + n):
        fields = {"final": True, "status": "DONE"} if final and i == start + n - 1 else {}
        line = {
            "id": f"log_{job}_{i}",
            "jobId": job,
            "level": "OK",
            "message": f"m{i}",
            "ts": "2026-05-09T08:05:00.123456Z",
            "fields": fields,
        }
        await js.publish(f"migrator.log.job.{job}", json.dumps(line).encode())


async def drain(client: TailClient, until: int) -> list[str]:
    got: list[str] = []
    while len(got) < until:
        batch = await asyncio.wait_for(client.take(), 5)
        got += [line.line["id"] for line in batch.lines]
    return got


async def test_a_client_gets_every_line_after_its_join_point_in_order(nc: Client) -> None:
    tails = LogTails(nc.jetstream(), flush_seconds=0.02)
    await publish(nc, "jA", 3)  # history: before the tail exists
    client, joined_at = await tails.join("jA")
    info = await nc.jetstream().stream_info("MIGRATOR_LOG")
    assert joined_at == info.state.last_seq  # lines up to here come from the projection
    await publish(nc, "jA", 50, start=3)
    await publish(nc, "jB", 5)  # another job's lines never reach this tail
    got = await drain(client, 50)
    assert got == [f"log_jA_{i}" for i in range(3, 53)]
    late, late_joined = await tails.join("jA")  # a second client shares the tail, joins where it is now
    assert late_joined >= joined_at + 50
    await publish(nc, "jA", 2, start=53, final=True)
    assert await drain(client, 2) == await drain(late, 2) == ["log_jA_53", "log_jA_54"]
    await tails.close()


async def test_a_client_that_falls_too_far_behind_is_dropped_and_others_carry_on(nc: Client) -> None:
    tails = LogTails(nc.jetstream(), flush_seconds=0.0, client_buffer=100)
    slow, _ = await tails.join("jS")
    fast, _ = await tails.join("jS")
    consumer = asyncio.create_task(drain(fast, 150))
    await publish(nc, "jS", 150)
    assert len(await consumer) == 150
    assert slow.dropped and not fast.dropped
    await tails.close()


async def test_a_tail_nobody_watches_is_closed_after_its_idle_time(nc: Client) -> None:
    tails = LogTails(nc.jetstream(), idle_seconds=0.2)
    client, _ = await tails.join("jI")
    assert tails.open_tails == 1
    tails.leave("jI", client)
    await asyncio.sleep(0.5)
    assert tails.open_tails == 0
    again, _ = await tails.join("jI")  # and opens again on demand
    await publish(nc, "jI", 1)
    assert await drain(again, 1) == ["log_jI_0"]
    await tails.close()


async def test_an_export_waits_until_the_events_already_published_have_their_lines_stored(nc: Client) -> None:
    """A job's ERROR line is made from the event that ended it: a user who sees the job ended
    and exports its log right away gets that line, however late log-stream is in making it."""
    js = nc.jetstream()
    new = ConsumerConfig(deliver_policy=DeliverPolicy.NEW)  # the module's other lines are not ours
    events = await js.pull_subscribe(
        "migrator.evt.>", durable=LOG_EVENTS_DURABLE, stream=EVENTS.name, config=new
    )
    lines = await js.pull_subscribe(
        "migrator.log.job.>", durable=LOG_PROJECTION_DURABLE, stream=LOGS.name, config=new
    )
    tails = LogTails(js)
    await js.publish("migrator.evt.unit.u1.UnitProgressed", b"{}")
    assert not await tails.projected_now(within=0.3)  # its line is not even written yet
    stored: list[str] = []

    async def log_stream() -> None:  # slow at each step: the event becomes a line, the line is stored
        await asyncio.sleep(0.3)
        [event] = await events.fetch(1)
        await publish(nc, "jE", 1)
        await event.ack_sync()
        await asyncio.sleep(0.3)
        [line] = await lines.fetch(1)
        stored.append(json.loads(line.data)["id"])
        await line.ack_sync()

    working = asyncio.create_task(log_stream())
    assert await tails.projected_now(within=5)
    assert stored == ["log_jE_0"]
    await working
    assert await tails.projected_now(within=0)  # nothing left to wait for: at once
    for stream, durable in ((EVENTS.name, LOG_EVENTS_DURABLE), (LOGS.name, LOG_PROJECTION_DURABLE)):
        await js.delete_consumer(stream, durable)
    await tails.close()
