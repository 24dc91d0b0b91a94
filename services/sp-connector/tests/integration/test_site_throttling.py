"""SharePoint throttling (429 / 503 with Retry-After) slows a site migration down but does not fail it."""

from __future__ import annotations

import pytest
from migrator_contracts.commands import MigrateSite

from .conftest import World

pytestmark = pytest.mark.integration

SITE = "https://contoso.sharepoint.com/sites/finance"
DEST_SITE = "https://fabrikam.sharepoint.com/sites/finance"
THROTTLED_CALLS = 2  # in a row, at each end: fewer than the client's attempts


@pytest.mark.parametrize("status", [429, 503])
async def test_a_site_throttled_at_both_ends_still_arrives_whole(world: World, status: int) -> None:
    await world.faults(failItemsMatching=[])
    throttle = {"status": status, "count": THROTTLED_CALLS, "retryAfter": 1}
    await world.faults(throttle=throttle)  # the source's first calls: the read of its library
    cmd = world.migrate_site(SITE)

    # Once the import is submitted, the destination's calls (its progress log) are throttled too.
    armed = world.faults_once_submitted(cmd, throttle=throttle)
    await world.sites.migrate(cmd)

    assert armed()
    source = await world.site(SITE)
    assert await world.site(DEST_SITE) == source
    last = (await world.published(f"migrator.evt.unit.{cmd.job_id}.UnitProgressed"))[-1]
    assert (last["status"], last["doneItems"], last["errorItems"]) == ("DONE", len(source), 0)
    # Each throttled call is a line in the job's log, with the wait SharePoint asked for.
    assert await throttled(world, cmd) == [(status, 1.0)] * (2 * THROTTLED_CALLS)


async def throttled(world: World, cmd: MigrateSite) -> list[tuple[int, float]]:
    """(status, Retry-After) of each throttled call the job's log tells of."""
    lines = await world.published(f"migrator.log.job.{cmd.job_id}")
    return [
        (line["fields"]["status"], line["fields"]["retryAfterSeconds"])
        for line in lines
        if line["message"].startswith("Throttled")
    ]
