"""MigrateSite through JetStream: a site held up longer than the ack wait is still delivered once."""

from __future__ import annotations

import asyncio
import time

import pytest
from migrator_contracts import subjects
from migrator_contracts.commands import MigrateSite
from migrator_contracts.streams import COMMANDS
from migrator_platform.bus import publish
from migrator_platform.consumer import Delivery, subscribe

from .conftest import ACK_WAIT_SECONDS, World

pytestmark = pytest.mark.integration

SITE = "https://contoso.sharepoint.com/sites/marketing"
DEST_SITE = "https://fabrikam.sharepoint.com/sites/marketing"
DURABLE = "sp-connector-migrate-site"
SETTLE_SECONDS = 60.0


async def test_a_site_held_up_by_throttling_longer_than_the_ack_wait_is_migrated_once(world: World) -> None:
    await world.faults(failItemsMatching=[])
    started: list[int] = []  # the delivery attempt of each run
    ended: list[int] = []

    async def on_migrate_site(cmd: MigrateSite, delivery: Delivery) -> None:
        # As bootstrap subscribes it (less the mapping of permanent failures to an ERROR unit).
        started.append(delivery.attempt)
        try:
            await world.sites.migrate(cmd)
        finally:
            ended.append(delivery.attempt)

    subscribe(
        world.broker,
        subject=subjects.CMD_SITE_MIGRATE,
        stream=COMMANDS,
        durable=DURABLE,
        model=MigrateSite,
        handler=on_migrate_site,
        ack_wait_seconds=ACK_WAIT_SECONDS,
        max_workers=2,  # a redelivery would run beside the first, as on another replica
    )
    await world.broker.start()
    # SharePoint holds the first call back for three ack waits (its Retry-After is often longer
    # than production's 30 s).
    await world.faults(throttle={"status": 429, "count": 1, "retryAfter": int(3 * ACK_WAIT_SECONDS)})
    cmd = world.migrate_site(SITE)

    await publish(world.broker, subjects.CMD_SITE_MIGRATE, cmd, msg_id=cmd.unit_id)

    await settled(world, started, ended)
    assert started == [1]
    assert len(await world.imports(DEST_SITE)) == 1
    assert await world.site(DEST_SITE) == await world.site(SITE)


async def settled(world: World, started: list[int], ended: list[int]) -> None:
    """Until every run has ended and the consumer holds nothing more to deliver or to be acked."""
    js = world.broker.connection.jetstream()
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        info = await js.consumer_info(COMMANDS.name, DURABLE)
        if started and len(ended) == len(started) and info.num_pending == info.num_ack_pending == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"runs started {started}, ended {ended} after {SETTLE_SECONDS}s")
