"""Disconnecting a tenant: its credentials first (access ends at once), then what we learnt of it."""

from __future__ import annotations

from datetime import UTC, datetime

from faststream.nats import NatsBroker
from migrator_contracts import readmodels, subjects
from migrator_contracts.commands import RevokeTenant
from migrator_contracts.events import TenantRemoved
from migrator_platform.bus import publish
from migrator_platform.structured_logs import get_logger
from migrator_readstore import ReadStore

log = get_logger(__name__)

_DISCOVERY = (
    readmodels.DISCOVERED_USERS,
    readmodels.DISCOVERED_SITES,
    readmodels.DISCOVERED_TEAMS,
    readmodels.DISCOVERY_JOBS,
)


async def revoke_tenant(cmd: RevokeTenant, *, store: ReadStore, broker: NatsBroker) -> None:
    """Forget the tenant (idempotent: a redelivery finds less to delete and announces again)."""
    tenant = await store.collection(readmodels.TENANTS).get(cmd.tenant_id)
    if tenant is not None and readmodels.TenantDoc.model_validate(tenant).org_id != cmd.org_id:
        log.warning("revoke for another organisation's tenant ignored", tenant_id=cmd.tenant_id)
        return
    await store.collection(readmodels.TENANT_SECRETS).delete(cmd.tenant_id)
    for name in _DISCOVERY:
        await store.collection(name).delete_many({"tenantId": cmd.tenant_id})
    # The last passes of the site pairs it was part of: connected again, it starts with full passes.
    for role in ("sourceTenantId", "destTenantId"):
        await store.collection(readmodels.SP_SYNC).delete_many({role: cmd.tenant_id})
    # Last, so the tenant leaves the API only once nothing of it is left behind.
    await store.collection(readmodels.TENANTS).delete(cmd.tenant_id)
    log.info("tenant removed", tenant_id=cmd.tenant_id)
    now = datetime.now(UTC)
    await publish(
        broker,
        subjects.tenant_event(cmd.tenant_id, "TenantRemoved"),
        TenantRemoved(
            event_id=f"{cmd.tenant_id}:removed:{cmd.request_id}",
            seq=int(now.timestamp()),
            occurred_at=now,
            tenant_id=cmd.tenant_id,
            org_id=cmd.org_id,
        ),
        msg_id=f"{cmd.tenant_id}:removed:{cmd.request_id}",
    )
