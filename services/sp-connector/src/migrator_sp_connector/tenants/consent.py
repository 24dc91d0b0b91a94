"""Admin consent: hand out an authorisation URL, then turn the callback into a connected tenant."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from faststream.nats import NatsBroker
from migrator_contracts import readmodels, subjects
from migrator_contracts.base import iso
from migrator_contracts.enums import TenantStatus
from migrator_contracts.events import TenantConnected
from migrator_contracts.readmodels import TenantDoc
from migrator_contracts.rpc import ConnectTenantReply, ConnectTenantRequest, ConsentReply, ConsentRequest
from migrator_microsoft.endpoints import LOGIN, Endpoints
from migrator_microsoft.identity import ClientCredentials, TokenError
from migrator_platform.bus import BusPublisher, publish
from migrator_platform.consent_states import ConsentState, claim_state, consent_refused, open_state
from migrator_platform.discovery_jobs import queue_discovery
from migrator_platform.ids import new_id
from migrator_platform.structured_logs import get_logger
from migrator_readstore import ReadStore

from migrator_sp_connector.config import ConnectorSettings
from migrator_sp_connector.tenants.tokens import remember_directory

log = get_logger(__name__)
WORKLOADS = ["EMAIL", "SHAREPOINT", "ONEDRIVE", "TEAMS"]


def consent_url(*, endpoints: Endpoints, domain: str, client_id: str, state: str, redirect_uri: str) -> str:
    """The admin-consent URL a Global Admin visits."""
    query = urlencode({"client_id": client_id, "state": state, "redirect_uri": redirect_uri})
    return endpoints.resolve(f"{LOGIN}/{domain}/adminconsent?{query}")


async def start_consent(
    req: ConnectTenantRequest, *, store: ReadStore, endpoints: Endpoints, settings: ConnectorSettings
) -> ConnectTenantReply:
    """Record a single-use, expiring state and return where the admin must go."""
    state = await open_state(
        store.collection(readmodels.CONSENTS), req, prefix="tok", ttl_seconds=settings.consent_ttl_seconds
    )
    url = consent_url(
        endpoints=endpoints,
        domain=req.domain,
        client_id=settings.m365_client_id,
        state=state,
        redirect_uri=req.redirect_uri,
    )
    return ConnectTenantReply(auth_url=url, state=state)


async def complete_consent(
    req: ConsentRequest,
    *,
    store: ReadStore,
    credentials: ClientCredentials,
    broker: NatsBroker,
) -> ConsentReply:
    """Validate the state (known, unexpired, unused), fetch a token, connect the tenant, start
    discovery; ``Refused`` when the callback cannot connect it."""
    consent = await claim_state(store.collection(readmodels.CONSENTS), req.state)
    if req.error or req.admin_consent != "True" or not req.tenant:
        raise consent_refused(
            "CONSENT_DENIED", req.error_description or req.error or "The administrator did not consent"
        )
    try:  # the consent is real only if the directory now gives the app a token
        await credentials.token(req.tenant)
    except TokenError as exc:
        log.warning("token refused after consent", domain=consent.domain, error=str(exc))
        raise consent_refused(
            "TOKEN_FAILED", "The identity provider refused a token for this tenant"
        ) from exc
    tenant_id = await _connect(store, consent, external_tenant_id=req.tenant)
    await remember_directory(store, tenant_id, org_id=consent.org_id, external_tenant_id=req.tenant)
    now = datetime.now(UTC)
    await publish(
        broker,
        subjects.tenant_event(tenant_id, "TenantConnected"),
        TenantConnected(
            event_id=f"{tenant_id}:connected:{req.state}",
            seq=int(now.timestamp()),
            occurred_at=now,
            tenant_id=tenant_id,
            org_id=consent.org_id,
            domain=consent.domain,
            external_tenant_id=req.tenant,
        ),
        msg_id=f"{tenant_id}:connected:{req.state}",
    )
    await queue_discovery(
        store,
        BusPublisher(broker),
        subject=subjects.CMD_TENANT_DISCOVER,
        tenant_id=tenant_id,
        org_id=consent.org_id,
    )
    return ConsentReply(tenant_id=tenant_id)


async def _connect(store: ReadStore, consent: ConsentState, *, external_tenant_id: str) -> str:
    """Create the tenant, or update it when this organisation connected the domain before."""
    tenants = store.collection(readmodels.TENANTS)
    existing = await tenants.find_one({"orgId": consent.org_id, "domain": consent.domain})
    now = iso(datetime.now(UTC))
    if existing is not None:
        await tenants.update(
            existing["_id"],
            TenantDoc.as_stored(
                role=consent.role,
                connected_at=now,
                external_tenant_id=external_tenant_id,
                # Consent given again: whatever needed reconnecting is done.
                status=TenantStatus.CONNECTED.value,
                status_message=None,
            ),
        )
        return str(existing["_id"])
    tenant_id = new_id("ten")
    doc = TenantDoc(
        id=tenant_id,
        org_id=consent.org_id,
        domain=consent.domain,
        role=consent.role,
        workloads=WORKLOADS,
        connected_at=now,
        external_tenant_id=external_tenant_id,
    ).to_doc()
    await tenants.insert(tenant_id, doc)
    return tenant_id
