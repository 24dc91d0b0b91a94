"""A tenant whose directory withdrew the app's consent: it says it needs reconnecting."""

from __future__ import annotations

from migrator_contracts import readmodels
from migrator_contracts.readmodels import TenantDoc
from migrator_microsoft.identity import reconnect_needed
from migrator_readstore import ReadStore

RECONNECT_REQUIRED = "RECONNECT_REQUIRED"


async def consent_lost(store: ReadStore, tenant_id: str) -> str:
    """Mark the tenant RECONNECT_REQUIRED (connecting it again clears it); the words for the log."""
    tenants = store.collection(readmodels.TENANTS)
    found = await tenants.get(tenant_id)
    message = reconnect_needed(TenantDoc.model_validate(found).domain if found else tenant_id)
    if found is not None:
        await tenants.update(
            tenant_id, TenantDoc.as_stored(status=RECONNECT_REQUIRED, status_message=message)
        )
    return message
