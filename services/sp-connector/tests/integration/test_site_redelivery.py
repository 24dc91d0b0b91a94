"""A MigrateSite command delivered again (JetStream delivers at least once) adds nothing twice."""

from __future__ import annotations

import httpx
import pytest
from migrator_contracts import readmodels
from migrator_contracts.commands import MigrateSite

from .conftest import World

pytestmark = pytest.mark.integration

SITE = "https://contoso.sharepoint.com/sites/engineering"
DEST_SITE = "https://fabrikam.sharepoint.com/sites/engineering"


class Killed(Exception):
    """The connector's process died here; JetStream redelivers the unacknowledged command."""


def kill_in(world: World, cmd: MigrateSite, phase: str) -> None:
    """Kill the run the first time it reads a SharePoint job's progress with the site's task in
    ``phase``: a read of the source has run (reading), or the import is under way (submitted).
    Once: the redelivery runs on."""
    killed = False

    async def kill(request: httpx.Request) -> None:
        nonlocal killed
        if not killed and "GetMigrationJobProgress" in request.url.path and await world.phase(cmd) == phase:
            killed = True
            raise Killed(phase)

    world.before_each_call(kill)


@pytest.mark.parametrize(
    ("phase", "imports_before"),
    [
        ("reading", 0),  # killed while reading the source: nothing submitted yet
        ("submitted", 1),  # killed while following the import SharePoint runs on
    ],
)
async def test_a_site_command_redelivered_after_a_crash_brings_each_item_once(
    world: World, phase: str, imports_before: int
) -> None:
    await world.faults(failItemsMatching=[])
    cmd = world.migrate_site(SITE)
    kill_in(world, cmd, phase)
    with pytest.raises(Killed):
        await world.sites.migrate(cmd)
    assert len(await world.imports(DEST_SITE)) == imports_before

    await world.sites.migrate(cmd)  # the redelivery

    await assert_migrated_once(world, cmd)


async def test_a_copy_killed_half_way_copies_again_nothing_it_had_staged(world: World) -> None:
    # More files than the connector copies at once, so some are staged while others wait.
    site, dest = "https://contoso.sharepoint.com/sites/resume", "https://fabrikam.sharepoint.com/sites/resume"
    made = await world.sim.post("/_sim/sites", json={"url": site, "items": 300, "seed": 3})
    assert made.json()["ok"]
    await world.faults(failItemsMatching=[])
    cmd = world.migrate_site(site)
    files = [i for i in await world.site(site) if i["type"] == "file"]
    downloads: list[str] = []
    killed = False

    async def kill_half_way(request: httpx.Request) -> None:
        nonlocal killed
        if not request.url.path.endswith("/$value"):
            return
        downloads.append(request.url.path)
        if not killed and await world.store.collection(readmodels.SP_STAGED).count() >= len(files) // 3:
            killed = True
            raise Killed("copying")

    world.before_each_call(kill_half_way)
    with pytest.raises(Killed):
        await world.sites.migrate(cmd)
    staged = await world.store.collection(readmodels.SP_STAGED).find({"unitId": cmd.unit_id})
    staged_at_kill = {doc["uid"] for doc in staged}
    assert len(staged_at_kill) >= len(files) // 3 and len(await world.imports(dest)) == 0
    before = len(downloads)

    await world.sites.migrate(cmd)  # the redelivery

    assert await world.site(dest) == await world.site(site)
    assert len(await world.imports(dest)) == 1
    # Each file staged before the kill was not read again; the others once each.
    assert len(downloads) - before == len(files) - len(staged_at_kill)
    lines = [line["message"] for line in await world.published(f"migrator.log.job.{cmd.job_id}")]
    assert f"{len(staged_at_kill)} files already staged are not copied again" in " ".join(lines)
    assert await world.store.collection(readmodels.SP_STAGED).count({"unitId": cmd.unit_id}) == 0


async def test_a_site_command_redelivered_after_it_finished_changes_nothing(world: World) -> None:
    await world.faults(failItemsMatching=[])
    cmd = world.migrate_site(SITE)
    await world.sites.migrate(cmd)
    reports = await world.published(f"migrator.evt.unit.{cmd.job_id}.UnitProgressed")

    await world.sites.migrate(cmd)  # the acknowledgement was lost

    await assert_migrated_once(world, cmd)
    assert await world.published(f"migrator.evt.unit.{cmd.job_id}.UnitProgressed") == reports


async def assert_migrated_once(world: World, cmd: MigrateSite) -> None:
    """One import, every item at the destination once (an item imported twice gains a version)."""
    source = await world.site(SITE)
    assert await world.site(DEST_SITE) == source
    assert len(await world.imports(DEST_SITE)) == 1
    last = (await world.published(f"migrator.evt.unit.{cmd.job_id}.UnitProgressed"))[-1]
    assert (last["status"], last["totalItems"], last["doneItems"], last["errorItems"]) == (
        "DONE",
        len(source),
        len(source),
        0,
    )
