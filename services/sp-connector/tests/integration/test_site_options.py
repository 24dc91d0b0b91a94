"""A site migrated with its files' earlier versions and its items' unique permissions."""

from __future__ import annotations

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
