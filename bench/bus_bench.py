"""The platform's bus against bare nats-py JetStream, in the same process, on a real nats-server.

    .venv/bin/python bench/bus_bench.py [N]

Both sides publish N de-duplicated JSON commands to a work-queue stream and consume them on a
durable pull consumer with explicit acks; ours adds FastStream, tracing, contract validation and
the dead-letter guard. The ratio is the cost of that plumbing. Ours consumes twice: one
message per handler call (``subscribe``, the commands' path) and a fetch's worth per call
(``subscribe_batch``, the high-volume consumers' path: log lines, progress, projections).
Then latency: a lone message every 0.37 s to an idle consumer, publish → handler, against a
bare nats-py pull loop (fetch of one, 1 s long poll) on the same server.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import nats
from migrator_contracts.base import Message
from migrator_contracts.streams import COMMANDS
from migrator_devstack import infra
from migrator_platform.bus import create_broker, declare_sends, provision_streams, publish
from migrator_platform.consumer import Delivery, subscribe, subscribe_batch
from migrator_platform.telemetry import configure_tracing
from nats.js.api import StreamConfig


class Cmd(Message):
    n: int


async def raw(url: str, n: int) -> tuple[float, float]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name="RAW", subjects=["raw.>"], duplicate_window=120))
    start = time.perf_counter()
    for i in range(n):
        await js.publish("raw.cmd", json.dumps({"n": i}).encode(), headers={"Nats-Msg-Id": f"r{i}"})
    published = time.perf_counter() - start
    sub = await js.pull_subscribe("raw.cmd", durable="raw")
    start, seen = time.perf_counter(), 0
    while seen < n:
        for msg in await sub.fetch(64, timeout=5):
            json.loads(msg.data)
            await msg.ack()
            seen += 1
    consumed = time.perf_counter() - start
    await nc.close()
    return n / published, n / consumed


async def ours(url: str, n: int, *, batched: bool) -> tuple[float, float]:
    broker = create_broker(nats_url=url, service="bench", tracer_provider=configure_tracing(service="bench"))
    await broker.connect()
    await provision_streams(broker.connection.jetstream())
    subject, prefix = ("migrator.cmd.bench.batch", "b") if batched else ("migrator.cmd.bench.run", "o")
    # As a service does: every publish is checked against what it declared (a service declares 5-15).
    declare_sends(broker, *((f"migrator.evt.bench.{{jobId}}.E{k}", Cmd) for k in range(10)), (subject, Cmd))
    start = time.perf_counter()
    for i in range(n):
        await publish(broker, subject, Cmd(n=i), msg_id=f"{prefix}{i}")
    published = time.perf_counter() - start
    done = asyncio.Event()
    seen = 0

    def count(k: int) -> None:
        nonlocal seen
        seen += k
        if seen >= n:
            done.set()

    async def handle(_: Cmd, __: Delivery) -> None:
        count(1)

    async def handle_batch(batch: list[tuple[Cmd, Delivery]]) -> None:
        count(len(batch))

    if batched:
        subscribe_batch(
            broker, subject=subject, stream=COMMANDS, durable="bench-batch", model=Cmd, handler=handle_batch
        )
    else:
        subscribe(
            broker,
            subject=subject,
            stream=COMMANDS,
            durable="bench",
            model=Cmd,
            handler=handle,
            max_workers=64,
        )
    start = time.perf_counter()
    await broker.start()
    await asyncio.wait_for(done.wait(), timeout=120)
    consumed = time.perf_counter() - start
    await broker.stop()
    return n / published, n / consumed


LONE_MESSAGES = 8


async def raw_latency(url: str) -> list[float]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    sub = await js.pull_subscribe("raw.lone", durable="raw-lone")
    seen: asyncio.Queue[float] = asyncio.Queue()

    async def pull() -> None:
        while True:
            try:
                for msg in await sub.fetch(1, timeout=1):
                    await msg.ack()
                    seen.put_nowait(time.perf_counter())
            except nats.errors.TimeoutError:
                pass

    puller = asyncio.create_task(pull())
    out = await _lone(lambda i: js.publish("raw.lone", b"{}", headers={"Nats-Msg-Id": f"rl{i}"}), seen)
    puller.cancel()
    await asyncio.gather(puller, return_exceptions=True)  # stopped before the connection closes under it
    await nc.close()
    return out


async def batch_latency(url: str) -> list[float]:
    broker = create_broker(nats_url=url, service="bench", tracer_provider=configure_tracing(service="bench"))
    await broker.connect()
    seen: asyncio.Queue[float] = asyncio.Queue()

    async def handle(batch: list[tuple[Cmd, Delivery]]) -> None:
        for _ in batch:
            seen.put_nowait(time.perf_counter())

    subject = "migrator.cmd.bench.lone"
    subscribe_batch(broker, subject=subject, stream=COMMANDS, durable="bench-lone", model=Cmd, handler=handle)
    await broker.start()
    out = await _lone(lambda i: publish(broker, subject, Cmd(n=i), msg_id=f"bl{i}"), seen)
    await broker.stop()
    return out


async def _lone(send: Callable[[int], Awaitable[object]], seen: asyncio.Queue[float]) -> list[float]:
    await asyncio.sleep(1.5)  # the consumer idle, its fetch a long poll
    latencies = []
    for i in range(LONE_MESSAGES):
        start = time.perf_counter()
        await send(i)
        latencies.append(await asyncio.wait_for(seen.get(), 10) - start)
        await asyncio.sleep(0.37)
    return latencies


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    with tempfile.TemporaryDirectory() as tmp:
        server = infra.start_nats(data_dir=Path(tmp) / "nats", log_dir=Path(tmp))
        try:
            raw_pub, raw_con = asyncio.run(raw(server.urls["nats"], n))
            our_pub, our_con = asyncio.run(ours(server.urls["nats"], n, batched=False))
            _, batch_con = asyncio.run(ours(server.urls["nats"], n, batched=True))
            raw_lat = statistics.median(asyncio.run(raw_latency(server.urls["nats"])))
            batch_lat = statistics.median(asyncio.run(batch_latency(server.urls["nats"])))
        finally:
            server.stop()
    print(f"N={n} JSON commands, Nats-Msg-Id, file-backed JetStream, durable pull consumer, explicit ack")
    print(f"raw nats-py        publish {raw_pub:9,.0f}/s   consume {raw_con:9,.0f}/s")
    print(f"platform bus       publish {our_pub:9,.0f}/s   consume {our_con:9,.0f}/s (one message a call)")
    print(f"                                         consume {batch_con:9,.0f}/s (a batch a call)")
    print(
        f"ratios to raw: publish {our_pub / raw_pub:.2f}x, consume {our_con / raw_con:.2f}x one by one, "
        f"{batch_con / raw_con:.2f}x in batches"
    )
    print(
        f"a lone message to an idle consumer, median of {LONE_MESSAGES}: raw {raw_lat * 1000:.0f} ms, "
        f"batch consumer {batch_lat * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
