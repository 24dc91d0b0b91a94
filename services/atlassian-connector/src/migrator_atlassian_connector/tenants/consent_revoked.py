"""A cloud site whose admin removed the app: it says it needs reconnecting."""

from __future__ import annotations

from migrator_contracts import readmodels
from migrator_contracts.enums import TenantStatus
from migrator_contracts.readmodels import TenantDoc
from migrator_platform.consent_states import reconnect_needed
from migrator_readstore import ReadStore


async def consent_revoked(store: ReadStore, tenant_id: str) -> str:
    """Mark the site RECONNECT_REQUIRED (connecting it again clears it); the words for the log,
    as every connector says them."""
    tenants = store.collection(readmodels.TENANTS)
    found = await tenants.get(tenant_id)
    message = reconnect_needed(TenantDoc.model_validate(found).domain if found else tenant_id)
    if found is not None:
        marked = TenantDoc.as_stored(status=TenantStatus.RECONNECT_REQUIRED.value, status_message=message)
        await tenants.update(tenant_id, marked)
    return message
