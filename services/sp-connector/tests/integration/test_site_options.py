"""A site migrated with its files' earlier versions and its items' unique permissions: users
mapped, SharePoint groups and role definitions brought along, inheritance restored as at the source."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import World

pytestmark = pytest.mark.integration

SITE = "https://contoso.sharepoint.com/sites/marketing"
DEST_SITE = "https://fabrikam.sharepoint.com/sites/marketing"


async def test_earlier_versions_and_unique_permissions_arrive_with_users_mapped(world: World) -> None:
    await world.faults(failItemsMatching=[])
    tenants = {t["domain"]: t["userNames"] for t in (await world.sim.get("/_sim/tenants")).json()["tenants"]}
    (lisa, ahmed), elsewhere = tenants["contoso.com"][1:3], tenants["fabrikam.com"][5]
    files = [item["path"] for item in await world.site(SITE) if item["type"] == "file"]
    for edit in (
        {"put": {files[0]: "second version"}},
        {"put": {files[0]: "third version", files[1]: "second version"}},
        {"grant": {files[2]: {lisa: "Contribute"}, "Shared Documents/Plans": {ahmed: "Read"}}},
    ):
        (await world.sim.post("/_sim/sites/changes", params={"url": SITE}, json=edit)).raise_for_status()
    # Lisa goes where the job's mappings say; Ahmed, unmapped, to his namesake at fabrikam.com.
    cmd = world.migrate_site(
        SITE, include_versions=True, include_permissions=True, user_mappings={lisa: elsewhere}
    )

    await world.sites.migrate(cmd)

    namesake = ahmed.replace("@contoso.com", "@fabrikam.com")
    mapped = {lisa: elsewhere, ahmed: namesake}
    expected = [
        item | {"permissions": {mapped[u]: role for u, role in item["permissions"].items()}}
        if "permissions" in item
        else item
        for item in await world.site(SITE)
    ]
    assert [sum(key in item for item in expected) for key in ("versions", "permissions")] == [2, 2]
    assert await world.site(DEST_SITE) == expected


async def test_groups_role_definitions_and_restored_inheritance_arrive_as_at_the_source(world: World) -> None:
    await world.faults(failItemsMatching=[])
    tenants = {t["domain"]: t["userNames"] for t in (await world.sim.get("/_sim/tenants")).json()["tenants"]}
    lisa, ahmed, wei = tenants["contoso.com"][1:4]
    files = [item["path"] for item in await world.site(SITE) if item["type"] == "file"]
    edit = {
        "roles": {"Approve Only": "ApproveItems, ViewListItems"},
        "groups": {"Legal Reviewers": [lisa, ahmed]},
        "grant": {
            "Shared Documents/Plans": {"Legal Reviewers": "Approve Only", wei: "Read"},
            files[0]: {"Marketing Members": "Contribute"},  # a group every Marketing site has
            files[1]: {lisa: "Edit"},
        },
    }
    (await world.sim.post("/_sim/sites/changes", params={"url": SITE}, json=edit)).raise_for_status()

    first = world.migrate_site(SITE, include_permissions=True)
    await world.sites.migrate(first)

    def at_destination(upn: str) -> str:
        return upn.replace("@contoso.com", "@fabrikam.com")

    async def expected() -> list[dict[str, Any]]:
        return [
            item | {"permissions": {at_destination(p): role for p, role in item["permissions"].items()}}
            if "permissions" in item
            else item
            for item in await world.site(SITE)
        ]

    assert await world.site(DEST_SITE) == await expected()
    dest = (await world.sim.get("/_sim/sites", params={"url": DEST_SITE})).json()
    assert dest["roles"]["Approve Only"] == "ApproveItems, ViewListItems"
    assert sorted(dest["groups"]["Legal Reviewers"]) == sorted(map(at_destination, [lisa, ahmed]))
    lines = [line["message"] for line in await world.published(f"migrator.log.job.{first.job_id}")]
    assert not [
        m for m in lines if "does not exist at the destination" in m
    ]  # every principal and role was there

    # The source gives files[1] its parent's permissions again: so does the destination.
    restore = {"inherit": [files[1]]}
    (await world.sim.post("/_sim/sites/changes", params={"url": SITE}, json=restore)).raise_for_status()
    await world.sites.migrate(world.migrate_site(SITE, include_permissions=True))

    restored = {item["path"]: item for item in await world.site(DEST_SITE)}[files[1]]
    assert "permissions" not in restored
    assert [{k: v for k, v in i.items() if k != "versions"} for i in await world.site(DEST_SITE)] == [
        {k: v for k, v in i.items() if k != "versions"} for i in await expected()
    ]
