"""Forgetting an Atlassian tenant once it is removed: its sealed tokens and what discovery found.

Removing a tenant goes scheduler (pause its jobs) → sp-connector (revoke, delete the tenant,
announce ``TenantRemoved``); this connector then drops what it alone keeps of the tenant."""

from __future__ import annotations

from migrator_contracts import readmodels
from migrator_contracts.events import TenantRemoved
from migrator_platform.structured_logs import get_logger
from migrator_readstore import ReadStore

from migrator_atlassian_connector.tenants.credentials import SealedSecret

log = get_logger(__name__)


async def forget_tenant(store: ReadStore, event: TenantRemoved) -> None:
    """Idempotent: a redelivered event finds nothing left to delete."""
    secrets = store.collection(readmodels.ATLASSIAN_SECRETS)
    doc = await secrets.get(event.tenant_id)
    if doc is not None and SealedSecret.model_validate(doc).org_id not in ("", event.org_id):
        log.warning("removal of another organisation's tenant ignored", tenant_id=event.tenant_id)
        return
    await secrets.delete(event.tenant_id)
    removed = 0
    for name in (readmodels.DISCOVERED_PROJECTS, readmodels.DISCOVERED_SPACES):
        removed += await store.collection(name).delete_many({"tenantId": event.tenant_id})
    if doc is not None or removed:
        log.info("atlassian tenant forgotten", tenant_id=event.tenant_id, discovered=removed)
