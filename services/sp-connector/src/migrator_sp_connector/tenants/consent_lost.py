"""A tenant whose directory withdrew the app's consent: it says it needs reconnecting.

Either connector may be refused first (a site, a mailbox); each announces it with
``TenantConsentLost`` (``migrator_platform.consent_states``), and sp-connector, which owns the
tenants, marks the tenant from the event.
"""

from __future__ import annotations

from migrator_contracts import readmodels
from migrator_contracts.base import iso
from migrator_contracts.enums import TenantStatus
from migrator_contracts.events import TenantConsentLost
from migrator_contracts.readmodels import TenantDoc
from migrator_platform.consent_states import reconnect_needed
from migrator_readstore import ReadStore


async def reconnect_words(store: ReadStore, tenant_id: str) -> str:
    """What the job's log and the tenant say: the tenant by its domain."""
    found = await store.collection(readmodels.TENANTS).get(tenant_id)
    return reconnect_needed(TenantDoc.model_validate(found).domain if found else tenant_id)


async def mark_consent_lost(store: ReadStore, event: TenantConsentLost) -> None:
    """The tenant shows RECONNECT_REQUIRED with what to do, unless it was connected again since."""
    tenants = store.collection(readmodels.TENANTS)
    found = await tenants.get(event.tenant_id)
    if found is None or TenantDoc.model_validate(found).connected_at >= iso(event.occurred_at):
        return  # connected again since
    marked = TenantDoc.as_stored(status=TenantStatus.RECONNECT_REQUIRED.value, status_message=event.message)
    await tenants.update(event.tenant_id, marked)
