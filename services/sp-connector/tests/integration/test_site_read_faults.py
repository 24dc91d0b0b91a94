"""How a site is read, and what SharePoint's own refusals do to it: permissions read as the AMR
reference advises, a folder past the limit read a level at a time, a read SharePoint cancels
(-2147213196) read again and an incremental one falling back to a full read, a 403 naming the
permission the app lacks, a progress log expired after the import ended leaving the outcome the
queue gave."""

from __future__ import annotations

from typing import Any

import pytest
from migrator_contracts.commands import MigrateSite
from migrator_sp_connector.adapters.sharepoint_api import SharePointError
from migrator_sp_connector.migration.amr_reader import CANCELLED_ATTEMPTS, AmrReader, ReadCancelled

from .conftest import SOURCE, World

pytestmark = pytest.mark.integration

SITE = "https://contoso.sharepoint.com/sites/engineering"
DEST_SITE = "https://fabrikam.sharepoint.com/sites/engineering"


async def lines(world: World, cmd: MigrateSite) -> list[str]:
    return [line["message"] for line in await world.published(f"migrator.log.job.{cmd.job_id}")]


def current(items: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v for k, v in item.items() if k != "versions"} for item in items]


async def reads(world: World) -> list[dict[str, Any]]:
    jobs = (await world.sim.get("/_sim/migration-jobs", params={"site": SITE})).json()["jobs"]
    return [job for job in jobs if job["kind"] == "export"]


async def test_a_read_sharepoint_cancels_is_read_again_and_the_site_arrives_whole(world: World) -> None:
    await world.faults(failItemsMatching=[], cancelReads=1)
    cmd = world.migrate_site(SITE)

    await world.sites.migrate(cmd)

    assert await world.site(DEST_SITE) == await world.site(SITE)
    said = await lines(world, cmd)
    assert any(
        m.startswith(f"SharePoint cancelled the read of {SITE}/Shared Documents (-2147213196)")
        and m.endswith(f"(2 of {CANCELLED_ATTEMPTS})")
        for m in said
    ), said


async def test_a_read_cancelled_every_time_fails_the_site_naming_the_cancellation(world: World) -> None:
    await world.faults(cancelReads=CANCELLED_ATTEMPTS)
    cmd = world.migrate_site(SITE)

    with pytest.raises(ReadCancelled) as cancelled:
        await world.sites.migrate(cmd)

    assert "Operation canceled. (-2147213196)" in str(cancelled.value)
    assert await world.site(DEST_SITE) == []  # nothing was imported


async def test_an_incremental_read_sharepoint_cancels_becomes_a_full_read(world: World) -> None:
    await world.faults(failItemsMatching=[])
    await world.sites.migrate(world.migrate_site(SITE))
    files = [i["path"] for i in await world.site(SITE) if i["type"] == "file"]
    changed = {"put": {files[0]: "changed since the first pass"}}
    (await world.sim.post("/_sim/sites/changes", params={"url": SITE}, json=changed)).raise_for_status()
    await world.faults(cancelReads=1)  # the change-token read
    again = world.migrate_site(SITE)

    await world.sites.migrate(again)

    # Every file was imported again over its copy, which keeps the copy as an earlier version
    # there (as SharePoint does): what must match is the current content.
    assert current(await world.site(DEST_SITE)) == current(await world.site(SITE))
    assert any(
        m.startswith("SharePoint cancelled the read of what changed") for m in await lines(world, again)
    )
    last = (await world.published(f"migrator.evt.unit.{again.job_id}.UnitProgressed"))[-1]
    assert (last["status"], last["totalItems"]) == ("DONE", len(await world.site(SITE)))  # all of it


async def test_permissions_are_read_item_by_item_and_users_only_at_the_top(world: World) -> None:
    await world.faults(failItemsMatching=[])

    await world.sites.migrate(world.migrate_site(SITE, include_permissions=True))

    done = await reads(world)
    assert len(done) >= 2 and all(r["readOptions"]["IncludePermission"] for r in done)
    with_users = [r for r in done if r["readOptions"]["IncludeSecurity"]]
    assert [r["readOptions"]["IncludeDirectDescendantsOnly"] for r in with_users] == [True]
    assert all(r["chargedSeconds"] == 0 for r in done)  # never the slow path


async def test_a_site_sharepoint_forbids_fails_naming_the_permission_the_app_needs(world: World) -> None:
    await world.faults(forbiddenSites=[SITE])
    cmd = world.migrate_site(SITE)

    with pytest.raises(SharePointError) as refused:
        await world.sites.migrate(cmd)

    assert refused.value.status == 403 and refused.value.message.startswith("Access denied.")
    assert f"refused the app on {SITE}: it needs Sites.Read.All" in refused.value.message


async def test_a_progress_log_expired_after_the_import_ended_leaves_the_queues_outcome(world: World) -> None:
    await world.faults(failItemsMatching=[])
    cmd = world.migrate_site(SITE)
    # Once the import is submitted, SharePoint no longer keeps its progress log.
    expired = world.faults_once_submitted(cmd, expireJobs=True)
    await world.sites.migrate(cmd)

    assert expired()
    source = await world.site(SITE)
    assert await world.site(DEST_SITE) == source
    last = (await world.published(f"migrator.evt.unit.{cmd.job_id}.UnitProgressed"))[-1]
    assert (last["status"], last["doneItems"]) == ("DONE", len(source))
    assert any("-2147213146 Job status expired" in m for m in await lines(world, cmd))


async def test_a_folder_past_the_limit_is_read_a_level_at_a_time_and_nothing_is_missed(world: World) -> None:
    site = "https://contoso.sharepoint.com/sites/deep"
    assert (await world.sim.post("/_sim/sites", json={"url": site, "items": 600, "seed": 5})).json()["ok"]
    # The limit is 1,000,000 items; at 40, this site's folders are past it two levels down.
    reader = AmrReader(world.sp, poll_seconds=0.05, fallback_after=5.0, level_by_level_past=40)

    async def notice(key: str, message: str) -> None:
        raise AssertionError(message)

    read = await reader.read(SOURCE, site, since_token=None, notice=notice)

    path = "/sites/deep/"
    assert sorted(o.url.removeprefix(path) for o in read.objects) == sorted(
        i["path"] for i in await world.site(site)
    )
    assert len({o.uid for o in read.objects}) == len(read.objects)  # each once
    jobs = (await world.sim.get("/_sim/migration-jobs", params={"site": site})).json()["jobs"]
    level_reads = [j for j in jobs if j["readOptions"]["IncludeDirectDescendantsOnly"]]
    assert len(level_reads) > 2  # the library's top, then the big folders', level by level
    whole_reads = [j for j in jobs if not j["readOptions"]["IncludeDirectDescendantsOnly"]]
    assert whole_reads  # the folders under the limit, read whole
