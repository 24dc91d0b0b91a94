"""A site migrated through sp-connector arrives whole at the destination, and its reports say so."""

from __future__ import annotations

import pytest
from migrator_contracts import readmodels
from migrator_sp_connector.migration.site_job import sync_key
from migrator_sp_connector.migration.site_task import SiteSync, SiteTask, StoredProgress

from .conftest import ORG, World

pytestmark = pytest.mark.integration

SITE = "https://contoso.sharepoint.com/sites/marketing"
DEST_SITE = "https://fabrikam.sharepoint.com/sites/marketing"


async def test_a_migrated_site_arrives_whole_and_its_last_report_says_done(world: World) -> None:
    await world.faults(failItemsMatching=[])  # contoso's .tmp files fail by default
    cmd = world.migrate_site(SITE)

    await world.sites.migrate(cmd)

    source = await world.site(SITE)
    assert await world.site(DEST_SITE) == source
    reports = await world.published(f"migrator.evt.unit.{cmd.job_id}.UnitProgressed")
    last = reports[-1]
    assert (last["status"], last["source"]) == ("DONE", SITE)
    assert (last["totalItems"], last["doneItems"], last["errorItems"], last["skippedItems"]) == (
        len(source),
        len(source),
        0,
        0,
    )
    assert last["bytesTransferred"] == sum(item["size"] for item in source if item["type"] == "file")
    assert {r["status"] for r in reports[:-1]} <= {"RUNNING"}
    assert [r["seq"] for r in reports] == sorted({r["seq"] for r in reports})
    done = [r["doneItems"] for r in reports]
    assert done == sorted(done)  # a counter users watch never steps back


async def test_items_sharepoint_refuses_are_counted_as_errors_and_the_rest_arrives(world: World) -> None:
    cmd = world.migrate_site(SITE)  # the simulator refuses *.tmp files, as a blocking policy would

    await world.sites.migrate(cmd)

    source = await world.site(SITE)
    refused = {item["path"] for item in source if item["path"].endswith(".tmp")}
    assert refused
    assert await world.site(DEST_SITE) == [item for item in source if item["path"] not in refused]
    last = (await world.published(f"migrator.evt.unit.{cmd.job_id}.UnitProgressed"))[-1]
    assert (last["status"], last["totalItems"], last["doneItems"], last["errorItems"]) == (
        "DONE",
        len(source),
        len(source) - len(refused),
        len(refused),
    )
    failed = await world.published(f"migrator.evt.unit.{cmd.job_id}.ItemFailed")
    assert sorted(f["itemUrl"] for f in failed) == sorted(refused)
    # The pair's next pass reads the refused items again; what the connector keeps is what its
    # models declare (anything else no reader could rely on).
    task = await world.store.collection(readmodels.SP_TASKS).get(cmd.unit_id)
    assert task is not None and not SiteTask.undeclared(task), SiteTask.undeclared(task)
    assert not StoredProgress.undeclared(task["progress"]), StoredProgress.undeclared(task["progress"])
    sync = await world.store.collection(readmodels.SP_SYNC).get(sync_key(ORG, SITE, DEST_SITE))
    assert sync is not None and not SiteSync.undeclared(sync), SiteSync.undeclared(sync)
    assert len(sync["retryUrls"]) == len(refused) and sync["changeToken"]


async def test_a_second_job_for_the_site_brings_only_what_changed_deletes_and_renames_included(
    world: World,
) -> None:
    await world.faults(failItemsMatching=[])
    await world.sites.migrate(world.migrate_site(SITE))
    before = await world.site(SITE)
    folder = next(i["path"] for i in reversed(before) if i["type"] == "folder" and i["path"].count("/") == 1)
    inside = [i for i in before if i["path"].startswith(folder + "/")]
    edited, deleted, renamed = [
        i["path"] for i in before if i["type"] == "file" and not i["path"].startswith(folder + "/")
    ][:3]
    changes = {
        "put": {edited: "edited", "Shared Documents/New/added.txt": "added"},  # a file in a new folder
        "delete": [deleted],
        "rename": {renamed: f"{renamed}.old", folder: "Shared Documents/Moved"},
    }
    (await world.sim.post("/_sim/sites/changes", params={"url": SITE}, json=changes)).raise_for_status()
    cmd = world.migrate_site(SITE)

    await world.sites.migrate(cmd)

    assert await world.site(DEST_SITE) == await world.site(SITE)
    last = (await world.published(f"migrator.evt.unit.{cmd.job_id}.UnitProgressed"))[-1]
    touched = 6 + len(inside)  # edited, new folder, added, deleted, renamed, the folder and its items
    assert (last["status"], last["totalItems"], last["doneItems"]) == ("DONE", touched, touched)


async def test_a_file_larger_than_an_upload_block_is_staged_in_blocks_and_arrives_whole(world: World) -> None:
    # 20 MiB: past the simulator's 16 MiB for keeping only a digest, and three staged blocks.
    big = {"path": "Shared Documents/Media/launch.mp4", "size": 20 * 1024 * 1024 + 5, "seed": 9}
    added = await world.sim.post("/_sim/sites/large-file", params={"url": SITE}, json=big)
    assert added.json()["ok"]
    await world.faults(failItemsMatching=[])
    cmd = world.migrate_site(SITE)

    await world.sites.migrate(cmd)

    arrived = {i["path"]: i for i in await world.site(DEST_SITE)}[big["path"]]
    sent = {i["path"]: i for i in await world.site(SITE)}[big["path"]]
    assert arrived == sent and arrived["size"] == big["size"]
    assert await world.site(DEST_SITE) == await world.site(SITE)
