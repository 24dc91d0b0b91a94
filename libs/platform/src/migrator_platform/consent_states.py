"""The single-use, expiring state of an admin-consent flow, as both connectors keep it: opened
when a tenant is connected, claimed once by the identity provider's callback. And a consent
withdrawn later: the words every connector says it in, and the event that announces it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from migrator_contracts import subjects
from migrator_contracts.events import TenantConsentLost
from migrator_contracts.readmodels import Doc
from migrator_contracts.rpc import ConnectTenantRequest
from migrator_readstore import Collection

from migrator_platform.bus import Publisher
from migrator_platform.ids import new_id
from migrator_platform.rpc import Refused


class ConsentState(Doc):
    """A pending consent (``consents`` / ``atlassian_consents``, by state): what the callback
    connects, and until when."""

    org_id: str
    domain: str
    role: str
    redirect_uri: str
    expires_at: float  # epoch seconds
    used: bool = False


async def open_state(
    consents: Collection, req: ConnectTenantRequest, *, prefix: str, ttl_seconds: float
) -> str:
    """Record a new state for ``req``; its id (``prefix``: which connector issued it)."""
    state = new_id(prefix)
    pending = ConsentState(
        org_id=req.org_id,
        domain=req.domain,
        role=req.role.value,
        redirect_uri=req.redirect_uri,
        expires_at=time.time() + ttl_seconds,
    )
    await consents.insert(state, pending.to_doc())
    return state


async def claim_state(consents: Collection, state: str) -> ConsentState:
    """The consent ``state`` stands for, now used; ``Refused`` (400) when it is unknown, expired
    or already used: the admin's browser is told which."""
    stored = await consents.get(state)
    if stored is None:
        raise consent_refused("STATE_INVALID", "Unknown consent state")
    consent = ConsentState.model_validate(stored)
    if consent.expires_at < time.time():
        raise consent_refused("STATE_EXPIRED", "The consent link has expired; connect the tenant again")
    if not await consents.update(state, ConsentState.as_stored(used=True), where={"used": False}):
        raise consent_refused("STATE_USED", "This consent link was already used")
    return consent


def consent_refused(code: str, message: str) -> Refused:
    """A consent callback that connects nothing: a 400 naming why."""
    return Refused(400, code, message)


def reconnect_needed(domain: str) -> str:
    """What a job's log and the tenant say once the tenant's consent is gone."""
    return f"consent for {domain} was revoked or expired — reconnect the tenant"


async def announce_consent_lost(publisher: Publisher, tenant_id: str, message: str) -> None:
    """``TenantConsentLost`` for the tenant (the tenants' owner marks it); once a minute at most,
    however many units find it."""
    now = datetime.now(UTC)
    event_id = f"{tenant_id}:consent-lost:{int(now.timestamp()) // 60}"
    event = TenantConsentLost(
        event_id=event_id, seq=int(now.timestamp()), occurred_at=now, tenant_id=tenant_id, message=message
    )
    await publisher.publish(subjects.tenant_event(tenant_id, "TenantConsentLost"), event, msg_id=event_id)
