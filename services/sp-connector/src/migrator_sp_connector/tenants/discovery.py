"""Discovery: users (with mailbox sizes), sites (with storage), teams — and the tenant's totals."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from faststream.nats import NatsBroker
from migrator_contracts import readmodels
from migrator_contracts.base import iso
from migrator_contracts.commands import DiscoverTenant
from migrator_contracts.readmodels import DiscoveredSiteDoc, DiscoveredTeamDoc, DiscoveredUserDoc
from migrator_microsoft.graph import GraphClient
from migrator_platform.bus import BusPublisher
from migrator_platform.discovery_jobs import (
    finish_discovery,
    found_by,
    replace_discovered,
    running_discovery,
    tenant_to_discover,
)
from migrator_platform.structured_logs import get_logger
from migrator_readstore import ReadStore

log = get_logger(__name__)


# A site's quota and a team's member count are one Graph read each: this many at once, so a
# tenant of thousands of sites is not discovered one round trip at a time (Graph's throttling
# answers, which the client waits out, pace it beyond that).
READS_AT_ONCE = 8

TEAMS = "/groups?$filter=resourceProvisioningOptions/Any(x:x eq 'Team')"

T = TypeVar("T")
A = TypeVar("A")


async def _each(items: list[T], read: Callable[[T], Awaitable[A]]) -> list[A]:
    """``read`` of every item, ``READS_AT_ONCE`` at a time, in the items' order."""
    gate = asyncio.Semaphore(READS_AT_ONCE)

    async def one(item: T) -> A:
        async with gate:
            return await read(item)

    return list(await asyncio.gather(*(one(item) for item in items)))


def stable_id(prefix: str, tenant_id: str, object_id: str) -> str:
    """The same discovered object keeps its id across discoveries, so rediscovery updates in place."""
    return f"{prefix}_{hashlib.sha256(f'{tenant_id}:{object_id}'.encode()).hexdigest()[:16].upper()}"


async def discover_tenant(
    cmd: DiscoverTenant, *, graph: GraphClient, store: ReadStore, broker: NatsBroker
) -> None:
    """Run one discovery; safe to run again for the same command.

    The discovery job's record is created here when the request came from the API (on demand)
    rather than from the consent flow, which records it before asking.
    """
    if await tenant_to_discover(store, cmd) is None:
        return
    async with running_discovery(store, cmd):
        totals = await _discover(cmd, graph=graph, store=store)
    now = datetime.now(UTC)
    await store.collection(readmodels.TENANTS).update(cmd.tenant_id, totals | {"discoveredAt": iso(now)})
    await finish_discovery(store, BusPublisher(broker), cmd, at=now)
    log.info("tenant discovered", tenant_id=cmd.tenant_id, **totals)


async def _discover(cmd: DiscoverTenant, *, graph: GraphClient, store: ReadStore) -> dict[str, Any]:
    tenant = cmd.tenant_id
    usage = await graph.get_json(
        tenant, "/reports/getMailboxUsageDetail(period='D7')?$format=application/json"
    )
    mailbox_bytes = {
        u["userPrincipalName"].lower(): int(u.get("storageUsedInBytes") or 0) for u in usage["value"]
    }
    found = found_by(cmd)
    users: list[DiscoveredUserDoc] = []
    onedrive_quota: int | None = None
    async for user in graph.pages(tenant, "/users?$select=id,userPrincipalName,displayName,mail"):
        if onedrive_quota is None:
            onedrive_quota = int(
                (await graph.get_json(tenant, f"/users/{user['id']}/drive"))["quota"]["total"]
            )
        users.append(
            DiscoveredUserDoc(
                **found,
                id=stable_id("dbu", tenant, user["id"]),
                upn=user["userPrincipalName"],
                display_name=user.get("displayName"),
                source_size_bytes=mailbox_bytes.get(user["userPrincipalName"].lower(), 0),
            )
        )
    found_sites = [site async for site in graph.pages(tenant, "/sites?search=*")]
    quotas = await _each(found_sites, lambda site: graph.get_json(tenant, f"/sites/{site['id']}/drive"))
    pool = int(quotas[-1]["quota"]["total"]) if quotas else None
    sites = [
        DiscoveredSiteDoc(
            **found,
            id=stable_id("dbs", tenant, site["id"]),
            site_id=site["id"],
            name=site.get("displayName") or site.get("name"),
            url=site["webUrl"],
            size_bytes=str(int(drive["quota"].get("used") or 0)),
        )
        for site, drive in zip(found_sites, quotas, strict=True)
    ]
    groups = [
        group
        async for group in graph.pages(
            tenant, "/groups?$filter=resourceProvisioningOptions/Any(x:x eq 'Team')"
        )
    ]
    counts = await _each(
        groups,
        lambda group: graph.get_text(
            tenant, f"/groups/{group['id']}/members/$count", headers={"ConsistencyLevel": "eventual"}
        ),
    )
    teams = [
        DiscoveredTeamDoc(
            **found,
            id=stable_id("dbt", tenant, group["id"]),
            team_id=group["id"],
            name=group.get("displayName"),
            description=group.get("description") or "",
            member_count=int(count),
        )
        for group, count in zip(groups, counts, strict=True)
    ]
    await replace_discovered(store, readmodels.DISCOVERED_USERS, cmd, users)
    await replace_discovered(store, readmodels.DISCOVERED_SITES, cmd, sites)
    await replace_discovered(store, readmodels.DISCOVERED_TEAMS, cmd, teams)
    site_used = sum(int(s.size_bytes) for s in sites)
    return {
        "mailboxCount": len(users),
        "siteCount": len(sites),
        "totalSizeBytes": sum(u.source_size_bytes for u in users) + site_used,
        "sharepointQuotaBytes": pool,
        "sharepointUsedBytes": site_used,
        "onedriveQuotaPerUserBytes": onedrive_quota,
    }
