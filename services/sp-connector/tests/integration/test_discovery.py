"""Discovery: a tenant's users, sites and teams in the store, announced once, stable across runs."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from migrator_contracts import readmodels
from migrator_contracts.commands import DiscoverTenant
from migrator_sp_connector.tenants.discovery import discover_tenant

from .conftest import DEST, ORG, SOURCE, World

pytestmark = pytest.mark.integration

DISCOVERED = (readmodels.DISCOVERED_USERS, readmodels.DISCOVERED_SITES, readmodels.DISCOVERED_TEAMS)


def discovery(tenant_id: str = SOURCE) -> DiscoverTenant:
    """A DiscoverTenant command for a new discovery job."""
    return DiscoverTenant(tenant_id=tenant_id, org_id=ORG, discovery_job_id=f"dis_{uuid.uuid4().hex[:12]}")


async def discover(world: World, cmd: DiscoverTenant) -> None:
    """Handle the command as sp-connector's discovery consumer does."""
    await discover_tenant(cmd, graph=world.graph, store=world.store, broker=world.broker)


async def discovered(world: World, tenant_id: str = SOURCE) -> dict[str, list[dict[str, Any]]]:
    """What the store holds of the tenant's users, sites and teams, by collection."""
    return {
        name: await world.store.collection(name).find({"tenantId": tenant_id}, sort=[("_id", 1)])
        for name in DISCOVERED
    }


async def simulated(world: World, domain: str = "contoso.com") -> dict[str, Any]:
    """The tenant as the simulator holds it: its users, sites and teams."""
    tenants = (await world.sim.get("/_sim/tenants")).json()["tenants"]
    return next(t for t in tenants if t["domain"] == domain)


async def test_discovery_stores_the_tenants_users_sites_and_teams_and_announces_it(world: World) -> None:
    cmd = discovery()

    await discover(world, cmd)

    truth, found = await simulated(world), await discovered(world)
    assert sorted(u["upn"] for u in found[readmodels.DISCOVERED_USERS]) == sorted(truth["userNames"])
    # Graph's site search leaves OneDrives out, and so does discovery.
    sites = sorted(url for url in truth["sites"] if "/personal/" not in url)
    assert sorted(s["url"] for s in found[readmodels.DISCOVERED_SITES]) == sites
    assert sorted(t["name"] for t in found[readmodels.DISCOVERED_TEAMS]) == sorted(truth["teamNames"])
    tenant = await world.store.collection(readmodels.TENANTS).get(SOURCE)
    assert tenant is not None and not readmodels.TenantDoc.undeclared(tenant), tenant
    assert (tenant["mailboxCount"], tenant["siteCount"], tenant["latestDiscoveryJobId"]) == (
        len(truth["userNames"]),
        len(sites),
        cmd.discovery_job_id,
    )
    job = await world.store.collection(readmodels.DISCOVERY_JOBS).get(cmd.discovery_job_id)
    assert job is not None and job["status"] == "DONE"
    assert not readmodels.DiscoveryJobDoc.undeclared(job), readmodels.DiscoveryJobDoc.undeclared(job)
    models = {
        readmodels.DISCOVERED_USERS: readmodels.DiscoveredUserDoc,
        readmodels.DISCOVERED_SITES: readmodels.DiscoveredSiteDoc,
        readmodels.DISCOVERED_TEAMS: readmodels.DiscoveredTeamDoc,
    }
    undeclared = {name: set().union(*map(models[name].undeclared, docs)) for name, docs in found.items()}
    assert not any(undeclared.values()), undeclared  # the gateway reads them by these models
    assert await announced(world, cmd) == 1


async def test_discovery_run_again_for_the_same_command_changes_nothing(world: World) -> None:
    cmd = discovery()
    await discover(world, cmd)
    before = await discovered(world)

    await discover(world, cmd)  # the command redelivered

    assert await discovered(world) == before  # the same documents under the same ids
    assert await announced(world, cmd) == 1


async def test_rediscovery_keeps_the_ids_of_what_is_still_there_and_drops_what_is_gone(
    world: World,
) -> None:
    await discover(world, discovery())
    before = await discovered(world)
    gone = "https://contoso.sharepoint.com/sites/finance"
    (await world.sim.delete("/_sim/sites", params={"url": gone})).raise_for_status()

    await discover(world, discovery())

    after = await discovered(world)
    sites = {s["url"]: s["_id"] for s in before[readmodels.DISCOVERED_SITES] if s["url"] != gone}
    assert {s["url"]: s["_id"] for s in after[readmodels.DISCOVERED_SITES]} == sites
    for name in (readmodels.DISCOVERED_USERS, readmodels.DISCOVERED_TEAMS):
        assert [d["_id"] for d in after[name]] == [d["_id"] for d in before[name]]


async def test_rediscovering_one_tenant_leaves_another_as_it_was(world: World) -> None:
    await discover(world, discovery(DEST))
    theirs = await discovered(world, DEST)

    await discover(world, discovery(SOURCE))
    await discover(world, discovery(SOURCE))  # a new discovery drops what the last one saw

    assert await discovered(world, DEST) == theirs
    assert all(theirs.values())


async def announced(world: World, cmd: DiscoverTenant) -> int:
    """How many TenantDiscovered events JetStream holds for this discovery."""
    events = await world.published(f"migrator.evt.tenant.{cmd.tenant_id}.TenantDiscovered")
    return sum(1 for e in events if e["discoveryJobId"] == cmd.discovery_job_id)
