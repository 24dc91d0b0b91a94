"""log-stream's event consumer: domain events turned into job log lines, against a raw baseline.

    .venv/bin/python bench/log_events_bench.py [EVENTS]

EVENTS (default 3,000) UnitProgressed events of one running unit are published to the events
stream first; then the time until log-stream's durable has acked them all, with its real
wiring (FastStream, the Settlement middleware, the embedded store), one event a delivery
(``MIGRATOR_LOG_EVENT_BATCH=1``) and in batches (the default, 100). Intermediate progress
makes no line, so this is the consumer's own cost per event. The baseline: bare nats-py
pulling the same events 100 at a time, parsing and acking each, in the same process.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import nats
from migrator_contracts import readmodels, subjects
from migrator_contracts.enums import UnitStatus
from migrator_contracts.events import UnitProgressed
from migrator_contracts.logs import LogLine
from migrator_contracts.streams import EVENTS
from migrator_devstack import infra
from migrator_log_stream.config import LogStreamSettings
from migrator_log_stream.entrypoints.app import wire
from migrator_log_stream.handlers import LogStream
from migrator_platform.bus import create_broker, provision_streams, publish
from migrator_platform.service import Runtime
from migrator_platform.telemetry import configure_tracing
from migrator_readstore.sqlite import SqliteReadStore

SUBJECT = subjects.unit_event("job_B", "UnitProgressed")


async def _published(url: str, n: int) -> None:
    broker = create_broker(nats_url=url, service="bench-publisher")
    await broker.connect()
    await provision_streams(broker.connection.jetstream())
    now = datetime.now(UTC)
    for i in range(n):
        event = UnitProgressed(
            event_id=f"u1:{i}",
            seq=i,
            occurred_at=now,
            job_id="job_B",
            unit_id="u1",
            status=UnitStatus.RUNNING,
            total_items=n,
            done_items=i,
            source="https://contoso.sharepoint.com/sites/finance",
        )
        await publish(broker, SUBJECT, event, msg_id=event.event_id)
    await broker.stop()


async def raw(url: str, n: int) -> float:
    nc = await nats.connect(url)
    sub = await nc.jetstream().pull_subscribe(SUBJECT, durable="raw-events", stream=EVENTS.name)
    start, seen = time.perf_counter(), 0
    while seen < n:
        for msg in await sub.fetch(100, timeout=5):
            json.loads(msg.data)
            await msg.ack()
            seen += 1
    elapsed = time.perf_counter() - start
    await nc.close()
    return n / elapsed


async def log_stream(url: str, n: int, batch: int, data_dir: Path) -> float:
    settings = LogStreamSettings.model_construct(log_event_batch=batch)
    store = SqliteReadStore(data_dir / f"store-{batch}.sqlite3")
    broker = create_broker(
        nats_url=url, service="log-stream", tracer_provider=configure_tracing(service="bench")
    )
    runtime = Runtime(name="log-stream", settings=settings, broker=broker, store=store)

    async def publish_line(subject: str, line: LogLine, msg_id: str) -> None:
        await publish(broker, subject, line, msg_id=msg_id)

    async def purge_subject(_: str) -> None:
        return None

    stream = LogStream(
        logs=store.collection(readmodels.JOB_LOGS),
        jobs=store.collection(readmodels.LOG_JOBS),
        publish=publish_line,
        purge_subject=purge_subject,
        retention_days=settings.retention_days,
        clock=time.time,
    )
    wire(runtime, settings, stream)
    start = time.perf_counter()
    await broker.start()
    js = broker.connection.jetstream()
    while True:  # every event acked: handled
        info = await js.consumer_info(EVENTS.name, "log-stream-events")
        if info.num_pending == 0 and info.num_ack_pending == 0:
            break
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - start
    await broker.stop()
    await store.close()
    return n / elapsed


async def _fresh(n: int, measure: Callable[[str, Path], Awaitable[float]]) -> float:
    """``measure`` on a new server holding the ``n`` events (no consumer has seen them)."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = infra.start_nats(data_dir=Path(tmp) / "nats", log_dir=Path(tmp))
        try:
            await _published(proc.urls["nats"], n)
            return await measure(proc.urls["nats"], Path(tmp))
        finally:
            proc.stop()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    baseline = asyncio.run(_fresh(n, lambda url, _: raw(url, n)))
    one = asyncio.run(_fresh(n, lambda url, tmp: log_stream(url, n, 1, tmp)))
    batched = asyncio.run(_fresh(n, lambda url, tmp: log_stream(url, n, 100, tmp)))
    print(f"N={n:,} UnitProgressed events (intermediate: no line), file-backed JetStream")
    print(f"raw nats-py (fetch 100, parse, ack)   {baseline:9,.0f} events/s")
    print(f"log-stream, one event a delivery      {one:9,.0f} events/s   {one / baseline:.2f}x raw")
    print(f"log-stream, batches of 100 (default)  {batched:9,.0f} events/s   {batched / baseline:.2f}x raw")


if __name__ == "__main__":
    main()
