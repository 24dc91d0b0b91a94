"""A tenant whose directory withdrew the app's consent: it says it needs reconnecting.

Either connector may be refused first (a site, a mailbox); each announces it with
``TenantConsentLost``, and sp-connector, which owns the tenants, marks the tenant from the event.
"""

from __future__ import annotations

from datetime import UTC, datetime

from migrator_contracts import readmodels, subjects
from migrator_contracts.base import iso
from migrator_contracts.events import TenantConsentLost
from migrator_contracts.readmodels import TenantDoc
from migrator_microsoft.identity import reconnect_needed
from migrator_platform.bus import Publisher
from migrator_readstore import ReadStore

RECONNECT_REQUIRED = "RECONNECT_REQUIRED"


async def reconnect_words(store: ReadStore, tenant_id: str) -> str:
    """What the job's log and the tenant say: the tenant by its domain."""
    found = await store.collection(readmodels.TENANTS).get(tenant_id)
    return reconnect_needed(TenantDoc.model_validate(found).domain if found else tenant_id)


async def announce_consent_lost(publisher: Publisher, tenant_id: str, message: str) -> None:
    """Say the tenant needs reconnecting (once a minute at most, however many units say it)."""
    now = datetime.now(UTC)
    event_id = f"{tenant_id}:consent-lost:{int(now.timestamp()) // 60}"
    event = TenantConsentLost(
        event_id=event_id, seq=int(now.timestamp()), occurred_at=now, tenant_id=tenant_id, message=message
    )
    await publisher.publish(subjects.tenant_event(tenant_id, "TenantConsentLost"), event, msg_id=event_id)


async def mark_consent_lost(store: ReadStore, event: TenantConsentLost) -> None:
    """The tenant shows RECONNECT_REQUIRED with what to do, unless it was connected again since."""
    tenants = store.collection(readmodels.TENANTS)
    found = await tenants.get(event.tenant_id)
    if found is None or TenantDoc.model_validate(found).connected_at >= iso(event.occurred_at):
        return  # connected again since
    marked = TenantDoc.as_stored(status=RECONNECT_REQUIRED, status_message=event.message)
    await tenants.update(event.tenant_id, marked)
