"""Worker presence on real NATS: it outlives a bus restart, and a lost bucket is made again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import nats
import pytest
from migrator_devstack import infra
from migrator_platform.workers import BUCKET, WorkerPresence

pytestmark = pytest.mark.integration

SUBJECT = "migrator.cmd.site.migrate"


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(100):
        try:
            if await check():
                return
        except Exception:  # JetStream still recovering after the restart
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_connector_still_counts_as_running_after_the_bus_restarts(tmp_path: Path) -> None:
    server = infra.start_nats(data_dir=tmp_path / "data", log_dir=tmp_path)
    port = int(server.urls["nats"].rsplit(":", 1)[1])
    connector = await nats.connect(server.urls["nats"], max_reconnect_attempts=-1, reconnect_time_wait=0.1)
    gateway = await nats.connect(server.urls["nats"], max_reconnect_attempts=-1, reconnect_time_wait=0.1)
    try:
        announcer = WorkerPresence(connector.jetstream, interval_seconds=5)
        asker = WorkerPresence(gateway.jetstream, interval_seconds=5)
        await announcer.announce([SUBJECT], service="sp-connector")
        assert await asker.running(SUBJECT)
        server.kill()  # SIGKILL: the bus comes back on its data, the connector never restarted
        server = infra.start_nats(data_dir=tmp_path / "data", port=port, log_dir=tmp_path)
        await _until(lambda: asker.running(SUBJECT), "the presence to be readable again")
    finally:
        await connector.close()
        await gateway.close()
        server.stop()


async def test_an_announcement_makes_a_lost_bucket_again(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        presence = WorkerPresence(nc.jetstream, interval_seconds=5)
        await presence.announce([SUBJECT], service="sp-connector")
        await nc.jetstream().delete_key_value(BUCKET)
        assert not await WorkerPresence(nc.jetstream).running(SUBJECT)
        await presence.announce([SUBJECT], service="sp-connector")  # the next beat: not an error
        assert await WorkerPresence(nc.jetstream).running(SUBJECT)
    finally:
        await nc.close()
