"""A cloud site whose admin removed the app: it says it needs reconnecting."""

from __future__ import annotations

from migrator_contracts import readmodels
from migrator_contracts.readmodels import TenantDoc
from migrator_readstore import ReadStore

RECONNECT_REQUIRED = "RECONNECT_REQUIRED"


async def consent_revoked(store: ReadStore, tenant_id: str) -> str:
    """Mark the site RECONNECT_REQUIRED (connecting it again clears it); the words for the log,
    as a Microsoft 365 tenant says them."""
    tenants = store.collection(readmodels.TENANTS)
    found = await tenants.get(tenant_id)
    domain = TenantDoc.model_validate(found).domain if found else tenant_id
    message = f"consent for {domain} was revoked or expired — reconnect the tenant"
    if found is not None:
        await tenants.update(
            tenant_id, TenantDoc.as_stored(status=RECONNECT_REQUIRED, status_message=message)
        )
    return message
