"""Removing a tenant: its grant and what discovery learnt of it go, and the removal is announced."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from migrator_contracts import readmodels
from migrator_contracts.commands import DiscoverTenant, RevokeTenant
from migrator_devstack import infra
from migrator_microsoft.endpoints import Endpoints
from migrator_microsoft.identity import ClientCredentials, TokenError
from migrator_sp_connector.migration.site_task import SiteSync
from migrator_sp_connector.tenants.discovery import discover_tenant
from migrator_sp_connector.tenants.removal import revoke_tenant
from migrator_sp_connector.tenants.tokens import remember_directory, tenant_tokens

from .conftest import DEST, ORG, SOURCE, World

pytestmark = pytest.mark.integration

# sp-connector's collections holding a tenant's documents under ``tenantId`` (TENANTS and
# TENANT_SECRETS hold one document each, under the tenant's id).
BY_TENANT_ID = (
    readmodels.DISCOVERED_USERS,
    readmodels.DISCOVERED_SITES,
    readmodels.DISCOVERED_TEAMS,
    readmodels.DISCOVERY_JOBS,
)


async def connected_and_discovered(world: World, tenant_id: str) -> None:
    """A tenant as consent and a discovery leave it: its grant, its documents, its discovery."""
    await remember_directory(world.store, tenant_id, org_id=ORG, external_tenant_id=str(uuid.uuid4()))
    cmd = DiscoverTenant(tenant_id=tenant_id, org_id=ORG, discovery_job_id=f"dis_{uuid.uuid4().hex[:12]}")
    await discover_tenant(cmd, graph=world.graph, store=world.store, broker=world.broker)


async def kept(world: World, tenant_id: str) -> dict[str, Any]:
    """Everything sp-connector's tenant collections hold of the tenant."""
    store = world.store
    out: dict[str, Any] = {
        name: await store.collection(name).get(tenant_id)
        for name in (readmodels.TENANTS, readmodels.TENANT_SECRETS)
    }
    for name in BY_TENANT_ID:
        out[name] = await store.collection(name).find({"tenantId": tenant_id}, sort=[("_id", 1)])
    return out


def revoke(tenant_id: str, org_id: str = ORG) -> RevokeTenant:
    """A RevokeTenant command, as the scheduler sends once the tenant's jobs are paused."""
    return RevokeTenant(tenant_id=tenant_id, org_id=org_id, request_id=f"req_{uuid.uuid4().hex[:12]}")


async def test_removing_a_tenant_leaves_nothing_of_it_and_announces_it_once(world: World) -> None:
    for tenant_id in (SOURCE, DEST):
        await connected_and_discovered(world, tenant_id)
    passes = world.store.collection(readmodels.SP_SYNC)
    for key, source, dest in (("with_source", SOURCE, DEST), ("without", DEST, "ten_OTHER")):
        last = SiteSync(
            org_id=ORG,
            source_tenant_id=source,
            dest_tenant_id=dest,
            source_site_url="https://contoso.sharepoint.com/sites/a",
            dest_site_url="https://fabrikam.sharepoint.com/sites/a",
            change_token="1;3;token",
            last_job_id="job_1",
            last_pass_at="2026-12-06T10:00:00+00:00",
        )
        await passes.upsert(key, last.to_doc())
    others = await kept(world, DEST)
    cmd = revoke(SOURCE)

    await revoke_tenant(cmd, store=world.store, broker=world.broker)
    await revoke_tenant(cmd, store=world.store, broker=world.broker)  # redelivered

    assert await kept(world, SOURCE) == {
        readmodels.TENANTS: None,
        readmodels.TENANT_SECRETS: None,
        **{name: [] for name in BY_TENANT_ID},
    }
    assert await kept(world, DEST) == others
    # A pair's last pass goes with either of its tenants: connected again, the next pass is full.
    assert [d["_id"] for d in await passes.find()] == ["without"]
    assert [(e["tenantId"], e["orgId"]) for e in await announced(world, cmd)] == [(SOURCE, ORG)]


async def test_a_removed_tenant_gets_no_more_tokens(world: World) -> None:
    await connected_and_discovered(world, SOURCE)
    # Nothing listens there: a token asked of Entra at all fails this test, not with TokenError.
    nowhere = Endpoints(f"http://127.0.0.1:{infra.free_port()}")
    credentials = ClientCredentials(client_id="migrator-dev-client", client_secret="x", endpoints=nowhere)

    await revoke_tenant(revoke(SOURCE), store=world.store, broker=world.broker)

    with pytest.raises(TokenError):
        await tenant_tokens(world.store, credentials).access_token(SOURCE)


async def test_another_organisations_removal_request_is_ignored(world: World) -> None:
    await connected_and_discovered(world, SOURCE)
    before = await kept(world, SOURCE)

    cmd = revoke(SOURCE, org_id="org_other")

    await revoke_tenant(cmd, store=world.store, broker=world.broker)

    assert await kept(world, SOURCE) == before
    assert await announced(world, cmd) == []


async def announced(world: World, cmd: RevokeTenant) -> list[dict[str, Any]]:
    """The TenantRemoved events JetStream holds for this removal request."""
    events = await world.published(f"migrator.evt.tenant.{cmd.tenant_id}.TenantRemoved")
    return [e for e in events if e["eventId"].endswith(f":{cmd.request_id}")]
