"""Every document library of a site moves, each to a library of the same name and title at the
destination (created where missing), with its files' metadata columns, earlier versions and
unique permissions (users mapped, groups and a custom role definition brought along); lists of
items with their columns, values and attachments; a list of another kind (Site Pages) is named
in the log and its items counted as skipped; what SharePoint
refuses is counted and named. Nothing else is left behind. ``MIGRATOR_SP_PROOF_ITEMS`` sets the
site's size (``make sharepoint-proof``: 20,000)."""

from __future__ import annotations

import fnmatch
import os

import pytest
from migrator_sp_connector.adapters.sharepoint_api import DOCUMENT_LIBRARY

from .conftest import DEST, World

pytestmark = pytest.mark.integration

SITE = "https://contoso.sharepoint.com/sites/archive"
DEST_SITE = "https://fabrikam.sharepoint.com/sites/archive"
ITEMS = int(os.environ.get("MIGRATOR_SP_PROOF_ITEMS", "2000"))
LIBRARIES = [
    "Contracts",
    "Invoices",
    "Board Minutes",
    "Designs",
    "Policies",
    "Projects",
    "Archive 2019",
    "Media",
]
REFUSED = "file 00[0-4]1*"  # SharePoint refuses these files (a policy block), in every library


async def test_every_library_of_a_site_arrives_and_nothing_is_left_silently(world: World) -> None:
    per_library = ITEMS // (len(LIBRARIES) + 1)
    made = await world.sim.post("/_sim/sites", json={"url": SITE, "items": per_library, "seed": 11})
    assert made.json()["ok"]
    for n, name in enumerate(LIBRARIES):
        library = {"name": name, "items": per_library, "seed": n}
        if name == "Board Minutes":
            library["title"] = "Minutes of the Board"  # a title that is not its folder's name
        assert (await world.sim.post("/_sim/sites/lists", params={"url": SITE}, json=library)).json()["ok"]
    for name, template, items in (("Contacts", 105, 40), ("Tasks", 107, 25), ("SitePages", 119, 6)):
        other = {"name": name, "template": template, "items": items}
        assert (await world.sim.post("/_sim/sites/lists", params={"url": SITE}, json=other)).json()["ok"]
    # Earlier versions, a custom role, a group, and permissions broken in every library.
    users = {t["domain"]: t["userNames"] for t in (await world.sim.get("/_sim/tenants")).json()["tenants"]}
    lisa, ahmed = users["contoso.com"][1:3]
    files = [i["path"] for i in await world.site(SITE) if i["type"] == "file"]
    # One file of each library, of those SharePoint will take (so the destination shows them).
    kept = [path for path in files if not fnmatch.fnmatch(path.rsplit("/", 1)[1], REFUSED)]
    by_library = {path.split("/")[0]: path for path in kept}
    edits = [
        {"put": {path: "second version" for path in by_library.values()}},
        {
            "roles": {"Approve Only": "ApproveItems, ViewListItems"},
            "groups": {"Records Managers": [lisa, ahmed]},
            "grant": {
                path: {"Records Managers": "Approve Only", lisa: "Edit"}
                if n % 2
                else {"Archive Members": "Read"}
                for n, path in enumerate(by_library.values())
            },
        },
    ]
    for edit in edits:
        (await world.sim.post("/_sim/sites/changes", params={"url": SITE}, json=edit)).raise_for_status()
    await world.faults(failItemsMatching=[REFUSED])
    cmd = world.migrate_site(SITE, include_versions=True, include_permissions=True)

    await world.sites.migrate(cmd)

    source = [
        item
        | {
            "permissions": {
                p.replace("@contoso.com", "@fabrikam.com"): r for p, r in item["permissions"].items()
            }
        }
        if "permissions" in item
        else item
        for item in await world.site(SITE)
    ]
    assert sum("versions" in i for i in source) == sum("permissions" in i for i in source) == len(by_library)
    assert len(by_library) == len(LIBRARIES) + 1
    refused = [
        i for i in source if i["type"] == "file" and fnmatch.fnmatch(i["path"].rsplit("/", 1)[1], REFUSED)
    ]
    assert refused and {i["path"].split("/")[0] for i in refused} >= set(LIBRARIES)
    # The destination is the source, every library of it, but for what SharePoint refused.
    assert await world.site(DEST_SITE) == [i for i in source if i not in refused]
    libraries = {
        (each.root.rsplit("/", 1)[1], each.title)
        for each in await world.sp.lists(DEST, DEST_SITE)
        if each.template == DOCUMENT_LIBRARY
    }
    assert ("Board Minutes", "Minutes of the Board") in libraries
    assert {root for root, _ in libraries} == {"Shared Documents", *LIBRARIES}
    # The lists of items arrive with their columns, values and attachments.
    sent = (await world.sim.get("/_sim/sites", params={"url": SITE})).json()
    got = (await world.sim.get("/_sim/sites", params={"url": DEST_SITE})).json()
    assert sorted(sent["lists"]) == ["Lists/Contacts", "Lists/Tasks"]
    assert got["lists"] == sent["lists"] and sum(len(items) for items in got["lists"].values()) == 65
    assert sum(bool(i["attachments"]) for i in got["lists"]["Lists/Contacts"]) == 10
    assert sum(len(i.get("versions", [])) for i in got["lists"]["Lists/Tasks"]) == 12  # earlier versions too
    assert got["listFolders"]["Lists/Tasks"] == ["Sprint 1", "Sprint 1/Backlog"]  # and folders, items in them
    assert {i.get("folder", "") for i in got["lists"]["Lists/Tasks"]} == {"", "Sprint 1", "Sprint 1/Backlog"}
    assert {k: got["columns"][k] for k in sent["lists"]} == {k: sent["columns"][k] for k in sent["lists"]}
    # Every item is counted: migrated, failed by name, or skipped as part of a list that is not a
    # library or a list of items (Site Pages).
    last = (await world.published(f"migrator.evt.unit.{cmd.job_id}.UnitProgressed"))[-1]
    in_lists = 65 + sum(len(folders) for folders in sent["listFolders"].values())  # items and folders
    assert (last["status"], last["totalItems"]) == ("DONE", len(source) + in_lists + 6)
    assert (last["doneItems"], last["errorItems"], last["skippedItems"]) == (
        len(source) - len(refused) + in_lists,
        len(refused),
        6,
    )
    failed = await world.published(f"migrator.evt.unit.{cmd.job_id}.ItemFailed")
    assert sorted(f["itemUrl"] for f in failed) == sorted(i["path"] for i in refused)
    lines = [line["message"] for line in await world.published(f"migrator.log.job.{cmd.job_id}")]
    assert (
        "SitePages (BaseTemplate 119) is neither a document library nor a list of items: "
        "its 6 items are not migrated"
    ) in lines
    assert not [m for m in lines if m.startswith(("Contacts (", "Tasks ("))]

    # The next pass: what changed since, and an item whose inheritance the source restored.
    granted = list(by_library.values())
    restore = {"inherit": granted[:2], "put": {granted[2]: "third version"}}
    (await world.sim.post("/_sim/sites/changes", params={"url": SITE}, json=restore)).raise_for_status()
    again = world.migrate_site(SITE, include_versions=True, include_permissions=True)

    await world.sites.migrate(again)

    after = {i["path"]: i for i in await world.site(DEST_SITE)}
    assert not [p for p in granted[:2] if "permissions" in after[p]]
    assert after[granted[2]]["sha256"] == {i["path"]: i for i in await world.site(SITE)}[granted[2]]["sha256"]
    last = (await world.published(f"migrator.evt.unit.{again.job_id}.UnitProgressed"))[-1]
    # Only what changed, and what SharePoint refused last time (read again, refused again).
    assert (last["status"], last["totalItems"], last["doneItems"], last["errorItems"]) == (
        "DONE",
        3 + len(refused),
        3,
        len(refused),
    )
